// results.h: from the raw measurements of one performance run to the
// verdict, the statistics and the text of mlperf_log_summary.txt.
#ifndef LOADGEN_SRC_RESULTS_H_
#define LOADGEN_SRC_RESULTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "latency_set.h"
#include "loadgen/loadgen.h"
#include "settings_internal.h"

namespace mlperf {
namespace internal {

// The figures of PerformanceResult that are what was measured: X(name) for
// each. RunMeasurements has them with PerformanceResult's type (value-
// initialized) and Summarize copies them. early_end_reason: why issuing
// stopped before the natural end ("" when it did not).
// clang-format off
#define LOADGEN_MEASURED_AS_REPORTED(X)                                    \
  X(early_end_reason)                                                      \
  X(final_query_scheduled_s) X(final_query_issued_s) X(final_query_done_s) \
  X(max_latency_s) X(token_count) X(streaming_window)
// clang-format on

// What one performance run measured. Times are seconds from the start of
// issuing; latencies nanoseconds.
struct RunMeasurements {
  EffectiveSettings settings;
  uint64_t queries_issued = 0;
  uint64_t samples_issued = 0;
  uint64_t samples_never_completed = 0;
  uint64_t bad_responses = 0;   // response data that could not be logged
  LatencySet sample_latencies;  // completed samples only
  LatencySet query_latencies;   // MultiStream: complete queries
  LatencySet issue_lags;        // Server, per query: issued - scheduled
  LatencySet first_token_latencies;
  LatencySet time_per_output_token;
  // How the latencies were recorded (PerformanceResult has the same fields).
  std::string record_mode = "exact";
  int64_t streaming_from_sample = -1;
  uint64_t stragglers = 0;
#define LOADGEN_DECLARE_MEASURED(name) decltype(PerformanceResult::name) name{};
  LOADGEN_MEASURED_AS_REPORTED(LOADGEN_DECLARE_MEASURED)
#undef LOADGEN_DECLARE_MEASURED
};

// Finishes `v` (sorts exact values) and fills count/min/max/mean/percentiles.
LatencyStats ComputeStats(LatencySet* v);

// The verdict and every figure of the summary. Finishes the sets of `m`.
PerformanceResult Summarize(RunMeasurements* m);

// mlperf_log_summary.txt's results part (from the banner to the test
// parameters), in the reference's layout.
std::string FormatSummary(const PerformanceResult& r,
                          const EffectiveSettings& s,
                          const std::string& sut_name);

// The "Test Parameters Used" block.
std::string FormatTestParameters(const EffectiveSettings& s);

// printf-like helpers matching the reference's number formats.
std::string FixedString(double v, int precision = 2);
std::string StreamString(double v);  // std::ostream default (6 significant)

}  // namespace internal
}  // namespace mlperf

#endif  // LOADGEN_SRC_RESULTS_H_
