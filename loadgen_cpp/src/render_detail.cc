// The settings and result records of mlperf_log_detail.txt, with the
// reference's keys and value formats.
#include <string>
#include <type_traits>

#include "renderers.h"
#include "results.h"

namespace mlperf {
namespace internal {

namespace {

// Adds records that share one time stamp.
struct RecordAdder {
  DetailLog* detail;
  int64_t t;
  void operator()(const std::string& key, const std::string& value) const {
    detail->Add(key, value, t);
  }
};

// A setting's value as the reference logs it for the setting's type.
template <typename T>
std::string SettingValue(T v) {
  if constexpr (std::is_same_v<T, bool>) {
    return JsonBool(v);
  } else if constexpr (std::is_floating_point_v<T>) {
    return JsonNumber(v);
  } else {
    return std::to_string(v);
  }
}

// The records TestSettings and EffectiveSettings share, as `prefix`name in
// the reference's order: the bounds, then `after_bounds()` (what only one of
// them logs there), then the seeds, the accuracy log's sampling and the issue
// options.
template <typename Settings, typename AfterBounds>
void AddSharedSettings(const RecordAdder& add, const std::string& prefix,
                       const Settings& s, AfterBounds after_bounds) {
  auto field = [&](const char* name, auto v) {
    add(prefix + name, SettingValue(v));
  };
  field("min_duration_ms", s.min_duration_ms);
  field("max_duration_ms", s.max_duration_ms);
  field("min_query_count", s.min_query_count);
  field("max_query_count", s.max_query_count);
  after_bounds();
  field("qsl_rng_seed", s.qsl_rng_seed);
  field("sample_index_rng_seed", s.sample_index_rng_seed);
  field("schedule_rng_seed", s.schedule_rng_seed);
  field("accuracy_log_rng_seed", s.accuracy_log_rng_seed);
  field("accuracy_log_probability", s.accuracy_log_probability);
  field("accuracy_log_sampling_target", s.accuracy_log_sampling_target);
  field("print_timestamps", s.print_timestamps);
  field("performance_issue_unique", s.performance_issue_unique);
  field("performance_issue_same", s.performance_issue_same);
  field("performance_issue_same_index", s.performance_issue_same_index);
}

// The keys of one latency distribution's records: min, max, mean, and each
// percentile as percentile_prefix + "50.00" + percentile_suffix.
struct StatsKeys {
  const char* min;
  const char* max;
  const char* mean;
  const char* percentile_prefix;
  const char* percentile_suffix;
};

void AddStats(const RecordAdder& add, const LatencyStats& st,
              const StatsKeys& keys) {
  add(keys.min, std::to_string(st.min_ns));
  add(keys.max, std::to_string(st.max_ns));
  add(keys.mean, std::to_string(st.mean_ns));
  for (size_t i = 0; i < st.percentiles.size(); ++i) {
    add(keys.percentile_prefix + FixedString(st.percentiles[i] * 100) +
            keys.percentile_suffix,
        std::to_string(st.percentile_ns[i]));
  }
}

}  // namespace

void LogSettingsRecords(DetailLog* detail, const TestSettings& r,
                        const EffectiveSettings& e, int64_t t) {
  const RecordAdder add{detail, t};
  auto u = [](uint64_t v) { return std::to_string(v); };
  add("requested_scenario", JsonString(ToString(r.scenario)));
  add("requested_test_mode", JsonString(ToString(r.mode)));
  switch (r.scenario) {
    case TestScenario::SingleStream:
      add("requested_single_stream_expected_latency_ns",
          JsonNumber(r.single_stream_expected_latency_ns));
      add("requested_single_stream_target_latency_percentile",
          JsonNumber(r.single_stream_target_latency_percentile));
      break;
    case TestScenario::MultiStream:
      add("requested_multi_stream_expected_latency_ns",
          JsonNumber(r.multi_stream_expected_latency_ns));
      add("requested_multi_stream_target_latency_percentile",
          JsonNumber(r.multi_stream_target_latency_percentile));
      add("requested_multi_stream_samples_per_query",
          u(r.multi_stream_samples_per_query));
      break;
    case TestScenario::Server:
      add("requested_server_target_qps", JsonNumber(r.server_target_qps));
      add("requested_server_target_latency_ns", u(r.server_target_latency_ns));
      add("requested_server_target_latency_percentile",
          JsonNumber(r.server_target_latency_percentile));
      add("requested_server_coalesce_queries",
          JsonBool(r.server_coalesce_queries));
      add("requested_server_find_peak_qps_decimals_of_precision",
          std::to_string(r.server_find_peak_qps_decimals_of_precision));
      add("requested_server_find_peak_qps_boundary_step_size",
          JsonNumber(r.server_find_peak_qps_boundary_step_size));
      add("requested_server_max_async_queries", u(r.server_max_async_queries));
      add("requested_server_num_issue_query_threads",
          u(r.server_num_issue_query_threads));
      break;
    case TestScenario::Offline:
      add("requested_offline_expected_qps", JsonNumber(r.offline_expected_qps));
      break;
  }
  AddSharedSettings(add, "requested_", r, [] {});
  add("requested_performance_sample_count_override",
      u(r.performance_sample_count_override));
  add("requested_accuracy_sample_count_override",
      u(r.accuracy_sample_count_override));
  add("requested_sample_concatenate_permutation",
      JsonBool(r.sample_concatenate_permutation));
  if (r.use_token_latencies) {
    add("requested_use_token_latencies", JsonBool(r.use_token_latencies));
    add("requested_server_ttft_latency", u(r.server_ttft_latency));
    add("requested_server_tpot_latency", u(r.server_tpot_latency));
  }
  add("effective_scenario", JsonString(ToString(e.scenario)));
  add("effective_test_mode", JsonString(ToString(e.mode)));
  add("effective_samples_per_query", u(e.samples_per_query));
  add("effective_target_qps", JsonNumber(e.target_qps));
  add("effective_target_latency_ns", std::to_string(e.target_latency_ns));
  add("effective_target_latency_percentile",
      JsonNumber(e.target_latency_percentile));
  add("effective_max_async_queries", u(e.max_async_queries));
  add("effective_target_duration_ms", std::to_string(e.target_duration_ms));
  AddSharedSettings(add, "effective_", e, [&] {
    add("effective_min_sample_count", u(e.min_sample_count));
  });
  add("effective_performance_sample_count", u(e.performance_sample_count));
  add("effective_accuracy_sample_count", u(e.accuracy_sample_count));
  add("effective_sample_concatenate_permutation",
      JsonBool(e.sample_concatenate_permutation));
  if (e.use_token_latencies) {
    add("effective_use_token_latencies", JsonBool(true));
    add("effective_server_ttft_latency",
        std::to_string(e.server_ttft_latency_ns));
    add("effective_server_tpot_latency",
        std::to_string(e.server_tpot_latency_ns));
  }
}

void LogResultRecords(DetailLog* detail, const PerformanceResult& r,
                      const EffectiveSettings& s, int64_t t) {
  const RecordAdder add{detail, t};
  auto i64 = [](int64_t v) { return std::to_string(v); };
  auto fixed = [](double v) { return JsonNumber(std::stod(FixedString(v))); };
  add("result_validity", JsonString(r.valid ? "VALID" : "INVALID"));
  if (s.scenario == TestScenario::Server) {
    add("result_perf_constraints_met", JsonBool(r.perf_constraints_met));
  }
  add("result_min_duration_met", JsonBool(r.min_duration_met));
  add("result_min_queries_met", JsonBool(r.min_queries_met));
  add("early_stopping_met", JsonBool(r.early_stopping_met));
  if (!r.valid) {
    std::string why;
    for (const auto& w : r.invalid_reasons) why += (why.empty() ? "" : " ") + w;
    add("result_invalid_reason", JsonString(why));
  }
  {
    // The summary's lines, newlines turned into spaces (as the reference).
    std::string es;
    for (const auto& line : r.early_stopping_lines)
      es += (es.empty() ? "" : " ") + line;
    add("early_stopping_result", JsonString(es));
  }
  add("result_query_count", i64(r.queries_issued));
  switch (s.scenario) {
    case TestScenario::SingleStream:
      add("result_qps_with_loadgen_overhead",
          fixed(r.qps_with_loadgen_overhead));
      add("result_qps_without_loadgen_overhead",
          fixed(r.qps_without_loadgen_overhead));
      add("early_stopping_latency_ss", i64(r.early_stopping_latency_ss));
      add("early_stopping_latency_ms", i64(r.early_stopping_latency_ms));
      break;
    case TestScenario::MultiStream:
      add("early_stopping_latency_ms", i64(r.early_stopping_latency_ms));
      AddStats(add, r.query_latency,
               {"result_min_query_latency_ns", "result_max_query_latency_ns",
                "result_mean_query_latency_ns", "result_",
                "_percentile_per_query_latency_ns"});
      break;
    case TestScenario::Server:
      add("result_overlatency_query_count", i64(r.overlatency_query_count));
      add("result_scheduled_samples_per_sec",
          fixed(r.scheduled_samples_per_sec));
      add("result_completed_samples_per_sec",
          fixed(r.completed_samples_per_sec));
      add("result_issue_lag_max_ns", i64(r.issue_lag.max_ns));
      add("result_issue_lag_99.00_percentile_ns",
          i64(r.issue_lag.percentile_ns[4]));
      break;
    case TestScenario::Offline:
      add("result_samples_per_second", JsonNumber(r.samples_per_sec));
      break;
  }
  AddStats(add, r.sample_latency,
           {"result_min_latency_ns", "result_max_latency_ns",
            "result_mean_latency_ns", "result_", "_percentile_latency_ns"});
  if (s.use_token_latencies) {
    AddStats(add, r.first_token,
             {"result_first_token_min_latency_ns",
              "result_first_token_max_latency_ns",
              "result_first_token_mean_latency_ns", "result_first_token_",
              "_percentile_latency_ns"});
    // (The reference's keys: "time_to" for min, max and mean.)
    AddStats(
        add, r.time_per_output_token,
        {"result_time_to_output_token_min", "result_time_to_output_token_max",
         "result_time_to_output_token_mean", "result_time_per_output_token_",
         "_percentile_ns"});
    add("result_token_count", i64(r.token_count));
  }
  // Ours: how the latencies were recorded, and streaming mode's bound.
  add("result_latency_record_mode", JsonString(r.record_mode));
  if (r.record_mode != "exact") {
    add("result_latency_relative_error", JsonNumber(r.latency_relative_error));
    add("result_streaming_from_sample", i64(r.streaming_from_sample));
    add("result_streaming_window",
        i64(static_cast<int64_t>(r.streaming_window)));
    add("result_stragglers", i64(r.stragglers));
  }
}

}  // namespace internal
}  // namespace mlperf
