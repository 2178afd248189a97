#include "completion_tracker.h"

#include <algorithm>
#include <chrono>
#include <mutex>

#include "check.h"

namespace mlperf {
namespace internal {

namespace {

constexpr uint64_t kIndexMask =
    (uint64_t{1} << CompletionTracker::kIndexBits) - 1;
constexpr uint64_t kMaxTag = (uint64_t{1} << 23) - 1;

// Phase tags are unique within the process. Wraps after 8M phases, skipping 0.
uint64_t NextPhaseTag() {
  static std::atomic<uint64_t> next{1};
  const uint64_t t = next.fetch_add(1, std::memory_order_relaxed) % kMaxTag;
  return t == 0 ? 1 : t;
}

}  // namespace

void CompletionTracker::EnableTokens() {
  LG_DCHECK(tag_.load() == 0, "token latencies enabled during a phase");
  tokens_ = true;
  if (!token_slots_) token_slots_ = std::make_unique<ChunkedArray<TokenSlot>>();
}

uint64_t CompletionTracker::OpenPhase(bool accuracy, uint64_t samples_per_query,
                                      uint64_t seq_base) {
  LG_DCHECK(tag_.load() == 0, "a phase is opened while another one is open");
  accuracy_ = accuracy;
  spq_ = samples_per_query == 0 ? 1 : samples_per_query;
  seq_base_ = seq_base;
  issued_.store(0, std::memory_order_release);
  completed_.store(0, std::memory_order_release);
  bad_responses_.store(0, std::memory_order_relaxed);
  const uint64_t tag = NextPhaseTag();
  tag_.store(tag, std::memory_order_seq_cst);
  return tag << kIndexBits;
}

void CompletionTracker::ClosePhase() {
  tag_.store(0, std::memory_order_seq_cst);
  // A completer that read the old tag entered the gate before that read;
  // wait for it to leave. A pass is a few hundred ns of work, no callbacks.
  CompletionGate::WaitUntilClear();
  LG_DCHECK(completed_.load() <= issued_.load(),
            "more completions than issued samples");
}

bool CompletionTracker::Resolve(ResponseId id, uint64_t* index) const {
  const uint64_t tag = static_cast<uint64_t>(id) >> kIndexBits;
  const uint64_t raw = static_cast<uint64_t>(id) & kIndexMask;
  if (tag == 0 || raw == 0 || tag != tag_.load(std::memory_order_seq_cst))
    return false;
  const uint64_t i = raw - 1;
  if (i >= issued_.load(std::memory_order_acquire)) return false;
  *index = i;
  return true;
}

CompletionTracker::Claim CompletionTracker::ClaimSample(ResponseId id,
                                                        int64_t now_ns,
                                                        uint64_t* index,
                                                        bool* logged) {
  LG_DCHECK(CompletionGate::InsideOnThisThread(),
            "a claim outside a CompletionGate::Pass");
  if (!Resolve(id, index)) return Claim::kUnknown;
  SampleSlot& slot = slots_.Get(*index);
  int64_t cur = slot.done_ns.load(std::memory_order_acquire);
  while (true) {
    if (!IsPending(cur)) return Claim::kDuplicate;
    // On failure `cur` is reloaded: a racing duplicate makes it non-pending.
    if (slot.done_ns.compare_exchange_weak(cur, now_ns,
                                           std::memory_order_acq_rel))
      break;
  }
  LG_DCHECK(!IsPending(now_ns), "a completion time that reads as pending");
  *logged = cur == kPendingLoggedNs;
  return Claim::kOk;
}

void CompletionTracker::Finish(uint64_t n) {
  if (n == 0) return;
  completed_.fetch_add(n, std::memory_order_seq_cst);
  if (waiting_.load(std::memory_order_seq_cst)) {
    MutexLock lock(&wait_mu_);
    wait_cv_.notify_all();
  }
}

void CompletionTracker::WaitFor(uint64_t target, int64_t timeout_ms,
                                const std::atomic<bool>& stop) {
  std::unique_lock<std::mutex> lock(wait_mu_.native());
  waiting_.store(true, std::memory_order_seq_cst);
  wait_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
    return completed_.load(std::memory_order_seq_cst) >= target ||
           stop.load(std::memory_order_acquire);
  });
  waiting_.store(false, std::memory_order_relaxed);
}

void CompletionTracker::Wake() {
  MutexLock lock(&wait_mu_);
  wait_cv_.notify_all();
}

RunMeasurements CompletionTracker::Collect(const EffectiveSettings& s,
                                           uint64_t queries, uint64_t samples,
                                           int64_t start,
                                           int64_t* last_done_ns) const {
  LG_DCHECK(tag_.load() == 0, "measurements collected from an open phase");
  RunMeasurements m;
  m.settings = s;
  m.queries_issued = queries;
  m.samples_issued = samples;
  m.bad_responses = bad_responses_.load(std::memory_order_relaxed);
  m.sample_latencies.reserve(samples);
  const bool ms = s.scenario == TestScenario::MultiStream;
  const bool server = s.scenario == TestScenario::Server;
  int64_t max_done = start;
  int64_t max_latency = 0;
  const uint64_t nq = samples == 0 ? 0 : (samples + spq_ - 1) / spq_;
  if (ms) m.query_latencies.reserve(nq);
  int64_t last_query_done = start;
  for (uint64_t qi = 0; qi < nq; ++qi) {
    const QueryRecord rec = queries_.Get(qi);
    const uint64_t b = qi * spq_;
    const uint64_t e = std::min(samples, b + spq_);
    int64_t q_done = rec.scheduled_ns;
    bool q_complete = true;
    for (uint64_t i = b; i < e; ++i) {
      const int64_t d = slots_.Get(i).done_ns.load(std::memory_order_acquire);
      if (IsPending(d)) {
        ++m.samples_never_completed;
        q_complete = false;
        continue;
      }
      const int64_t lat = d - rec.scheduled_ns;
      m.sample_latencies.push_back(lat);
      max_latency = std::max(max_latency, lat);
      max_done = std::max(max_done, d);
      q_done = std::max(q_done, d);
      if (tokens_) {
        const TokenSlot& ts = token_slots_->Get(i);
        const int64_t ft = ts.first_token_ns.load(std::memory_order_acquire);
        m.token_count += ts.n_tokens;
        if (ft != kPendingNs) {
          const int64_t ttft = ft - rec.scheduled_ns;
          m.first_token_latencies.push_back(ttft);
          if (ts.n_tokens > 1) {
            m.time_per_output_token.push_back((lat - ttft) / (ts.n_tokens - 1));
          }
        }
      }
    }
    if (ms && q_complete)
      m.query_latencies.push_back(q_done - rec.scheduled_ns);
    if (server) m.issue_lags.push_back(rec.issued_ns - rec.scheduled_ns);
    if (qi + 1 == nq) {
      m.final_query_scheduled_s =
          static_cast<double>(rec.scheduled_ns - start) / 1e9;
      m.final_query_issued_s = static_cast<double>(rec.issued_ns - start) / 1e9;
      last_query_done = q_done;
    }
  }
  m.final_query_done_s = static_cast<double>(last_query_done - start) / 1e9;
  m.max_latency_s = static_cast<double>(max_latency) / 1e9;
  *last_done_ns = max_done;
  return m;
}

}  // namespace internal
}  // namespace mlperf
