// issuer.h: one phase of issuing: queries from the QueryGenerator go to the
// SUT at the pace of the scenario, then the tail is waited for and the
// phase's measurements are collected. The pacing of each scenario is its own
// small type (issuer.cc): ClosedLoopPacing (SingleStream, MultiStream: the
// next query when the previous one completed), ServerPacing (at its
// scheduled time, optionally coalescing queries that are due) and
// OfflinePacing (at once).
#ifndef LOADGEN_SRC_ISSUER_H_
#define LOADGEN_SRC_ISSUER_H_

#include <cstdint>
#include <functional>

#include "accuracy_log.h"
#include "clock.h"
#include "completion_tracker.h"
#include "detail_log.h"
#include "loadgen/loadgen.h"
#include "query_generator.h"
#include "results.h"
#include "run_control.h"
#include "settings_internal.h"

namespace mlperf {
namespace internal {

// What a phase needs from its run; all on the StartTest thread.
struct IssueContext {
  SystemUnderTest* sut = nullptr;
  Clock* clock = nullptr;
  CompletionTracker* tracker = nullptr;
  RunControl* control = nullptr;
  AccuracyLog* accuracy_log = nullptr;
  DetailLog* detail = nullptr;
  const RunOptions* options = nullptr;
  uint64_t sequence_next = 0;  // the test-wide number of the next sample
  bool trace = false;          // the trace is written (keep sample records)
  // Writes the accuracy-log entries gathered so far (streaming mode calls it
  // as it goes, so sampled entries do not pile up over a long run).
  std::function<void()> flush_accuracy_log;
  // Non-null for a FindPeakPerformance probe: the phase stops issuing once
  // its verdict is decided (peak_probe.h) and says so here (decided_by
  // stays empty when it ran its full duration). Null for every other phase.
  PeakProbe* probe = nullptr;
};

// What a phase leaves behind besides its measurements (for the trace).
struct PhaseTimes {
  int64_t start_ns = 0;  // start of issuing (the run's clock)
  uint64_t samples = 0;
};

// Issues one phase over the loaded `set` (accuracy: every sample once).
RunMeasurements IssuePhase(IssueContext* ctx, const EffectiveSettings& s,
                           const LoadableSet& set, bool accuracy,
                           PhaseTimes* times);

}  // namespace internal
}  // namespace mlperf

#endif  // LOADGEN_SRC_ISSUER_H_
