// The end of mlperf_log_summary.txt and mlperf_log_summary.json, the one
// machine-readable result (docs/logs.md). A new figure of PerformanceResult
// is added to the JSON in PerformanceJson, and nowhere else in this layer.
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "json_writer.h"
#include "renderers.h"
#include "results.h"

namespace mlperf {
namespace internal {

namespace {

std::string StatsJson(const LatencyStats& st) {
  JsonObject pct;
  for (size_t i = 0; i < st.percentiles.size(); ++i) {
    pct.Int(FixedString(st.percentiles[i] * 100), st.percentile_ns[i]);
  }
  return JsonObject()
      .Int("count", st.count)
      .Int("min_ns", st.min_ns)
      .Int("max_ns", st.max_ns)
      .Int("mean_ns", st.mean_ns)
      .Raw("percentiles", pct.Close())
      .Close();
}

// A double with every digit (the bound 1/2048 = 0.00048828125 exactly).
std::string ExactNumber(double v) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

std::string PerformanceJson(const PerformanceResult& r, bool tokens) {
  JsonObject o;
  o.Str("result", r.valid ? "VALID" : "INVALID")
      .Raw("invalid_reasons", JsonStringList(r.invalid_reasons))
      .Str("early_end_reason", r.early_end_reason)
      .Bool("min_duration_met", r.min_duration_met)
      .Bool("min_queries_met", r.min_queries_met)
      .Bool("perf_constraints_met", r.perf_constraints_met)
      .Bool("early_stopping_met", r.early_stopping_met)
      .Raw("early_stopping", JsonStringList(r.early_stopping_lines))
      .Str("metric_name", r.metric_name)
      .Num("metric", r.metric)
      .Num("target_qps", r.target_qps)
      .Int("queries_issued", r.queries_issued)
      .Int("samples_issued", r.samples_issued)
      .Int("samples_completed", r.samples_completed)
      .Int("samples_never_completed", r.samples_never_completed)
      .Num("qps_with_loadgen_overhead", r.qps_with_loadgen_overhead)
      .Num("qps_without_loadgen_overhead", r.qps_without_loadgen_overhead)
      .Num("scheduled_samples_per_sec", r.scheduled_samples_per_sec)
      .Num("completed_samples_per_sec", r.completed_samples_per_sec)
      .Num("samples_per_sec", r.samples_per_sec)
      .Int("overlatency_query_count", r.overlatency_query_count)
      .Int("early_stopping_latency_ss_ns", r.early_stopping_latency_ss)
      .Int("early_stopping_latency_ms_ns", r.early_stopping_latency_ms)
      .Num("final_query_scheduled_s", r.final_query_scheduled_s)
      .Num("final_query_issued_s", r.final_query_issued_s)
      .Num("final_query_done_s", r.final_query_done_s)
      .Raw("sample_latency", StatsJson(r.sample_latency))
      .Raw("query_latency", StatsJson(r.query_latency))
      .Raw("issue_lag", StatsJson(r.issue_lag))
      .Raw("latency_records",
           JsonObject()
               .Str("mode", r.record_mode)
               .Raw("relative_error", ExactNumber(r.latency_relative_error))
               .Int("streaming_from_sample", r.streaming_from_sample)
               .UInt("window", r.streaming_window)
               .Int("stragglers", r.stragglers)
               .Close());
  if (tokens) {
    o.Raw("first_token_latency", StatsJson(r.first_token))
        .Raw("time_per_output_token", StatsJson(r.time_per_output_token))
        .Int("token_count", r.token_count);
  }
  return o.Close();
}

// A JSON array of to_json(item) for each item, one a line.
template <typename T, typename ToJson>
std::string JsonArray(const std::vector<T>& items, ToJson to_json) {
  std::string out = "[";
  for (size_t k = 0; k < items.size(); ++k) {
    out += (k ? ",\n    " : "\n    ") + to_json(items[k]);
  }
  return out + (items.empty() ? "]" : "\n  ]");
}

std::string ProbeJson(const PeakProbe& p) {
  return JsonObject()
      .Num("target_qps", p.target_qps)
      .Bool("passed", p.passed)
      .Str("decided_by", p.decided_by)
      .Str("reason", p.reason)
      .Int("queries_issued", p.queries_issued)
      .Int("queries_completed", p.queries_completed)
      .Int("decided_queries", p.decided_queries)
      .Int("overlatency_queries", p.overlatency_queries)
      .Int("full_probe_queries", p.full_probe_queries)
      .Num("seconds", p.seconds)
      .Close();
}

std::string SettingsJson(const EffectiveSettings& e) {
  return JsonObject()
      .UInt("samples_per_query", e.samples_per_query)
      .Num("target_qps", e.target_qps)
      .Int("target_latency_ns", e.target_latency_ns)
      .Num("target_latency_percentile", e.target_latency_percentile)
      .Int("min_duration_ms", e.min_duration_ms)
      .Int("max_duration_ms", e.max_duration_ms)
      .UInt("min_query_count", e.min_query_count)
      .UInt("max_query_count", e.max_query_count)
      .UInt("qsl_rng_seed", e.qsl_rng_seed)
      .UInt("sample_index_rng_seed", e.sample_index_rng_seed)
      .UInt("schedule_rng_seed", e.schedule_rng_seed)
      .UInt("performance_sample_count", e.performance_sample_count)
      .UInt("accuracy_sample_count", e.accuracy_sample_count)
      .Close();
}

}  // namespace

std::string RenderSummaryFooter(const TestResult& result) {
  std::ostringstream summary;
  auto count_line = [&summary](int64_t n, const char* one, const char* many,
                               const char* none) {
    summary << "\n";
    if (n == 0) {
      summary << none << "\n";
    } else if (n == 1) {
      summary << one << "\n";
    } else {
      summary << n << " " << many << "\n";
    }
  };
  count_line(result.num_warnings, "1 warning encountered. See detailed log.",
             "warnings encountered. See detailed log.",
             "No warnings encountered during test.");
  count_line(result.num_errors, "1 ERROR encountered. See detailed log.",
             "ERRORS encountered. See detailed log.",
             "No errors encountered during test.");
  if (result.aborted)
    summary << "\nTest aborted: " << result.abort_reason << "\n";
  return summary.str();
}

std::string RenderSummaryJson(const TestResult& result,
                              const EffectiveSettings& s,
                              const RunIdentity& who) {
  JsonObject o("{\n  ", ",\n  ", "\n}\n");
  o.Str("schema", kSummarySchema)
      .Str("loadgen_version", Version())
      .Str("test_datetime", who.datetime)
      .Str("sut_name", who.sut_name)
      .Str("qsl_name", who.qsl_name)
      .Str("scenario", ToString(s.scenario))
      .Str("mode", ToString(s.mode))
      .Bool("aborted", result.aborted)
      .Str("abort_reason", result.abort_reason)
      .Int("num_errors", result.num_errors)
      .Int("num_warnings", result.num_warnings)
      .Raw("errors", JsonStringList(result.errors))
      .Raw("accuracy",
           JsonObject()
               .Bool("ran", result.has_accuracy)
               .Int("samples_issued", result.accuracy_samples_issued)
               .Int("samples_completed", result.accuracy_samples_completed)
               .Close());
  if (s.mode == TestMode::FindPeakPerformance) {
    o.Num("peak_qps", result.peak_qps)
        .Raw("peak_probes", JsonArray(result.peak_probes, ProbeJson));
  }
  o.Raw("performance", JsonArray(result.performance,
                                 [&](const PerformanceResult& r) {
                                   return PerformanceJson(
                                       r, s.use_token_latencies);
                                 }))
      .Raw("settings", SettingsJson(s));
  return o.Close();
}

}  // namespace internal
}  // namespace mlperf
