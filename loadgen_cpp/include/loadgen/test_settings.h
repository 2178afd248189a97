// test_settings.h: what to run (TestSettings) and where to log (LogSettings).
//
// Source-compatible with the reference LoadGen's header: the same enums,
// fields, names and defaults. Fields marked "extension" are ours; they have
// defaults, so code written for the reference compiles unchanged.
//
//   mlperf::TestSettings s;
//   s.scenario = mlperf::TestScenario::Server;
//   s.server_target_qps = 100;
//   s.FromConfig("user.conf", "resnet50", "Server");  // optional
#ifndef LOADGEN_TEST_SETTINGS_H_
#define LOADGEN_TEST_SETTINGS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace mlperf {

enum class TestScenario {
  SingleStream,  // closed loop, one sample per query
  MultiStream,   // closed loop, multi_stream_samples_per_query per query
  Server,        // Poisson arrivals at server_target_qps
  Offline,       // one query holding every sample
};

enum class TestMode {
  SubmissionRun,        // accuracy, then performance
  AccuracyOnly,         // every sample once, all responses logged
  PerformanceOnly,      // timed run over one loaded set
  FindPeakPerformance,  // Server only: search the highest passing qps
};

// One problem found while reading a configuration file (extension).
struct ConfigDiagnostic {
  bool is_error = true;  // false: a warning
  std::string file;      // the file it was found in
  int line = 0;          // 1-based; 0 when it concerns the whole file
  std::string key;       // the key concerned, if any
  std::string message;   // what is wrong, in words
};

// TestSettings::watchdog_timeout_ms's default: derive the limit from the
// other settings (see there).
constexpr uint64_t kWatchdogFromSettings = ~uint64_t{0};

struct TestSettings {
  TestScenario scenario = TestScenario::SingleStream;
  TestMode mode = TestMode::PerformanceOnly;

  // SingleStream. The expected latency only sets how fast the reference would
  // pre-generate queries; it shapes the query stream, not the verdict.
  double single_stream_expected_latency_ns = 1000000;
  double single_stream_target_latency_percentile = 0.90;

  // MultiStream.
  double multi_stream_expected_latency_ns = 8000000;
  double multi_stream_target_latency_percentile = 0.99;
  uint64_t multi_stream_samples_per_query = 8;

  // Server.
  double server_target_qps = 1;
  uint64_t server_target_latency_ns = 100000000;
  double server_target_latency_percentile = 0.99;
  bool server_coalesce_queries = false;
  int server_find_peak_qps_decimals_of_precision = 1;
  double server_find_peak_qps_boundary_step_size = 1;
  uint64_t server_max_async_queries = 0;  // 0: unlimited
  uint64_t server_num_issue_query_threads = 0;
  // Extension: FindPeakPerformance probes end as soon as their verdict at
  // the probed rate is decided (docs/design.md, "Peak search that stops
  // early"): PASS once early stopping certifies the latency percentile
  // (counting every outstanding query as over the bound), FAIL once more
  // queries are over the bound than a full probe allows, or than the
  // percentile allows with the rules' 99% confidence. false: every probe
  // runs its full duration, as the reference does. Probes are never
  // official performance runs either way.
  bool server_find_peak_stop_early = true;
  // Extension: the share of a full probe's queries a probe issues at least
  // before a statistical verdict (PASS, or FAIL by the binomial bound) may
  // end it, so a SUT's warm-up or a queue still filling is seen; a FAIL
  // that no later query could undo ends a probe at any time. In [0, 1].
  double server_find_peak_min_probe_fraction = 0.25;

  // Offline.
  double offline_expected_qps = 1;
  bool sample_concatenate_permutation = false;

  // Run length.
  uint64_t min_duration_ms = 10000;
  uint64_t max_duration_ms = 0;  // 0: unlimited
  uint64_t min_query_count = 100;
  uint64_t max_query_count = 0;  // 0: unlimited

  // Random seeds (std::mt19937) and accuracy-log sampling.
  uint64_t qsl_rng_seed = 0;
  uint64_t sample_index_rng_seed = 0;
  uint64_t schedule_rng_seed = 0;
  uint64_t accuracy_log_rng_seed = 0;
  double accuracy_log_probability = 0.0;
  uint64_t accuracy_log_sampling_target = 0;
  bool test05 = false;
  uint64_t test05_qsl_rng_seed = 0;
  uint64_t test05_sample_index_rng_seed = 0;
  uint64_t test05_schedule_rng_seed = 0;

  // Audit and special modes.
  bool print_timestamps = false;
  bool performance_issue_unique = false;
  bool performance_issue_same = false;
  uint64_t performance_issue_same_index = 0;
  uint64_t performance_sample_count_override = 0;  // 0: the QSL's
  uint64_t accuracy_sample_count_override = 0;     // 0: the QSL's total

  // Token latencies (LLMs).
  bool use_token_latencies = false;
  uint64_t server_ttft_latency = 100000000;
  uint64_t server_tpot_latency = 100000000;
  bool infer_token_latencies = false;
  uint64_t token_latency_scaling_factor = 0;

  // Extension: if samples are outstanding and none completes for this long,
  // the test ends INVALID, reporting how many never completed. 0 disables
  // this watchdog. The default, kWatchdogFromSettings, derives the limit from
  // what the settings say the SUT should take, generously: 10 times the
  // expected time (Offline: the whole query at offline_expected_qps;
  // SingleStream/MultiStream: the expected latency; Server: the target
  // latency or the mean gap between queries, whichever is longer), and never
  // less than 10 minutes. Past max_duration_ms the tail is waited for like
  // any other; only when this watchdog is off does max_duration_ms bound the
  // wait: no completion for max_duration_ms (at least 1 s) after it passed.
  uint64_t watchdog_timeout_ms = kWatchdogFromSettings;

  // Extension: the largest response (QuerySampleResponse::size, or a
  // first-token response) whose bytes LoadGen copies into the accuracy log.
  // A larger one, or one whose address cannot be read, is an error of that
  // sample: its data is not logged and the performance result is INVALID.
  uint64_t max_response_bytes = uint64_t{1} << 30;  // 1 GiB

  // Extension: how latencies are recorded (docs/design.md, "Bounded
  // memory"). kExact keeps every sample's record until the end of the run
  // (about 44 bytes a sample); kStreaming keeps a window of
  // streaming_window_samples records and folds completed samples into
  // log-linear histograms, so memory does not grow with the length of the
  // run and every reported latency is within 1/2048 of the exact value (the
  // verdict is the same: the counts over each latency bound are exact).
  // kAuto, the default, runs exact and switches to streaming once the exact
  // records of a performance run would pass exact_record_budget_bytes (at
  // the start when the settings already say so). Offline runs and accuracy
  // runs are always exact: their one query or the accuracy set is issued at
  // once.
  enum class RecordMode { kAuto, kExact, kStreaming };
  RecordMode record_mode = RecordMode::kAuto;
  uint64_t exact_record_budget_bytes = uint64_t{2} << 30;  // 2 GiB
  // Extension: the records kept at once in streaming mode (rounded up to a
  // power of two; 0: 2^22). A sample still outstanding when its record is
  // needed again moves to a side table, so a slow sample is never lost.
  uint64_t streaming_window_samples = 0;

  // Extension: problems found by FromConfig. The next test run with these
  // settings writes each as an error_invalid_config (or warning) record.
  std::vector<ConfigDiagnostic> config_diagnostics;

  // Extension: whether FromConfig already applied the built-in mlperf.conf
  // to this object (the reference tracks this once per process). Set by the
  // first conf_type 1 call; a conf_type 0 call does not set it, because the
  // reference counts only user.conf calls.
  bool builtin_config_applied = false;

  // Reads `model.scenario.key = value` lines from `path` (conf_type 1, a
  // user.conf; the built-in mlperf.conf is applied first on the first call)
  // or applies only the built-in mlperf.conf (conf_type 0; path ignored).
  // Returns 0 on success, -ENOENT when the file cannot be opened, -EINVAL when
  // a line is malformed (then no value of that file is applied). Problems are
  // also recorded in config_diagnostics. Not thread-safe for one object.
  int FromConfig(const std::string &path, const std::string &model,
                 const std::string &scenario, int conf_type = 1);
};

enum class LoggingMode {
  AsyncPoll,
  EndOfTestOnly,
  Synchronous,
};

// Where the log files go: outdir + "/" + prefix + [datetime + "_"] +
// {summary,detail,accuracy,trace} + suffix + {.txt,.txt,.json,.json}.
struct LogOutputSettings {
  std::string outdir = ".";
  std::string prefix = "mlperf_log_";
  std::string suffix = "";
  bool prefix_with_datetime = false;
  bool copy_detail_to_stdout = false;
  bool copy_summary_to_stdout = false;
};

struct LogSettings {
  LogOutputSettings log_output;
  LoggingMode log_mode = LoggingMode::AsyncPoll;
  uint64_t log_mode_async_poll_interval_ms = 1000;
  bool enable_trace = true;
};

}  // namespace mlperf

#endif  // LOADGEN_TEST_SETTINGS_H_
