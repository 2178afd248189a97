// completion_tracker.h: which samples of the current phase are outstanding,
// and when each completed. The issuer opens a phase, registers and publishes
// samples, waits, closes the phase and collects the measurements; any thread
// claims samples by id meanwhile, without a lock.
//
// Ids: (phase tag << 40) | (index + 1). The tag is unique in the process, so a
// stale id of an earlier phase or test is recognised; the index is the
// sample's generation in streaming mode (below).
//
// Records: exact mode keeps every sample's slot until the phase ends and
// folds them all then. Streaming mode (docs/design.md, "Bounded memory")
// keeps a window of slots: index i lives at position i mod window, and
// Register folds finished queries into the MeasurementFold's histograms as it
// goes, so a position is free again before the sample `window` later needs
// it. A slot word names the index it belongs to (sample_table.h), so an id
// whose slot was reused is recognised as completed already (a duplicate). A
// query still outstanding when its positions are needed moves, under a lock,
// to the straggler table, where completers find it; nothing is lost. Auto
// mode starts exact and switches at a sample count: the exact region keeps
// its positions and is folded a few queries per Register, the window starts
// after it.
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
#include <limits>
#include <map>
#include <memory>
#include <vector>

#include "completion_gate.h"
#include "loadgen/query_sample.h"
#include "measurement_fold.h"
#include "results.h"
#include "sample_table.h"
#include "settings_internal.h"
#include "thread_annotations.h"

namespace mlperf {
namespace internal {

// How a phase records its samples.
struct Recording {
  bool streaming = false;  // streaming from the first sample
  // Exact until this many samples are registered, then streaming (auto).
  uint64_t switch_at = std::numeric_limits<uint64_t>::max();
  uint64_t window = uint64_t{1} << 22;  // positions in streaming mode
  bool trace = false;                   // keep trace records while streaming
};

// Exact records cost about this much per sample at their peak (the slot,
// the QSL index, the query record, and the latency vectors of Collect).
constexpr uint64_t kExactBytesPerSample = 44;
constexpr uint64_t kExactBytesPerTokenSample = 16 + 16;

// The recording the settings ask for, for a phase expected to issue
// `expected_samples` (0: unknown). `why` receives a warning when the mode
// asked for cannot be used.
Recording ChooseRecording(const EffectiveSettings& s, bool accuracy,
                          uint64_t expected_samples, std::string* why);

class CompletionTracker {
 public:
  static constexpr int kIndexBits = 40;

  // Token latencies: call before the first phase opens.
  void EnableTokens();

  // ---- The issuing thread.

  // Starts a phase; returns the id base of its samples. `seq_base`: the
  // test-wide sequence number of its first sample; `start_ns`: the start of
  // issuing.
  uint64_t OpenPhase(const EffectiveSettings& s, bool accuracy,
                     uint64_t samples_per_query, uint64_t seq_base,
                     int64_t start_ns, const Recording& rec);
  // Prepares the slots of samples first..first+n-1 (q[k] is sample first+k),
  // writes their ids into `q`, and records their query's times. `logged(k)`
  // tells whether sample k's response goes to the accuracy log. `first` is
  // the start of a query. Streaming: folds finished queries first.
  template <typename LoggedFn>
  void Register(std::vector<QuerySample>* q, uint64_t first,
                int64_t scheduled_ns, int64_t issued_ns, LoggedFn logged);
  // Makes samples below `samples` claimable.
  void Publish(uint64_t samples) {
    issued_.store(samples, std::memory_order_release);
  }
  // Peak-search probes, while the phase runs: moves `*cursor` (a query
  // index) past each registered query whose latency is decided: completed
  // (latency: its last sample's completion - its scheduled time), or still
  // outstanding more than `bound_ns` after its scheduled time (whatever
  // happens, its latency exceeds the bound). Adds 1 to `*over` for each
  // latency above the bound. Stops at the first query not decided. Returns
  // false when the records at `*cursor` may have been reused (streaming:
  // the cursor fell a whole window behind); then nothing is counted.
  bool AdvanceDecided(uint64_t* cursor, int64_t now_ns, int64_t bound_ns,
                      uint64_t* over) const;
  // Ends the phase: later completions are unknown ids. Returns once no
  // completer that could have seen the phase is inside the gate.
  void ClosePhase();
  // The phase's measurements (after ClosePhase).
  RunMeasurements Collect(uint64_t queries, uint64_t samples,
                          int64_t* last_done_ns);
  // After Collect: the fold (trace records, token-count problems).
  MeasurementFold* fold() { return fold_.get(); }
  bool streaming() const { return switched_at_ != kNever; }

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
  // What a successful claim tells the completer.
  struct Claimed {
    uint64_t index = 0;
    uint32_t qsl_index = 0;
    bool logged = false;           // its response goes to the accuracy log
    bool had_first_token = false;  // token runs
  };
  // Claims the sample of `id` with completion time `now_ns` (first wins);
  // token runs store `n_tokens` with it.
  Claim ClaimSample(ResponseId id, int64_t now_ns, int64_t n_tokens,
                    Claimed* out);
  enum class FirstTokenClaim { kOk, kUnknown, kAfterComplete, kTwice };
  // Records the first token of `id` at `now_ns`.
  FirstTokenClaim ClaimFirstToken(ResponseId id, int64_t now_ns, Claimed* out);
  // Counts n claimed samples and wakes the waiter if it sleeps.
  void Finish(uint64_t n);
  // A claimed sample whose response data could not be logged.
  void CountBadResponse() {
    bad_responses_.fetch_add(1, std::memory_order_relaxed);
  }

  // ---- Reading a phase (its issuer, after ClosePhase).
  bool tokens() const { return tokens_; }
  uint64_t seq_base() const { return seq_base_; }
  // Sample i's slot (tests; exact mode or a sample still in the window).
  const SampleSlot& slot(uint64_t i) const { return slots_.Get(Pos(i)); }

 private:
  static constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();
  struct Straggler {
    uint64_t index;
    uint32_t qsl_index;
    int64_t word;  // a pending state or the completion time
    int64_t first_token_ns;
    int64_t n_tokens;
  };
  struct StragglerQuery {
    QueryRecord rec;
    std::vector<Straggler> samples;
  };

  // Where sample i and query qi live in the chunked arrays.
  uint64_t Pos(uint64_t i) const {
    const uint64_t rs = ring_start_.load(std::memory_order_relaxed);
    if (i < rs) return i;
    return ring_base_.load(std::memory_order_relaxed) +
           ((i - rs) & mask_.load(std::memory_order_relaxed));
  }
  uint64_t QPos(uint64_t qi) const {
    const uint64_t rs = ring_start_.load(std::memory_order_relaxed);
    if (rs == kNever || qi < rs / spq_) return qi;
    return ring_base_.load(std::memory_order_relaxed) +
           ((qi - rs / spq_) & mask_.load(std::memory_order_relaxed));
  }
  // Streaming: room for samples below `head`, and folding what finished.
  void Sweep(uint64_t head);
  void SwitchToStreaming(uint64_t first);
  // Folds query qi from the slots if every sample is final (`force`: at the
  // end, pending ones count as never completed). False if one is pending.
  bool FoldFromSlots(uint64_t qi, bool force);
  void MoveToStragglers(uint64_t qi) LG_EXCLUDES(straggler_mu_);
  void FoldStragglers(bool force) LG_EXCLUDES(straggler_mu_);
  // Sample `index`'s straggler record; null where it has none.
  Straggler* FindStraggler(uint64_t index) LG_REQUIRES(straggler_mu_);
  Claim ClaimStraggler(uint64_t index, int64_t now_ns, int64_t n_tokens,
                       Claimed* out) LG_EXCLUDES(straggler_mu_);
  FirstTokenClaim FirstTokenStraggler(uint64_t index, int64_t now_ns,
                                      Claimed* out) LG_EXCLUDES(straggler_mu_);
  uint64_t QueryEnd(uint64_t qi) const;  // one past its last sample

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

  // Streaming layout: samples from ring_start_ on live at ring_base_ +
  // (i - ring_start_) mod window. Written by the issuer before the Publish
  // that makes such a sample claimable.
  std::atomic<uint64_t> ring_start_{kNever};
  std::atomic<uint64_t> ring_base_{0};
  std::atomic<uint64_t> mask_{0};

  // The issuer's streaming state.
  Recording rec_;
  std::unique_ptr<MeasurementFold> fold_;
  uint64_t switched_at_ = kNever;  // first streaming sample
  uint64_t registered_ = 0;        // samples registered
  uint64_t old_tail_q_ = 0;        // next query of the exact region to fold
  uint64_t ring_tail_q_ = 0;       // next query of the window to fold
  uint64_t stragglers_moved_ = 0;
  uint64_t sweeps_ = 0;
  // FoldFromSlots gathers a query in parts of at most kFoldPart samples.
  static constexpr uint64_t kFoldPart = 4096;
  std::vector<FinishedSample> scratch_;
  std::vector<int64_t> done_scratch_;  // the same, completion times only

  // Queries moved out of the window; nonzero count: completers look here.
  std::atomic<uint64_t> straggler_queries_{0};
  Mutex straggler_mu_;
  std::map<uint64_t, StragglerQuery> straggler_table_
      LG_GUARDED_BY(straggler_mu_);
  uint64_t straggler_cursor_ LG_GUARDED_BY(straggler_mu_) = 0;
};

template <typename LoggedFn>
void CompletionTracker::Register(std::vector<QuerySample>* q, uint64_t first,
                                 int64_t scheduled_ns, int64_t issued_ns,
                                 LoggedFn logged) {
  const uint64_t n = q->size();
  if (switched_at_ == kNever && first + n > rec_.switch_at && first > 0)
    SwitchToStreaming(first);
  if (switched_at_ != kNever) {
    Sweep(first + n);
  } else {
    slots_.Reserve(first + n);
    sample_qsl_.Reserve(first + n);
    if (tokens_) token_slots_->Reserve(first + n);
  }
  const uint64_t id_base = tag_.load(std::memory_order_relaxed) << kIndexBits;
  for (uint64_t k = 0; k < n; ++k) {
    const uint64_t i = first + k;
    const uint64_t p = Pos(i);
    sample_qsl_.Get(p) = static_cast<uint32_t>((*q)[k].index);
    slots_.Get(p).done_ns.store(
        StateWord(i,
                  logged(k) ? SlotState::kPendingLogged : SlotState::kPending),
        std::memory_order_relaxed);
    if (tokens_) {
      TokenSlot& ts = token_slots_->Get(p);
      ts.first_token_ns.store(StateWord(i, SlotState::kPending),
                              std::memory_order_relaxed);
      ts.n_tokens = 0;
    }
    (*q)[k].id = static_cast<ResponseId>(id_base | (i + 1));
  }
  const uint64_t q0 = first / spq_;
  const uint64_t q1 = (first + n + spq_ - 1) / spq_;
  if (switched_at_ == kNever) queries_.Reserve(q1);
  for (uint64_t qi = q0; qi < q1; ++qi)
    queries_.Get(QPos(qi)) = QueryRecord{scheduled_ns, issued_ns};
  registered_ = first + n;
}

}  // namespace internal
}  // namespace mlperf

#endif  // LOADGEN_SRC_COMPLETION_TRACKER_H_
