// The settings and result records of mlperf_log_detail.txt, with the
// reference's keys and value formats.
#include <string>

#include "renderers.h"
#include "results.h"

namespace mlperf {
namespace internal {

void LogSettingsRecords(DetailLog* detail, const TestSettings& r,
                        const EffectiveSettings& e, int64_t t) {
  auto add = [&](const std::string& k, const std::string& v) {
    detail->Add(k, v, t);
  };
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
  add("requested_min_duration_ms", u(r.min_duration_ms));
  add("requested_max_duration_ms", u(r.max_duration_ms));
  add("requested_min_query_count", u(r.min_query_count));
  add("requested_max_query_count", u(r.max_query_count));
  add("requested_qsl_rng_seed", u(r.qsl_rng_seed));
  add("requested_sample_index_rng_seed", u(r.sample_index_rng_seed));
  add("requested_schedule_rng_seed", u(r.schedule_rng_seed));
  add("requested_accuracy_log_rng_seed", u(r.accuracy_log_rng_seed));
  add("requested_accuracy_log_probability",
      JsonNumber(r.accuracy_log_probability));
  add("requested_accuracy_log_sampling_target",
      u(r.accuracy_log_sampling_target));
  add("requested_print_timestamps", JsonBool(r.print_timestamps));
  add("requested_performance_issue_unique",
      JsonBool(r.performance_issue_unique));
  add("requested_performance_issue_same", JsonBool(r.performance_issue_same));
  add("requested_performance_issue_same_index",
      u(r.performance_issue_same_index));
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
  add("effective_min_duration_ms", std::to_string(e.min_duration_ms));
  add("effective_max_duration_ms", std::to_string(e.max_duration_ms));
  add("effective_min_query_count", u(e.min_query_count));
  add("effective_max_query_count", u(e.max_query_count));
  add("effective_min_sample_count", u(e.min_sample_count));
  add("effective_qsl_rng_seed", u(e.qsl_rng_seed));
  add("effective_sample_index_rng_seed", u(e.sample_index_rng_seed));
  add("effective_schedule_rng_seed", u(e.schedule_rng_seed));
  add("effective_accuracy_log_rng_seed", u(e.accuracy_log_rng_seed));
  add("effective_accuracy_log_probability",
      JsonNumber(e.accuracy_log_probability));
  add("effective_accuracy_log_sampling_target",
      u(e.accuracy_log_sampling_target));
  add("effective_print_timestamps", JsonBool(e.print_timestamps));
  add("effective_performance_issue_unique",
      JsonBool(e.performance_issue_unique));
  add("effective_performance_issue_same", JsonBool(e.performance_issue_same));
  add("effective_performance_issue_same_index",
      u(e.performance_issue_same_index));
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
  auto add = [&](const std::string& k, const std::string& v) {
    detail->Add(k, v, t);
  };
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
      add("result_min_query_latency_ns", i64(r.query_latency.min_ns));
      add("result_max_query_latency_ns", i64(r.query_latency.max_ns));
      add("result_mean_query_latency_ns", i64(r.query_latency.mean_ns));
      for (size_t i = 0; i < r.query_latency.percentiles.size(); ++i) {
        add("result_" + FixedString(r.query_latency.percentiles[i] * 100) +
                "_percentile_per_query_latency_ns",
            i64(r.query_latency.percentile_ns[i]));
      }
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
  add("result_min_latency_ns", i64(r.sample_latency.min_ns));
  add("result_max_latency_ns", i64(r.sample_latency.max_ns));
  add("result_mean_latency_ns", i64(r.sample_latency.mean_ns));
  for (size_t i = 0; i < r.sample_latency.percentiles.size(); ++i) {
    add("result_" + FixedString(r.sample_latency.percentiles[i] * 100) +
            "_percentile_latency_ns",
        i64(r.sample_latency.percentile_ns[i]));
  }
  if (s.use_token_latencies) {
    add("result_first_token_min_latency_ns", i64(r.first_token.min_ns));
    add("result_first_token_max_latency_ns", i64(r.first_token.max_ns));
    add("result_first_token_mean_latency_ns", i64(r.first_token.mean_ns));
    for (size_t i = 0; i < r.first_token.percentiles.size(); ++i) {
      add("result_first_token_" +
              FixedString(r.first_token.percentiles[i] * 100) +
              "_percentile_latency_ns",
          i64(r.first_token.percentile_ns[i]));
    }
    add("result_time_to_output_token_min", i64(r.time_per_output_token.min_ns));
    add("result_time_to_output_token_max", i64(r.time_per_output_token.max_ns));
    add("result_time_to_output_token_mean",
        i64(r.time_per_output_token.mean_ns));
    for (size_t i = 0; i < r.time_per_output_token.percentiles.size(); ++i) {
      add("result_time_per_output_token_" +
              FixedString(r.time_per_output_token.percentiles[i] * 100) +
              "_percentile_ns",
          i64(r.time_per_output_token.percentile_ns[i]));
    }
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
