// peak_probe.h: the verdict of a FindPeakPerformance probe, decided while it
// runs, so the probe can stop issuing as soon as the verdict is known
// (docs/design.md, "Peak search that stops early").
//
// A probe is a Server performance run at one target rate. After each issue
// the issuer asks the decider, which folds the queries whose latency is
// known (CompletionTracker::AdvanceDecided: completed, or outstanding past
// the bound) into two counts, n decided and t over the bound, and applies
// three rules (p: the latency percentile, N: the queries of the full probe,
// k = t + the queries issued but not yet decided):
//
//   FAIL, certain:  t > N - floor(N p) - 1. The full probe could not meet
//                   the percentile whatever the remaining queries do, and
//                   neither can the shorter run that stopping leaves.
//   PASS:           early stopping certifies the percentile for the queries
//                   issued, counting every undecided one as over the bound:
//                   issued >= MinPassing(k) + k (confidence 0.99), AND the
//                   SUT keeps up: a SUT slower than the rate builds a
//                   backlog that crosses the bound only later in the probe,
//                   so the backlog (issued - completed) is compared with the
//                   one at half the elapsed time; its growth, plus two
//                   standard deviations of the arrivals' Poisson noise, is
//                   projected to the full probe's end; if the queries that
//                   would then arrive after latency reaches the bound
//                   (backlog = drain rate x bound) exceed what the full
//                   probe still allows, it does not pass yet.
//   FAIL, binomial: P[X >= t] < 0.01 for X ~ Binomial(n, 1 - p): a SUT that
//                   met the percentile would show this many over the bound
//                   with probability below 1%.
//
// The two statistical rules wait until the probe has issued
// server_find_peak_min_probe_fraction of N. A probe that none of them
// decides runs its full duration and is judged like any performance run.
#ifndef LOADGEN_SRC_PEAK_PROBE_H_
#define LOADGEN_SRC_PEAK_PROBE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "completion_tracker.h"
#include "loadgen/loadgen.h"
#include "query_generator.h"
#include "settings_internal.h"

namespace mlperf {
namespace internal {

// The queries a full performance phase with `s` over `set` would issue: the
// query stream's length, capped by max_query_count. Generates the stream
// once (the schedule and the sample draws, nothing issued): about 30 ns a
// query.
uint64_t FullProbeQueries(const EffectiveSettings& s, const LoadableSet& set);

class PeakProbeDecider {
 public:
  enum class Verdict { kUndecided, kPass, kFail };

  // `full_queries`: N above (at least 1).
  PeakProbeDecider(const EffectiveSettings& s, uint64_t full_queries);

  // After an issue: `issued` queries so far, `now_ns` on the run's clock.
  // Once it returns kPass or kFail the verdict is final and record() says
  // why.
  Verdict Check(const CompletionTracker& tracker, uint64_t issued,
                int64_t now_ns);

  // The three rules on the counts (Check's second half; exposed for
  // tests): `decided` queries judged in order, `over` of them over the
  // bound, `completed` queries, `issued` so far. Counts only grow between
  // calls.
  Verdict Judge(uint64_t decided, uint64_t over, uint64_t completed,
                uint64_t issued, int64_t now_ns);

  // The probe's record so far (decided_by/reason are set once decided).
  const PeakProbe& record() const { return record_; }
  // False when the records fell out of the streaming window: no early
  // verdict is possible any more.
  bool usable() const { return usable_; }

  // The largest over-bound count a run of `n` completed queries may have
  // and still meet percentile `p` (nearest rank, as the verdict computes it).
  static int64_t Allowance(uint64_t n, double p);

  // The backlog test of PASS, on plain numbers (exposed for tests): at
  // `now_ns`, `issued` queries and `completed` of them completed; `then`
  // the same at an earlier time; `first_ns` the probe's first check. Returns
  // true when the backlog's growth, projected to the full probe's end, keeps
  // the queries arriving after latency reaches `bound_ns` within `spare`
  // (what the full probe still allows over the bound). `*why` says how.
  struct Snapshot {
    int64_t now_ns = 0;
    uint64_t issued = 0;
    uint64_t completed = 0;
  };
  static bool KeepsUp(const Snapshot& then, const Snapshot& now,
                      int64_t first_ns, uint64_t full_queries, int64_t bound_ns,
                      int64_t spare, std::string* why);

 private:
  int64_t MinPassing(uint64_t overlatency);
  // The last snapshot at or before half the time since the first check
  // (the probe's start, nothing issued, when there is none).
  Snapshot HalfwaySnapshot(int64_t now_ns) const;

  const double percentile_;
  const int64_t bound_ns_;
  const uint64_t full_queries_;
  const int64_t allowance_;         // Allowance(full_queries_)
  const uint64_t min_statistical_;  // queries before a statistical verdict
  const uint64_t samples_per_query_;
  uint64_t cursor_ = 0;              // decided queries: n
  uint64_t over_ = 0;                // of those, over the bound: t
  uint64_t last_binomial_over_ = 0;  // t at the last binomial test
  bool binomial_tested_ = false;
  bool usable_ = true;
  int64_t first_ns_ = -1;             // the first check
  uint64_t snapshot_stride_ = 1;      // a snapshot every this many issues
  std::vector<Snapshot> snapshots_;   // in time order, for KeepsUp
  std::vector<int64_t> min_passing_;  // MinPassing(k), -1: not computed yet
  PeakProbe record_;
};

}  // namespace internal
}  // namespace mlperf

#endif  // LOADGEN_SRC_PEAK_PROBE_H_
