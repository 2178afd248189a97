// mlperf_log_summary.txt's results block and test parameters, in the
// reference's layout (the renderer of the summary text; its footer is
// RenderSummaryFooter, render_summary.cc).
#include <algorithm>
#include <numeric>
#include <sstream>

#include "early_stopping.h"
#include "results.h"

namespace mlperf {
namespace internal {

std::string FormatTestParameters(const EffectiveSettings& s) {
  std::ostringstream o;
  o << "samples_per_query : " << s.samples_per_query << "\n";
  o << "target_qps : " << StreamString(s.target_qps) << "\n";
  if (!s.use_token_latencies) {
    o << "target_latency (ns): " << s.target_latency_ns << "\n";
  } else {
    o << "ttft_latency (ns): " << s.server_ttft_latency_ns << "\n";
    o << "tpot_latency (ns): " << s.server_tpot_latency_ns << "\n";
  }
  o << "max_async_queries : " << s.max_async_queries << "\n";
  o << "min_duration (ms): " << s.min_duration_ms << "\n";
  o << "max_duration (ms): " << s.max_duration_ms << "\n";
  o << "min_query_count : " << s.min_query_count << "\n";
  o << "max_query_count : " << s.max_query_count << "\n";
  o << "qsl_rng_seed : " << s.qsl_rng_seed << "\n";
  o << "sample_index_rng_seed : " << s.sample_index_rng_seed << "\n";
  o << "schedule_rng_seed : " << s.schedule_rng_seed << "\n";
  o << "accuracy_log_rng_seed : " << s.accuracy_log_rng_seed << "\n";
  o << "accuracy_log_probability : " << StreamString(s.accuracy_log_probability)
    << "\n";
  o << "accuracy_log_sampling_target : " << s.accuracy_log_sampling_target
    << "\n";
  o << "print_timestamps : " << s.print_timestamps << "\n";
  o << "performance_issue_unique : " << s.performance_issue_unique << "\n";
  o << "performance_issue_same : " << s.performance_issue_same << "\n";
  o << "performance_issue_same_index : " << s.performance_issue_same_index
    << "\n";
  o << "performance_sample_count : " << s.performance_sample_count << "\n";
  o << "accuracy_sample_count : " << s.accuracy_sample_count << "\n";
  if (s.sample_concatenate_permutation) {
    o << "WARNING: sample_concatenate_permutation was set to true. \n"
         "Generated samples per query might be different as the one in the "
         "setting.\nCheck the generated_samples_per_query line in the detailed "
         "log for the real\nsamples_per_query value\n";
  }
  return o.str();
}

std::string FormatSummary(const PerformanceResult& r,
                          const EffectiveSettings& s,
                          const std::string& sut_name) {
  const char* kBar = "================================================\n";
  std::ostringstream o;
  o << kBar << "MLPerf Results Summary\n" << kBar;
  o << "SUT name : " << sut_name << "\n";
  o << "Scenario : " << ToString(s.scenario) << "\n";
  o << "Mode     : " << ToString(s.mode) << "\n";
  switch (s.scenario) {
    case TestScenario::SingleStream:
    case TestScenario::MultiStream:
      o << r.metric_name << " : " << static_cast<int64_t>(r.metric) << "\n";
      break;
    case TestScenario::Server:
      o << "Completed samples per second    : "
        << FixedString(r.completed_samples_per_sec) << "\n";
      break;
    case TestScenario::Offline:
      o << "Samples per second: " << StreamString(r.samples_per_sec) << "\n";
      break;
  }
  if (s.use_token_latencies) {
    switch (s.scenario) {
      case TestScenario::SingleStream:
      case TestScenario::MultiStream:
        o << FixedString(s.target_latency_percentile * 100, 1)
          << "th first token percentile latency (ns) : "
          << r.first_token_target_percentile_ns << "\n";
        break;
      case TestScenario::Offline:
        o << "Tokens per second: "
          << StreamString(static_cast<double>(r.token_count) / r.max_latency_s)
          << "\n";
        break;
      case TestScenario::Server:
        o << "Completed tokens per second: "
          << FixedString(static_cast<double>(r.token_count) /
                         r.final_query_done_s)
          << "\n";
        break;
    }
  }
  if (s.infer_token_latencies) {
    const double f = static_cast<double>(s.token_latency_scaling_factor);
    if (s.scenario == TestScenario::Offline) {
      o << "Tokens per second (inferred): "
        << StreamString(f * static_cast<double>(r.samples_completed) /
                        r.max_latency_s)
        << "\n";
    } else if (s.scenario == TestScenario::Server) {
      o << "Completed tokens per second (inferred): "
        << FixedString(f * static_cast<double>(r.samples_completed - 1) /
                       r.final_query_done_s)
        << "\n";
    }
  }
  o << "Result is : " << (r.valid ? "VALID" : "INVALID") << "\n";
  if (s.scenario == TestScenario::Server) {
    o << "  Performance constraints satisfied : "
      << (r.perf_constraints_met ? "Yes" : "NO") << "\n";
  }
  o << "  Min duration satisfied : " << (r.min_duration_met ? "Yes" : "NO")
    << "\n";
  o << "  Min queries satisfied : " << (r.min_queries_met ? "Yes" : "NO")
    << "\n";
  o << "  Early stopping satisfied: " << (r.early_stopping_met ? "Yes" : "NO")
    << "\n";
  if (!r.valid) {
    o << "Recommendations:\n";
    for (const auto& why : r.invalid_reasons) o << " * " << why << "\n";
  }
  if (s.scenario != TestScenario::Offline) {
    if (!s.use_token_latencies) o << "Early Stopping Result:\n";
    for (const auto& line : r.early_stopping_lines) o << line << "\n";
  }
  o << "\n" << kBar << "Additional Stats\n" << kBar;
  auto stats_block = [&o](const LatencyStats& st, const char* what,
                          const char* what_lower) {
    o << "Min " << what << "latency (ns)                : " << st.min_ns
      << "\n";
    o << "Max " << what << "latency (ns)                : " << st.max_ns
      << "\n";
    o << "Mean " << what << "latency (ns)               : " << st.mean_ns
      << "\n";
    for (size_t i = 0; i < st.percentiles.size(); ++i) {
      o << FixedString(st.percentiles[i] * 100) << " percentile " << what_lower
        << "latency (ns)   : " << st.percentile_ns[i] << "\n";
    }
  };
  if (s.scenario == TestScenario::SingleStream) {
    o << "QPS w/ loadgen overhead         : "
      << FixedString(r.qps_with_loadgen_overhead) << "\n";
    o << "QPS w/o loadgen overhead        : "
      << FixedString(r.qps_without_loadgen_overhead) << "\n\n";
  } else if (s.scenario == TestScenario::Server) {
    o << "Scheduled samples per second : "
      << FixedString(r.scheduled_samples_per_sec) << "\n";
  } else if (s.scenario == TestScenario::MultiStream) {
    o << "Per-query latency:  \n";
    stats_block(r.query_latency, "", "");
  }
  if (s.scenario != TestScenario::MultiStream)
    stats_block(r.sample_latency, "", "");
  if (s.use_token_latencies && s.scenario != TestScenario::Offline) {
    o << "\n";
    stats_block(r.first_token, "First Token ", "first token ");
    o << "\n";
    o << "Min Time per Output Token (ns)                : "
      << r.time_per_output_token.min_ns << "\n";
    o << "Max Time per Output Token (ns)                : "
      << r.time_per_output_token.max_ns << "\n";
    o << "Mean Time per Output Token (ns)               : "
      << r.time_per_output_token.mean_ns << "\n";
    for (size_t i = 0; i < r.time_per_output_token.percentiles.size(); ++i) {
      o << FixedString(r.time_per_output_token.percentiles[i] * 100)
        << " percentile time to output token (ns)   : "
        << r.time_per_output_token.percentile_ns[i] << "\n";
    }
  }
  if (s.scenario == TestScenario::Server) {
    // Ours: how late the issuer was against the schedule.
    o << "Issue lag p50/p99/max (ns)      : " << r.issue_lag.percentile_ns[0]
      << " / " << r.issue_lag.percentile_ns[4] << " / " << r.issue_lag.max_ns
      << "\n";
  }
  if (r.record_mode != "exact") {
    // Ours: streaming mode's error bound (docs/design.md, "Bounded memory").
    o << "Latency records                 : " << r.record_mode
      << " from sample " << r.streaming_from_sample << "; latencies within 1/"
      << static_cast<int64_t>(1.0 / r.latency_relative_error + 0.5)
      << " of exact; counts and verdict exact\n";
  }
  o << "\n" << kBar << "Test Parameters Used\n" << kBar;
  o << FormatTestParameters(s);
  return o.str();
}

}  // namespace internal
}  // namespace mlperf
