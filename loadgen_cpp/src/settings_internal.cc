#include "settings_internal.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "config_rules.h"

namespace mlperf {
namespace internal {

namespace {

constexpr const char* kModeNames[] = {"SubmissionRun", "AccuracyOnly",
                                      "PerformanceOnly", "FindPeakPerformance"};

// names[value], or `invalid` for a value out of the enum's range.
template <size_t N>
const char* NameOf(const char* const (&names)[N], int value,
                   const char* invalid) {
  return value >= 0 && static_cast<size_t>(value) < N ? names[value] : invalid;
}

template <typename T>
[[noreturn]] void Reject(const char* field, T value, const std::string& why) {
  std::ostringstream os;
  os.precision(17);
  os << "TestSettings." << field << " = " << value << " is invalid: " << why;
  throw std::invalid_argument(os.str());
}

void CheckPercentile(const char* field, double p) {
  if (!(p > 0.0 && p < 1.0)) {
    Reject(field, p, "a percentile must lie strictly between 0 and 1");
  }
}

void CheckPositiveFinite(const char* field, double v) {
  if (!(v > 0.0) || !std::isfinite(v)) {
    Reject(field, v, "it must be a finite number greater than 0");
  }
}

constexpr uint64_t kMaxSampleIndex = (1ull << 32) - 1;

}  // namespace

const char* ToString(TestScenario scenario) {
  return NameOf(cfg::kScenarioNames, static_cast<int>(scenario),
                "InvalidScenario");
}

const char* ToString(TestMode mode) {
  return NameOf(kModeNames, static_cast<int>(mode), "InvalidMode");
}

void ValidateSettings(const TestSettings& s, uint64_t qsl_total,
                      uint64_t qsl_performance) {
  const int scen = static_cast<int>(s.scenario);
  if (scen < 0 || scen > 3) Reject("scenario", scen, "unknown scenario");
  const int mode = static_cast<int>(s.mode);
  if (mode < 0 || mode > 3) Reject("mode", mode, "unknown test mode");

  if (qsl_total == 0) {
    throw std::invalid_argument(
        "QuerySampleLibrary.TotalSampleCount() = 0 is invalid: the QSL must "
        "have at least one sample");
  }
  if (qsl_total > kMaxSampleIndex) {
    throw std::invalid_argument(
        "QuerySampleLibrary.TotalSampleCount() = " + std::to_string(qsl_total) +
        " is invalid: at most 4294967295 samples are supported");
  }
  const uint64_t perf_count = s.performance_sample_count_override != 0
                                  ? s.performance_sample_count_override
                                  : qsl_performance;
  if (perf_count == 0) {
    throw std::invalid_argument(
        "QuerySampleLibrary.PerformanceSampleCount() = 0 is invalid (and "
        "TestSettings.performance_sample_count_override is 0): at least one "
        "sample must be loadable");
  }
  if (s.performance_sample_count_override > kMaxSampleIndex) {
    Reject("performance_sample_count_override",
           s.performance_sample_count_override, "at most 4294967295");
  }

  switch (s.scenario) {
    case TestScenario::SingleStream:
      CheckPositiveFinite("single_stream_expected_latency_ns",
                          s.single_stream_expected_latency_ns);
      CheckPercentile("single_stream_target_latency_percentile",
                      s.single_stream_target_latency_percentile);
      break;
    case TestScenario::MultiStream:
      CheckPositiveFinite("multi_stream_expected_latency_ns",
                          s.multi_stream_expected_latency_ns);
      CheckPercentile("multi_stream_target_latency_percentile",
                      s.multi_stream_target_latency_percentile);
      if (s.multi_stream_samples_per_query == 0) {
        Reject("multi_stream_samples_per_query", 0,
               "a query needs at least one sample");
      }
      if (s.multi_stream_samples_per_query > std::min(perf_count, qsl_total)) {
        Reject("multi_stream_samples_per_query",
               s.multi_stream_samples_per_query,
               "it exceeds the number of loadable samples (" +
                   std::to_string(std::min(perf_count, qsl_total)) + ")");
      }
      break;
    case TestScenario::Server:
      CheckPositiveFinite("server_target_qps", s.server_target_qps);
      CheckPercentile("server_target_latency_percentile",
                      s.server_target_latency_percentile);
      // Token models bind TTFT and TPOT instead; mlperf.conf sets their
      // target_latency to 0.
      if (s.server_target_latency_ns == 0 && !s.use_token_latencies) {
        Reject("server_target_latency_ns", 0, "the latency bound must be > 0");
      }
      if (s.mode == TestMode::FindPeakPerformance) {
        CheckPositiveFinite("server_find_peak_qps_boundary_step_size",
                            s.server_find_peak_qps_boundary_step_size);
        if (s.server_find_peak_qps_decimals_of_precision < 0 ||
            s.server_find_peak_qps_decimals_of_precision > 9) {
          Reject("server_find_peak_qps_decimals_of_precision",
                 s.server_find_peak_qps_decimals_of_precision,
                 "use 0 to 9 decimals");
        }
        if (!(s.server_find_peak_min_probe_fraction >= 0.0 &&
              s.server_find_peak_min_probe_fraction <= 1.0)) {
          Reject("server_find_peak_min_probe_fraction",
                 s.server_find_peak_min_probe_fraction,
                 "it is a share of a probe's queries, in [0, 1]");
        }
      }
      break;
    case TestScenario::Offline: {
      if (!(s.offline_expected_qps >= 0.0) ||
          !std::isfinite(s.offline_expected_qps)) {
        Reject("offline_expected_qps", s.offline_expected_qps,
               "it must be a finite number >= 0");
      }
      const double target = 1.1 *
                            (static_cast<double>(s.min_duration_ms) / 1000.0) *
                            s.offline_expected_qps;
      if (!s.performance_issue_unique && s.min_query_count == 0 &&
          target < 1.0) {
        Reject("min_query_count", 0,
               "with offline_expected_qps * min_duration this small the "
               "Offline query would hold no sample");
      }
      if (target > 1e12) {
        Reject("offline_expected_qps", s.offline_expected_qps,
               "the Offline query would hold more than 1e12 samples");
      }
      break;
    }
  }
  if (s.mode == TestMode::FindPeakPerformance &&
      s.scenario != TestScenario::Server) {
    Reject("mode", "FindPeakPerformance",
           std::string("it applies to the Server scenario only, not ") +
               ToString(s.scenario));
  }
  if (s.scenario != TestScenario::Offline && s.min_query_count == 0 &&
      s.min_duration_ms == 0 && !s.performance_issue_unique) {
    Reject("min_query_count", 0,
           "with min_duration_ms = 0 too, the test would issue no query");
  }
  if (s.min_duration_ms > (1ull << 40)) {
    Reject("min_duration_ms", s.min_duration_ms, "too large");
  }
  if (s.max_duration_ms > (1ull << 40)) {
    Reject("max_duration_ms", s.max_duration_ms, "too large");
  }
  if (!(s.accuracy_log_probability >= 0.0 &&
        s.accuracy_log_probability <= 1.0)) {
    Reject("accuracy_log_probability", s.accuracy_log_probability,
           "a probability must lie in [0, 1]");
  }
  if (s.performance_issue_unique && s.performance_issue_same) {
    Reject("performance_issue_same", "true",
           "performance_issue_unique and performance_issue_same exclude each "
           "other");
  }
  if (s.performance_issue_same &&
      s.performance_issue_same_index >= std::min(perf_count, qsl_total)) {
    Reject("performance_issue_same_index", s.performance_issue_same_index,
           "it must be below the performance sample count (" +
               std::to_string(std::min(perf_count, qsl_total)) + ")");
  }
  if (s.use_token_latencies) {
    if (s.server_ttft_latency == 0) Reject("ttft_latency", 0, "must be > 0");
    if (s.server_tpot_latency == 0) Reject("tpot_latency", 0, "must be > 0");
  }
}

EffectiveSettings DeriveSettings(const TestSettings& r, uint64_t qsl_total,
                                 uint64_t qsl_performance) {
  EffectiveSettings e;
  e.requested = r;
#define LOADGEN_COPY(name) e.name = r.name;
  LOADGEN_COPIED_SETTINGS(LOADGEN_COPY)
#undef LOADGEN_COPY
  e.scenario = r.scenario;
  e.mode = r.mode;
  e.qsl_total_sample_count = qsl_total;
  e.qsl_performance_sample_count = qsl_performance;
  e.target_duration_ms = static_cast<int64_t>(r.min_duration_ms);
  e.min_duration_ms = static_cast<int64_t>(r.min_duration_ms);
  e.max_duration_ms = static_cast<int64_t>(r.max_duration_ms);
  e.min_query_count = r.min_query_count;
  e.qsl_rng_seed = r.test05 ? r.test05_qsl_rng_seed : r.qsl_rng_seed;
  e.sample_index_rng_seed =
      r.test05 ? r.test05_sample_index_rng_seed : r.sample_index_rng_seed;
  e.schedule_rng_seed =
      r.test05 ? r.test05_schedule_rng_seed : r.schedule_rng_seed;
  e.server_ttft_latency_ns = static_cast<int64_t>(r.server_ttft_latency);
  e.server_tpot_latency_ns = static_cast<int64_t>(r.server_tpot_latency);

  switch (r.scenario) {
    case TestScenario::SingleStream:
      e.target_qps = 1e9 / r.single_stream_expected_latency_ns;
      e.max_async_queries = 1;
      e.target_latency_percentile = r.single_stream_target_latency_percentile;
      break;
    case TestScenario::MultiStream:
      e.target_qps = 1e9 / r.multi_stream_expected_latency_ns;
      e.max_async_queries = 1;
      e.target_latency_percentile = r.multi_stream_target_latency_percentile;
      break;
    case TestScenario::Server:
      e.target_qps = r.server_target_qps;
      e.target_latency_ns = static_cast<int64_t>(r.server_target_latency_ns);
      e.target_latency_percentile = r.server_target_latency_percentile;
      e.max_async_queries = r.server_max_async_queries;
      break;
    case TestScenario::Offline:
      e.target_latency_percentile = 0.99;
      e.target_qps = r.offline_expected_qps;
      e.max_async_queries = 1;
      break;
  }
  e.performance_sample_count = r.performance_sample_count_override == 0
                                   ? qsl_performance
                                   : r.performance_sample_count_override;
  e.accuracy_sample_count = r.accuracy_sample_count_override == 0
                                ? qsl_total
                                : r.accuracy_sample_count_override;
  if (r.scenario == TestScenario::MultiStream) {
    e.samples_per_query = r.multi_stream_samples_per_query;
  }
  if (r.scenario == TestScenario::Offline) {
    // 10% slack so the one query outlasts the minimum duration.
    const uint64_t target_samples = static_cast<uint64_t>(
        1.1 * (static_cast<double>(e.target_duration_ms) / 1000.0) *
        e.target_qps);
    e.samples_per_query =
        r.performance_issue_unique
            ? e.performance_sample_count
            : std::max<uint64_t>(e.min_query_count, target_samples);
    e.min_query_count = 1;
    e.target_duration_ms = 0;
  }
  if (e.sample_concatenate_permutation &&
      r.scenario == TestScenario::SingleStream) {
    const uint64_t expected = static_cast<uint64_t>(
        2.0 * (static_cast<double>(e.target_duration_ms) / 1000.0) *
        e.target_qps);
    e.min_query_count = std::max(e.min_query_count, expected);
    e.min_query_count +=
        qsl_performance - (e.min_query_count % qsl_performance);
  }
  e.min_sample_count = e.min_query_count * e.samples_per_query;
  return e;
}

EffectiveSettings WithTargetQps(const EffectiveSettings& s, double qps) {
  TestSettings r = s.requested;
  r.server_target_qps = qps;
  return DeriveSettings(r, s.qsl_total_sample_count,
                        s.qsl_performance_sample_count);
}

int64_t WatchdogTimeoutNs(const EffectiveSettings& s, uint64_t samples) {
  const uint64_t ms = s.requested.watchdog_timeout_ms;
  constexpr int64_t kMaxNs = int64_t{1} << 62;  // "never", without overflow
  if (ms == 0) return 0;
  if (ms != kWatchdogFromSettings) {
    return ms >= static_cast<uint64_t>(kMaxNs / 1000000)
               ? kMaxNs
               : static_cast<int64_t>(ms) * 1000000;
  }
  // What the settings say the SUT should take to answer what is outstanding.
  const double qps = s.target_qps > 0 ? s.target_qps : 1.0;
  double expected_ns = 1e9 / qps;  // SingleStream/MultiStream: the latency
  if (s.scenario == TestScenario::Offline) {
    expected_ns = static_cast<double>(samples) * 1e9 / qps;
  } else if (s.scenario == TestScenario::Server) {
    expected_ns =
        std::max(expected_ns, static_cast<double>(s.target_latency_ns));
  }
  const double ns = std::max(static_cast<double>(kWatchdogFloorNs),
                             kWatchdogFactor * expected_ns);
  return ns >= static_cast<double>(kMaxNs) ? kMaxNs : static_cast<int64_t>(ns);
}

}  // namespace internal
}  // namespace mlperf
