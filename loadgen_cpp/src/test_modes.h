// test_modes.h: what each TestMode runs, in phases: AccuracyOnly (every
// sample once, per loadable set), PerformanceOnly (one timed run),
// SubmissionRun (both) and FindPeakPerformance, which is FindPeak: a search
// for the highest target qps that still meets the latency constraints, over
// any probe function (tests drive it with a synthetic probe).
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
                                bool accuracy)>
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
// are written.
PerformanceResult RunPerformanceMode(ModeContext* ctx,
                                     const EffectiveSettings& s, bool report);
void RunFindPeakMode(ModeContext* ctx, const EffectiveSettings& base);

// The search of FindPeakPerformance. From a `base` whose result met the
// constraints, widens geometrically (target_qps x (1 + step)) until a probe
// fails, then bisects until the bounds agree to the requested decimals.
// `note` receives the progress messages; `aborting` stops the search.
struct PeakSearch {
  bool finished = false;  // false: aborted on the way
  EffectiveSettings peak;
  PerformanceResult peak_result;
};
using Probe = std::function<PerformanceResult(const EffectiveSettings&)>;
PeakSearch FindPeak(const EffectiveSettings& base,
                    const PerformanceResult& base_result, const Probe& probe,
                    const std::function<void(const std::string&)>& note,
                    const std::function<bool()>& aborting);

}  // namespace internal
}  // namespace mlperf

#endif  // LOADGEN_SRC_TEST_MODES_H_
