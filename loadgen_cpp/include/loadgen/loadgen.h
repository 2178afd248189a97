// loadgen.h: start a test, and report completions from the SUT.
//
// Source-compatible with the reference LoadGen's loadgen.h (namespace mlperf),
// plus extensions: RunTest returns the results as data, and completion by id
// arrays avoids building response structs.
//
//   MySut sut; MyQsl qsl;
//   mlperf::TestSettings settings;            // SingleStream, PerformanceOnly
//   mlperf::LogSettings log;                  // logs into "."
//   mlperf::StartTest(&sut, &qsl, settings, log);
#ifndef LOADGEN_LOADGEN_H_
#define LOADGEN_LOADGEN_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <numeric>
#include <string>
#include <vector>

#include "query_sample.h"
#include "query_sample_library.h"
#include "system_under_test.h"
#include "test_settings.h"

namespace mlperf {

// Called once per response whose data LoadGen logs (every response in
// accuracy mode, the sampled ones in performance mode), on the completing
// thread, before QuerySamplesComplete returns.
using ResponseCallback = std::function<void(QuerySampleResponse*)>;

// Reports that the given samples are done. Thread-safe: call it from any
// thread, any number of times, concurrently; it never blocks on the issuing
// thread and does not allocate unless the response's data must be logged.
// `responses` is only read during the call (the data bytes are copied when
// they are logged). An id that was not issued by the running test, or that was
// already completed, is counted as an error of the run (and logged) and
// otherwise ignored. With no test running the call reports the problem on
// stderr and returns.
void QuerySamplesComplete(QuerySampleResponse* responses, size_t response_count,
                          const ResponseCallback& response_cb = {});

// Reports the first token of the given samples (use_token_latencies only).
// Same threading and error contract as QuerySamplesComplete.
void FirstTokenComplete(QuerySampleResponse* responses, size_t response_count,
                        const ResponseCallback& response_cb = {});

// Runs the test: loads samples through `qsl`, issues queries to `sut`, waits
// for the responses, and writes the MLPerf logs. Blocks until the test ends.
// Every SUT and QSL method is called on the calling thread. Settings are
// validated before anything starts: an invalid one throws
// std::invalid_argument naming the field and value. Starting a second test
// while one runs throws std::logic_error. An exception thrown by a SUT or QSL
// method ends the test cleanly (logs written) and is rethrown here.
void StartTest(SystemUnderTest* sut, QuerySampleLibrary* qsl,
               const TestSettings& requested_settings,
               const LogSettings& log_settings,
               const std::string audit_config_filename = "audit.config");

// Asks the running test to stop issuing and end as soon as possible (the
// verdict is INVALID). Thread-safe; a no-op when no test runs.
void AbortTest();

// Kept for source compatibility: LoadGen issues all queries from the thread
// that called StartTest, so a registered thread has nothing to do and this
// returns at once. server_num_issue_query_threads is accepted but ignored.
void RegisterIssueQueryThread();

// ---------------------------------------------------------------------------
// Extensions.

// Statistics over one set of latencies, in nanoseconds. Percentiles are
// nearest-rank on the sorted values: p -> sorted[floor(n * p)].
struct LatencyStats {
  int64_t count = 0;
  int64_t min_ns = 0;
  int64_t max_ns = 0;
  int64_t mean_ns = 0;
  // For 0.50, 0.90, 0.95, 0.97, 0.99 and 0.999, in that order.
  std::vector<double> percentiles;
  std::vector<int64_t> percentile_ns;
};

// The outcome of one performance run (one per probe in FindPeakPerformance).
struct PerformanceResult {
  std::string scenario;  // "SingleStream", ...
  bool valid = false;
  bool min_duration_met = false;
  bool min_queries_met = false;
  bool perf_constraints_met = true;  // Server only
  bool early_stopping_met = true;
  std::vector<std::string> invalid_reasons;  // empty when valid
  // Why issuing stopped before the minimums were both met: "Max query count
  // reached", "Max test duration reached", "Too many outstanding queries";
  // empty when the run ended naturally. (These are logged as error_runtime,
  // as the reference does, but are not faults of the SUT.) A FindPeak probe
  // that stopped early says "Peak-search probe decided: PASS" (or FAIL),
  // which is not logged as an error.
  std::string early_end_reason;
  int64_t queries_issued = 0;
  int64_t samples_issued = 0;
  int64_t samples_completed = 0;
  int64_t samples_never_completed = 0;
  double target_qps = 0;
  // The scenario's metric: SS p90 latency (ns), MS p99 per-query latency (ns),
  // Server completed samples/s, Offline samples/s.
  double metric = 0;
  std::string metric_name;
  double final_query_scheduled_s = 0;
  double final_query_issued_s = 0;
  double final_query_done_s = 0;
  double max_latency_s = 0;
  double qps_with_loadgen_overhead = 0;     // SingleStream
  double qps_without_loadgen_overhead = 0;  // SingleStream
  double scheduled_samples_per_sec = 0;     // Server
  double completed_samples_per_sec = 0;     // Server
  double samples_per_sec = 0;               // Offline
  int64_t overlatency_query_count = 0;      // Server
  int64_t early_stopping_latency_ss = 0;    // SS p90 estimate
  int64_t early_stopping_latency_ms = 0;    // SS p99 / MS estimate
  std::vector<std::string> early_stopping_lines;
  LatencyStats sample_latency;
  LatencyStats query_latency;  // MultiStream
  LatencyStats issue_lag;      // actual issue - scheduled issue time
  LatencyStats first_token;    // use_token_latencies
  int64_t first_token_target_percentile_ns = 0;
  LatencyStats time_per_output_token;
  int64_t token_count = 0;
  // How latencies were recorded (TestSettings::record_mode): "exact", or
  // "streaming", where every latency above is within latency_relative_error
  // of the exact value (counts, min, max, mean and the verdict are exact).
  std::string record_mode = "exact";
  double latency_relative_error = 0;
  // Streaming: the first sample recorded in a histogram (0: the whole run;
  // more when auto mode switched during the run); -1 in exact mode.
  int64_t streaming_from_sample = -1;
  uint64_t streaming_window = 0;  // records kept at once
  // Samples still outstanding when their record was needed again (moved to
  // the straggler table; none is lost).
  int64_t stragglers = 0;
};

// One probe of FindPeakPerformance (extension): a Server performance run at
// one target rate that ends as soon as its verdict is decided (see
// TestSettings::server_find_peak_stop_early). Not an official performance
// run. Its PerformanceResult is the entry of TestResult::performance with the
// same index.
struct PeakProbe {
  double target_qps = 0;
  bool passed = false;
  // "pass" or "fail" (decided early), or "duration" (ran its full duration
  // and was judged like a performance run: percentile latency <= bound).
  std::string decided_by;
  std::string reason;  // the rule that decided, with its numbers
  int64_t queries_issued = 0;
  int64_t queries_completed = 0;
  // The queries judged when it was decided (the oldest ones, in order: each
  // completed, or outstanding past the bound) and how many were over it.
  int64_t decided_queries = 0;
  int64_t overlatency_queries = 0;
  int64_t full_probe_queries = 0;  // what the full duration would issue
  double seconds = 0;              // on the run's clock, loading included
};

// Everything a test produced, besides the log files.
struct TestResult {
  std::vector<PerformanceResult> performance;  // in run order
  bool has_accuracy = false;
  int64_t accuracy_samples_issued = 0;
  int64_t accuracy_samples_completed = 0;
  int64_t num_errors = 0;
  int64_t num_warnings = 0;
  std::vector<std::string> errors;  // the first few error messages
  bool aborted = false;             // AbortTest, an exception, the watchdog
  std::string abort_reason;
  double peak_qps = 0;  // FindPeakPerformance
  // FindPeakPerformance: every probe in run order, the base one first; the
  // peak's result is the last passing probe at peak_qps.
  std::vector<PeakProbe> peak_probes;
  std::string summary_path;
  std::string detail_path;
  std::string accuracy_path;
  std::string trace_path;
  // mlperf_log_summary.json: the versioned, machine-readable result
  // (docs/logs.md); every figure above is in it under the same name.
  std::string summary_json_path;
};

// Options of RunTest beyond the reference's StartTest.
struct RunOptions {
  std::string audit_config_filename = "audit.config";
  // Called on the StartTest thread at least every `poll_interval_ms` while
  // that thread waits. Throwing from it aborts the test; StartTest/RunTest
  // rethrows the exception once the logs are written. Used by the Python
  // bindings to deliver Ctrl-C.
  std::function<void()> poll;
  int64_t poll_interval_ms = 50;
};

// StartTest, returning the results as data.
TestResult RunTest(SystemUnderTest* sut, QuerySampleLibrary* qsl,
                   const TestSettings& requested_settings,
                   const LogSettings& log_settings,
                   const RunOptions& options = RunOptions());

// Completes `count` samples by id, without response data. Same contract as
// QuerySamplesComplete. The fast path for SUTs with nothing to log.
void QuerySamplesCompleteIds(const ResponseId* ids, size_t count);

// Completes `count` samples; sample i's data is data[offsets[i] ..
// offsets[i+1]) (offsets has count+1 entries), and n_tokens may be null.
void QuerySamplesCompleteBuffer(const ResponseId* ids, size_t count,
                                const uint8_t* data, const uint64_t* offsets,
                                const int64_t* n_tokens);

// The version of this library, e.g. "0.1.0".
const char* Version();

}  // namespace mlperf

#endif  // LOADGEN_LOADGEN_H_
