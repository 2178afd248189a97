// config_rules.h: the settings FromConfig reads (kRules), as data. Shared
// by the parser (diagnostics: which keys exist, under which scenario) and the
// applier (config.cc). Internal to the config reader.
#ifndef LOADGEN_SRC_CONFIG_RULES_H_
#define LOADGEN_SRC_CONFIG_RULES_H_

#include <cstdint>

#include "loadgen/test_settings.h"

namespace mlperf {
namespace internal {
namespace cfg {

inline constexpr const char *kScenarioNames[] = {"SingleStream", "MultiStream",
                                                 "Server", "Offline"};

// ---------------------------------------------------------------------------
// The settings FromConfig reads, in the order it applies them. The order
// matters twice: use_token_latencies comes before ttft/tpot_latency and
// infer_token_latencies before token_latency_scaling_factor, because those
// are only read when the flag is set (by this file or an earlier one).
// ---------------------------------------------------------------------------

enum class Kind {
  kUnsigned,  // uint64 = strtoull(value) * multiplier (wrapping)
  kDouble,    // double = strtod(value) * multiplier
  kFlagOne,   // bool = (strtoull(value) == 1)
  kFlagSet,   // bool = (strtoull(value) != 0)
  kMode,      // TestMode from 0..3; other values are reported and ignored
  kInt32,     // uint64 = (int32) strtoull(value): the reference's int() cast
};

struct Rule {
  const char *key;       // the last part of model.scenario.key
  const char *scenario;  // looked up under this scenario; null: the argument
  Kind kind;
  double multiplier;  // 1e6: ms to ns; 0.01: percent to fraction
  const char *field;  // the TestSettings member, for explanations
  uint64_t TestSettings::*u64;
  double TestSettings::*f64;
  bool TestSettings::*flag;
  bool builtin_only;            // honoured from the built-in file only
  bool TestSettings::*only_if;  // read only while this flag is true
};

constexpr Rule Unsigned(const char *key, const char *scenario,
                        uint64_t TestSettings::*m, const char *field,
                        double multiplier = 1, bool builtin_only = false,
                        bool TestSettings::*only_if = nullptr) {
  return Rule{key, scenario, Kind::kUnsigned, multiplier,   field,
              m,   nullptr,  nullptr,         builtin_only, only_if};
}
constexpr Rule Double(const char *key, const char *scenario,
                      double TestSettings::*m, const char *field,
                      double multiplier = 1, bool builtin_only = false) {
  return Rule{key,     scenario, Kind::kDouble, multiplier,   field,
              nullptr, m,        nullptr,       builtin_only, nullptr};
}
constexpr Rule Flag(const char *key, const char *scenario, Kind kind,
                    bool TestSettings::*m, const char *field,
                    bool builtin_only = false) {
  return Rule{key,     scenario, kind,         1,      field, nullptr,
              nullptr, m,        builtin_only, nullptr};
}

inline constexpr double kMsToNs = 1000.0 * 1000.0;
constexpr double kPercent = 0.01;
using TS = TestSettings;

inline constexpr Rule kRules[] = {
    {"mode", nullptr, Kind::kMode, 1, "mode", nullptr, nullptr, nullptr, false,
     nullptr},
    // Only from the built-in mlperf.conf.
    Unsigned("qsl_rng_seed", nullptr, &TS::qsl_rng_seed, "qsl_rng_seed", 1,
             true),
    Unsigned("sample_index_rng_seed", nullptr, &TS::sample_index_rng_seed,
             "sample_index_rng_seed", 1, true),
    Unsigned("schedule_rng_seed", nullptr, &TS::schedule_rng_seed,
             "schedule_rng_seed", 1, true),
    Double("accuracy_log_probability", nullptr, &TS::accuracy_log_probability,
           "accuracy_log_probability", kPercent, true),
    Flag("test05", nullptr, Kind::kFlagOne, &TS::test05, "test05", true),
    Unsigned("test05_qsl_rng_seed", nullptr, &TS::test05_qsl_rng_seed,
             "test05_qsl_rng_seed", 1, true),
    Unsigned("test05_sample_index_rng_seed", nullptr,
             &TS::test05_sample_index_rng_seed, "test05_sample_index_rng_seed",
             1, true),
    Unsigned("test05_schedule_rng_seed", nullptr, &TS::test05_schedule_rng_seed,
             "test05_schedule_rng_seed", 1, true),
    // Token latencies.
    Flag("use_token_latencies", nullptr, Kind::kFlagOne,
         &TS::use_token_latencies, "use_token_latencies"),
    Unsigned("ttft_latency", "Server", &TS::server_ttft_latency,
             "server_ttft_latency", kMsToNs, false, &TS::use_token_latencies),
    Unsigned("tpot_latency", "Server", &TS::server_tpot_latency,
             "server_tpot_latency", kMsToNs, false, &TS::use_token_latencies),
    Flag("infer_token_latencies", nullptr, Kind::kFlagOne,
         &TS::infer_token_latencies, "infer_token_latencies"),
    Unsigned("token_latency_scaling_factor", nullptr,
             &TS::token_latency_scaling_factor, "token_latency_scaling_factor",
             1, false, &TS::infer_token_latencies),
    // Latency targets.
    Double("target_latency_percentile", "SingleStream",
           &TS::single_stream_target_latency_percentile,
           "single_stream_target_latency_percentile", kPercent),
    Double("target_latency_percentile", "MultiStream",
           &TS::multi_stream_target_latency_percentile,
           "multi_stream_target_latency_percentile", kPercent),
    Unsigned("samples_per_query", "MultiStream",
             &TS::multi_stream_samples_per_query,
             "multi_stream_samples_per_query"),
    Double("target_latency_percentile", "Server",
           &TS::server_target_latency_percentile,
           "server_target_latency_percentile", kPercent),
    Unsigned("target_latency", "Server", &TS::server_target_latency_ns,
             "server_target_latency_ns", kMsToNs),
    // Issue modes.
    Flag("performance_issue_unique", nullptr, Kind::kFlagSet,
         &TS::performance_issue_unique, "performance_issue_unique"),
    Flag("performance_issue_same", nullptr, Kind::kFlagSet,
         &TS::performance_issue_same, "performance_issue_same"),
    Unsigned("performance_issue_same_index", nullptr,
             &TS::performance_issue_same_index, "performance_issue_same_index"),
    Flag("sample_concatenate_permutation", nullptr, Kind::kFlagOne,
         &TS::sample_concatenate_permutation, "sample_concatenate_permutation"),
    Flag("coalesce_queries", "Server", Kind::kFlagSet,
         &TS::server_coalesce_queries, "server_coalesce_queries"),
    {"max_async_queries", "Server", Kind::kInt32, 1, "server_max_async_queries",
     &TS::server_max_async_queries, nullptr, nullptr, false, nullptr},
    // Run length and sample counts.
    Unsigned("min_duration", nullptr, &TS::min_duration_ms, "min_duration_ms"),
    Unsigned("max_duration", nullptr, &TS::max_duration_ms, "max_duration_ms"),
    Unsigned("min_query_count", nullptr, &TS::min_query_count,
             "min_query_count"),
    Unsigned("max_query_count", nullptr, &TS::max_query_count,
             "max_query_count"),
    Unsigned("performance_sample_count_override", nullptr,
             &TS::performance_sample_count_override,
             "performance_sample_count_override"),
    Unsigned("accuracy_sample_count_override", nullptr,
             &TS::accuracy_sample_count_override,
             "accuracy_sample_count_override"),
    // Expected latencies and rates (hints for query generation).
    Double("target_latency", "SingleStream",
           &TS::single_stream_expected_latency_ns,
           "single_stream_expected_latency_ns", kMsToNs),
    Double("target_latency", "MultiStream",
           &TS::multi_stream_expected_latency_ns,
           "multi_stream_expected_latency_ns", kMsToNs),
    Double("target_qps", "Server", &TS::server_target_qps, "server_target_qps"),
    Double("target_qps", "Offline", &TS::offline_expected_qps,
           "offline_expected_qps"),
    Flag("print_timestamps", nullptr, Kind::kFlagSet, &TS::print_timestamps,
         "print_timestamps"),
    // Audit (TEST01) sampling.
    Unsigned("accuracy_log_rng_seed", nullptr, &TS::accuracy_log_rng_seed,
             "accuracy_log_rng_seed"),
    Unsigned("accuracy_log_sampling_target", nullptr,
             &TS::accuracy_log_sampling_target, "accuracy_log_sampling_target"),
};

// Keys the official mlperf.conf writes although LoadGen never reads them.
inline constexpr const char *kUnreadKeys[] = {"target_duration"};

}  // namespace cfg
}  // namespace internal
}  // namespace mlperf

#endif  // LOADGEN_SRC_CONFIG_RULES_H_
