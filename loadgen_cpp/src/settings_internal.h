// settings_internal.h: the settings a run actually uses, derived from the
// requested TestSettings and the QSL's counts, and their validation.
#ifndef LOADGEN_SRC_SETTINGS_INTERNAL_H_
#define LOADGEN_SRC_SETTINGS_INTERNAL_H_

#include <cstdint>
#include <string>

#include "loadgen/test_settings.h"

namespace mlperf {
namespace internal {

const char* ToString(TestScenario scenario);
const char* ToString(TestMode mode);

// The settings EffectiveSettings takes from TestSettings as they are: X(name)
// for each (DeriveSettings copies them; each has TestSettings' type).
// clang-format off
#define LOADGEN_COPIED_SETTINGS(X)                                          \
  X(max_query_count)                                                        \
  X(accuracy_log_rng_seed) X(accuracy_log_probability)                      \
  X(accuracy_log_sampling_target)                                           \
  X(print_timestamps) X(performance_issue_unique) X(performance_issue_same) \
  X(performance_issue_same_index) X(sample_concatenate_permutation)         \
  X(use_token_latencies) X(infer_token_latencies)                           \
  X(token_latency_scaling_factor)
// clang-format on

// Derived as the reference LoadGen derives them (see docs/design.md).
struct EffectiveSettings {
  TestSettings requested;
  TestScenario scenario = TestScenario::SingleStream;
  TestMode mode = TestMode::PerformanceOnly;
  uint64_t samples_per_query = 1;  // Offline: the size of its one query
  double target_qps = 1;
  int64_t target_latency_ns = 0;  // Server only
  double target_latency_percentile = 0.99;
  uint64_t max_async_queries = 0;
  int64_t target_duration_ms = 0;  // Offline: 0
  int64_t min_duration_ms = 0;
  int64_t max_duration_ms = 0;
  uint64_t min_query_count = 0;  // Offline: 1
  uint64_t min_sample_count = 0;
  uint64_t qsl_rng_seed = 0;
  uint64_t sample_index_rng_seed = 0;
  uint64_t schedule_rng_seed = 0;
  uint64_t performance_sample_count = 0;
  uint64_t accuracy_sample_count = 0;
  int64_t server_ttft_latency_ns = 0;
  int64_t server_tpot_latency_ns = 0;
  uint64_t qsl_total_sample_count = 0;
  uint64_t qsl_performance_sample_count = 0;
#define LOADGEN_DECLARE_COPIED(name) decltype(TestSettings::name) name{};
  LOADGEN_COPIED_SETTINGS(LOADGEN_DECLARE_COPIED)
#undef LOADGEN_DECLARE_COPIED
};

// Checks every requested setting and the QSL's counts; throws
// std::invalid_argument naming the field and the value on the first problem.
// Runs before any thread starts or any callback is made.
void ValidateSettings(const TestSettings& s, uint64_t qsl_total,
                      uint64_t qsl_performance);

// Derives the effective settings (assumes ValidateSettings passed).
EffectiveSettings DeriveSettings(const TestSettings& s, uint64_t qsl_total,
                                 uint64_t qsl_performance);

// The watchdog's limit in ns (0: off) while `samples` samples of a phase are
// to be waited for: watchdog_timeout_ms when set explicitly, else derived as
// test_settings.h documents (kWatchdogFactor times the expected time, at
// least kWatchdogFloorNs).
constexpr int64_t kWatchdogFloorNs = int64_t{600} * 1000000000;  // 10 min
constexpr double kWatchdogFactor = 10.0;
int64_t WatchdogTimeoutNs(const EffectiveSettings& s, uint64_t samples);

// The same derivation with another scenario's target qps (FindPeakPerformance
// probes).
EffectiveSettings WithTargetQps(const EffectiveSettings& s, double qps);

}  // namespace internal
}  // namespace mlperf

#endif  // LOADGEN_SRC_SETTINGS_INTERNAL_H_
