// completion_tracker.h: which samples of the current phase are outstanding,
// and when each completed. The issuer opens a phase, registers and publishes
// samples, waits, closes the phase and collects the measurements; any thread
// claims samples by id meanwhile, without a lock.
//
// Ids: (phase tag << 40) | (index + 1). The tag is unique in the process, so a
// stale id of an earlier phase or test is recognised.
//
// Phase end: completers claim inside a CompletionGate::Pass; ClosePhase
// clears the tag and then waits until every thread that was inside has left.
// A completer that passed the tag check is therefore done with the slots
// before they are read or reused: a stale completer can never claim a slot of
// the next phase (tests/completion_stress_test.cc hammers this).
#ifndef LOADGEN_SRC_COMPLETION_TRACKER_H_
#define LOADGEN_SRC_COMPLETION_TRACKER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <vector>

#include "completion_gate.h"
#include "loadgen/query_sample.h"
#include "results.h"
#include "sample_table.h"
#include "settings_internal.h"
#include "thread_annotations.h"

namespace mlperf {
namespace internal {

class CompletionTracker {
 public:
  static constexpr int kIndexBits = 40;

  // Token latencies: call before the first phase opens.
  void EnableTokens();

  // ---- The issuing thread.

  // Starts a phase; returns the id base of its samples. `seq_base`: the
  // test-wide sequence number of its first sample.
  uint64_t OpenPhase(bool accuracy, uint64_t samples_per_query,
                     uint64_t seq_base);
  // Prepares the slots of samples first..first+n-1 (q[k] is sample first+k),
  // writes their ids into `q`, and records their query's times. `logged(k)`
  // tells whether sample k's response goes to the accuracy log.
  template <typename LoggedFn>
  void Register(std::vector<QuerySample>* q, uint64_t first,
                int64_t scheduled_ns, int64_t issued_ns, LoggedFn logged);
  // Makes samples below `samples` claimable.
  void Publish(uint64_t samples) {
    issued_.store(samples, std::memory_order_release);
  }
  // Ends the phase: later completions are unknown ids. Returns once no
  // completer that could have seen the phase is inside the gate.
  void ClosePhase();
  // The phase's measurements (after ClosePhase). `start_ns`: start of issuing.
  RunMeasurements Collect(const EffectiveSettings& s, uint64_t queries,
                          uint64_t samples, int64_t start_ns,
                          int64_t* last_done_ns) const;

  uint64_t completed() const {
    return completed_.load(std::memory_order_acquire);
  }
  // Waits up to `timeout_ms` for completed() >= target or `*stop`.
  void WaitFor(uint64_t target, int64_t timeout_ms,
               const std::atomic<bool>& stop);
  // Wakes WaitFor (after setting its stop flag).
  void Wake();

  // ---- Completers (any thread), inside a CompletionGate::Pass.

  enum class Claim { kOk, kUnknown, kDuplicate };
  // Resolves `id` of the current phase to its index.
  bool Resolve(ResponseId id, uint64_t* index) const;
  // Claims the slot of `id` with completion time `now_ns` (first wins).
  // *logged: its response goes to the accuracy log.
  Claim ClaimSample(ResponseId id, int64_t now_ns, uint64_t* index,
                    bool* logged);
  // Counts n claimed samples and wakes the waiter if it sleeps.
  void Finish(uint64_t n);
  // A claimed sample whose response data could not be logged.
  void CountBadResponse() {
    bad_responses_.fetch_add(1, std::memory_order_relaxed);
  }

  // ---- Reading a phase (its issuer, or completers for their own index).
  bool tokens() const { return tokens_; }
  bool accuracy_phase() const { return accuracy_; }
  uint64_t samples_per_query() const { return spq_; }
  uint64_t seq_base() const { return seq_base_; }
  const SampleSlot& slot(uint64_t i) const { return slots_.Get(i); }
  uint32_t qsl_index(uint64_t i) const { return sample_qsl_.Get(i); }
  const QueryRecord& query(uint64_t qi) const { return queries_.Get(qi); }
  TokenSlot& token(uint64_t i) const { return token_slots_->Get(i); }

 private:
  bool tokens_ = false;
  // Phase state: written by the issuer between phases (while the tag is 0
  // and no completer is inside the gate), read by completers in the gate.
  bool accuracy_ = false;
  uint64_t spq_ = 1;
  uint64_t seq_base_ = 0;
  std::atomic<uint64_t> tag_{0};        // 0: no phase
  std::atomic<uint64_t> issued_{0};     // samples published
  std::atomic<uint64_t> completed_{0};  // samples claimed (first time)
  std::atomic<uint64_t> bad_responses_{0};
  std::atomic<bool> waiting_{false};
  Mutex wait_mu_;  // pairs wait_cv_ with the waiting_ flag
  std::condition_variable wait_cv_;
  ChunkedArray<SampleSlot> slots_;
  ChunkedArray<uint32_t> sample_qsl_;  // the QSL index of each issued sample
  ChunkedArray<QueryRecord> queries_;  // indexed by sample / spq
  std::unique_ptr<ChunkedArray<TokenSlot>> token_slots_;
};

template <typename LoggedFn>
void CompletionTracker::Register(std::vector<QuerySample>* q, uint64_t first,
                                 int64_t scheduled_ns, int64_t issued_ns,
                                 LoggedFn logged) {
  const uint64_t n = q->size();
  const uint64_t id_base = tag_.load(std::memory_order_relaxed) << kIndexBits;
  slots_.Reserve(first + n);
  sample_qsl_.Reserve(first + n);
  if (tokens_) token_slots_->Reserve(first + n);
  for (uint64_t k = 0; k < n; ++k) {
    SampleSlot& slot = slots_.Get(first + k);
    sample_qsl_.Get(first + k) = static_cast<uint32_t>((*q)[k].index);
    slot.done_ns.store(logged(k) ? kPendingLoggedNs : kPendingNs,
                       std::memory_order_relaxed);
    if (tokens_) {
      TokenSlot& ts = token_slots_->Get(first + k);
      ts.first_token_ns.store(kPendingNs, std::memory_order_relaxed);
      ts.n_tokens = 0;
    }
    (*q)[k].id = static_cast<ResponseId>(id_base | (first + k + 1));
  }
  const uint64_t q0 = first / spq_;
  const uint64_t q1 = (first + n + spq_ - 1) / spq_;
  queries_.Reserve(q1);
  for (uint64_t qi = q0; qi < q1; ++qi)
    queries_.Get(qi) = QueryRecord{scheduled_ns, issued_ns};
}

}  // namespace internal
}  // namespace mlperf

#endif  // LOADGEN_SRC_COMPLETION_TRACKER_H_
