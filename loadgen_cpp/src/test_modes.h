// test_modes.h: what each TestMode runs, in phases: AccuracyOnly (every
// sample once, per loadable set), PerformanceOnly (one timed run),
// SubmissionRun (both) and FindPeakPerformance, which is FindPeak: a search
// for the highest target qps that still meets the latency constraints, over
// any probe function (tests drive it with a synthetic probe). Its probes
// stop as soon as their verdict is decided (peak_probe.h).
#ifndef LOADGEN_SRC_TEST_MODES_H_
#define LOADGEN_SRC_TEST_MODES_H_

#include <functional>
#include <string>

#include "clock.h"
#include "detail_log.h"
#include "loadgen/loadgen.h"
#include "query_generator.h"
#include "results.h"
#include "run_control.h"
#include "settings_internal.h"

namespace mlperf {
namespace internal {

// What the modes need from the run; all on the StartTest thread.
struct ModeContext {
  // Issues one phase over a loaded set, then writes its trace events and
  // accuracy-log entries.
  std::function<RunMeasurements(const EffectiveSettings&, const LoadableSet&,
                                bool accuracy, PeakProbe* probe)>
      run_phase;
  QuerySampleLibrary* qsl = nullptr;
  RunControl* control = nullptr;
  DetailLog* detail = nullptr;
  Clock* clock = nullptr;
  TestResult* result = nullptr;
  std::string* summary_text = nullptr;  // the results blocks of the summary
  std::string sut_name;
};

void RunAccuracyMode(ModeContext* ctx, const EffectiveSettings& s);
// One performance run; with `report`, its summary block and result records
// are written. With `probe`, it is a peak-search probe (IssueContext::probe).
PerformanceResult RunPerformanceMode(ModeContext* ctx,
                                     const EffectiveSettings& s, bool report,
                                     PeakProbe* probe = nullptr);
void RunFindPeakMode(ModeContext* ctx, const EffectiveSettings& base);

// The search of FindPeakPerformance. From a `base` whose probe passed,
// widens geometrically (target_qps x (1 + step)) until a probe fails, then
// bisects until the bounds agree to the requested decimals (the reference's
// search, step for step). `note` receives the progress messages; `aborting`
// stops the search.
struct ProbeOutcome {
  PerformanceResult result;
  bool passed = false;
};
struct PeakSearch {
  bool finished = false;  // false: aborted on the way
  EffectiveSettings peak;
  PerformanceResult peak_result;
};
using Probe = std::function<ProbeOutcome(const EffectiveSettings&)>;
PeakSearch FindPeak(const EffectiveSettings& base,
                    const ProbeOutcome& base_outcome, const Probe& probe,
                    const std::function<void(const std::string&)>& note,
                    const std::function<bool()>& aborting);

}  // namespace internal
}  // namespace mlperf

#endif  // LOADGEN_SRC_TEST_MODES_H_
