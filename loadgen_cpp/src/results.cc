#include "results.h"

#include <algorithm>
#include <numeric>
#include <sstream>

#include "early_stopping.h"

namespace mlperf {
namespace internal {

namespace {
const double kPercentiles[6] = {0.50, 0.90, 0.95, 0.97, 0.99, 0.999};
}  // namespace

std::string FixedString(double v, int precision) {
  std::ostringstream os;
  os.precision(precision);
  os << std::fixed << v;
  return os.str();
}

std::string StreamString(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

LatencyStats ComputeStats(LatencySet* v) {
  LatencyStats st;
  v->Finish();
  st.count = static_cast<int64_t>(v->size());
  st.percentiles.assign(std::begin(kPercentiles), std::end(kPercentiles));
  st.percentile_ns.assign(6, 0);
  if (v->empty()) return st;
  // The reference accumulates in int64 and divides (integer mean).
  st.mean_ns = v->sum() / st.count;
  st.min_ns = v->min();
  st.max_ns = v->max();
  for (int i = 0; i < 6; ++i)
    st.percentile_ns[i] = v->Percentile(kPercentiles[i]);
  return st;
}

namespace {

// The early-stopping verdict and text lines for one latency set.
bool EarlyStop(const EffectiveSettings& s, const LatencySet& sorted,
               int64_t queries_issued, int64_t bound_ns,
               std::vector<std::string>* lines, int64_t* est_ss,
               int64_t* est_ms) {
  const double p = s.target_latency_percentile;
  switch (s.scenario) {
    case TestScenario::SingleStream:
    case TestScenario::MultiStream: {
      auto es = ComputeClosedLoopEarlyStopping(queries_issued, p);
      if (!es.ok || sorted.size() < static_cast<uint64_t>(queries_issued)) {
        lines->push_back(" * Only processed " + std::to_string(queries_issued) +
                         " queries.");
        lines->push_back(" * Need to process at least " +
                         std::to_string(es.min_queries) +
                         " queries for early stopping.");
        return false;
      }
      const int64_t est =
          sorted.ValueAtRank(static_cast<uint64_t>(es.estimate_index));
      lines->push_back(" * Processed at least " +
                       std::to_string(es.min_queries) + " queries (" +
                       std::to_string(queries_issued) + ").");
      lines->push_back(" * Would discard " + std::to_string(es.t - 1) +
                       " highest latency queries.");
      lines->push_back(" * Early stopping " + FixedString(p * 100, 1) +
                       "th percentile estimate: " + std::to_string(est));
      if (s.scenario == TestScenario::MultiStream) {
        *est_ms = est;
        return true;
      }
      *est_ss = est;
      // SingleStream also estimates the 99th percentile (to infer MS).
      auto es99 = ComputeClosedLoopEarlyStopping(queries_issued, 0.99);
      if (!es99.ok) {
        lines->push_back(
            " * Not enough queries processed for 99.0th percentile");
        lines->push_back(" early stopping estimate (would need to process at");
        lines->push_back(" least " + std::to_string(es99.min_queries) +
                         " total queries).");
      } else {
        *est_ms =
            sorted.ValueAtRank(static_cast<uint64_t>(es99.estimate_index));
        lines->push_back(" * Early stopping 99.0th percentile estimate: " +
                         std::to_string(*est_ms));
      }
      return true;
    }
    case TestScenario::Server: {
      const int64_t over = static_cast<int64_t>(sorted.CountAbove(bound_ns));
      auto es = ComputeServerEarlyStopping(queries_issued, over, p);
      if (es.ok) {
        lines->push_back(" * Run successful.");
        return true;
      }
      lines->push_back(" * Run unsuccessful.");
      lines->push_back(" * Processed " + std::to_string(queries_issued) +
                       " queries.");
      lines->push_back(" * Would need to run at least " +
                       std::to_string(es.more_queries_needed) +
                       " more queries,");
      lines->push_back(" with the run being successful if every additional");
      lines->push_back(" query were under latency.");
      return false;
    }
    case TestScenario::Offline:
      return true;
  }
  return true;
}

}  // namespace

PerformanceResult Summarize(RunMeasurements* m) {
  const EffectiveSettings& s = m->settings;
  PerformanceResult r;
  r.scenario = ToString(s.scenario);
  r.queries_issued = static_cast<int64_t>(m->queries_issued);
  r.samples_issued = static_cast<int64_t>(m->samples_issued);
  r.samples_never_completed = static_cast<int64_t>(m->samples_never_completed);
  r.samples_completed = static_cast<int64_t>(m->sample_latencies.size());
  r.target_qps = s.target_qps;
#define LOADGEN_COPY(name) r.name = m->name;
  LOADGEN_MEASURED_AS_REPORTED(LOADGEN_COPY)
#undef LOADGEN_COPY
  r.sample_latency = ComputeStats(&m->sample_latencies);
  r.query_latency = ComputeStats(&m->query_latencies);
  r.issue_lag = ComputeStats(&m->issue_lags);
  r.first_token = ComputeStats(&m->first_token_latencies);
  r.time_per_output_token = ComputeStats(&m->time_per_output_token);
  r.first_token_target_percentile_ns =
      m->first_token_latencies.Percentile(s.target_latency_percentile);
  r.record_mode = m->record_mode;
  r.latency_relative_error =
      m->record_mode == "exact" ? 0.0 : LatencyHistogram::kRelativeError;
  r.streaming_from_sample = m->streaming_from_sample;
  r.stragglers = static_cast<int64_t>(m->stragglers);
  const double n = static_cast<double>(r.samples_completed);

  // Minimum duration: Offline by the longest latency, Server by the last
  // scheduled time, SingleStream/MultiStream by the last issue time.
  const double min_s = static_cast<double>(s.min_duration_ms) / 1000.0;
  switch (s.scenario) {
    case TestScenario::Offline:
      r.min_duration_met = m->max_latency_s >= min_s;
      break;
    case TestScenario::Server:
      r.min_duration_met = m->final_query_scheduled_s >= min_s;
      break;
    default:
      r.min_duration_met = m->final_query_issued_s >= min_s;
      break;
  }
  r.min_queries_met = m->queries_issued >= s.min_query_count &&
                      m->sample_latencies.size() >= s.min_sample_count;
  if (s.scenario == TestScenario::Server) {
    if (!s.use_token_latencies) {
      r.overlatency_query_count = static_cast<int64_t>(
          m->sample_latencies.CountAbove(s.target_latency_ns));
      r.perf_constraints_met = m->sample_latencies.PercentileAtMost(
          s.target_latency_percentile, s.target_latency_ns);
    } else {
      r.perf_constraints_met =
          m->first_token_latencies.PercentileAtMost(s.target_latency_percentile,
                                                    s.server_ttft_latency_ns) &&
          m->time_per_output_token.PercentileAtMost(s.target_latency_percentile,
                                                    s.server_tpot_latency_ns);
    }
  }
  const int64_t queries = static_cast<int64_t>(m->queries_issued);
  const auto& es_latencies = s.scenario == TestScenario::MultiStream
                                 ? m->query_latencies
                                 : m->sample_latencies;
  if (!s.use_token_latencies) {
    r.early_stopping_met = EarlyStop(
        s, es_latencies, queries, s.target_latency_ns, &r.early_stopping_lines,
        &r.early_stopping_latency_ss, &r.early_stopping_latency_ms);
  } else if (s.scenario != TestScenario::Offline) {
    std::vector<std::string> ttft_lines, tpot_lines;
    int64_t a = 0, b = 0;
    const bool tpot_ok =
        EarlyStop(s, m->time_per_output_token, queries,
                  s.server_tpot_latency_ns, &tpot_lines, &a, &b);
    const bool ttft_ok =
        EarlyStop(s, m->first_token_latencies, queries,
                  s.server_ttft_latency_ns, &ttft_lines,
                  &r.early_stopping_latency_ss, &r.early_stopping_latency_ms);
    r.early_stopping_met = tpot_ok && ttft_ok;
    r.early_stopping_lines.push_back("TTFT Early Stopping Result:");
    r.early_stopping_lines.insert(r.early_stopping_lines.end(),
                                  ttft_lines.begin(), ttft_lines.end());
    r.early_stopping_lines.push_back("TPOT Early Stopping Result:");
    r.early_stopping_lines.insert(r.early_stopping_lines.end(),
                                  tpot_lines.begin(), tpot_lines.end());
  }

  switch (s.scenario) {
    case TestScenario::SingleStream:
      r.metric_name = FixedString(s.target_latency_percentile * 100, 1) +
                      "th percentile latency (ns)";
      r.metric = static_cast<double>(
          m->sample_latencies.Percentile(s.target_latency_percentile));
      r.qps_with_loadgen_overhead = (n - 1) / m->final_query_issued_s;
      r.qps_without_loadgen_overhead =
          1.0 / (static_cast<double>(r.sample_latency.mean_ns) / 1e9);
      break;
    case TestScenario::MultiStream:
      r.metric_name = FixedString(s.target_latency_percentile * 100, 1) +
                      "th percentile latency (ns)";
      r.metric = static_cast<double>(
          m->query_latencies.Percentile(s.target_latency_percentile));
      break;
    case TestScenario::Server:
      r.metric_name = "Completed samples per second";
      r.completed_samples_per_sec = (n - 1) / m->final_query_done_s;
      r.scheduled_samples_per_sec = (n - 1) / m->final_query_scheduled_s;
      r.metric = r.completed_samples_per_sec;
      break;
    case TestScenario::Offline:
      r.metric_name = "Samples per second";
      r.samples_per_sec = n / m->max_latency_s;
      r.metric = r.samples_per_sec;
      break;
  }

  if (s.scenario == TestScenario::Server && !r.perf_constraints_met) {
    r.invalid_reasons.push_back(s.use_token_latencies
                                    ? "TTFT or TPOT constraint not met: reduce "
                                      "target QPS to improve latency."
                                    : "Reduce target QPS to improve latency.");
  }
  if (!r.min_duration_met) {
    switch (s.scenario) {
      case TestScenario::SingleStream:
      case TestScenario::MultiStream:
        r.invalid_reasons.push_back(
            "Decrease the expected latency so the loadgen pre-generates more "
            "queries.");
        break;
      case TestScenario::Server:
        r.invalid_reasons.push_back(
            "Increase the target QPS so the loadgen pre-generates more "
            "queries.");
        break;
      case TestScenario::Offline:
        r.invalid_reasons.push_back(
            "Increase expected QPS so the loadgen pre-generates a larger "
            "(coalesced) query.");
        break;
    }
  }
  if (!r.min_queries_met) {
    r.invalid_reasons.push_back(
        "The test exited early, before enough queries were issued.\n"
        "   See the detailed log for why this may have occurred.");
  }
  if (m->samples_never_completed > 0) {
    r.invalid_reasons.push_back(std::to_string(m->samples_never_completed) +
                                " of " + std::to_string(m->samples_issued) +
                                " issued samples never completed.");
  }
  if (m->bad_responses > 0) {
    r.invalid_reasons.push_back(
        std::to_string(m->bad_responses) +
        " responses had data that could not be read (see the detail log).");
  }
  r.valid = r.min_duration_met && r.min_queries_met && r.perf_constraints_met &&
            r.early_stopping_met && m->samples_never_completed == 0 &&
            m->bad_responses == 0;
  if (!r.early_stopping_met) {
    r.invalid_reasons.push_back(
        "Early stopping not satisfied (see Early Stopping Result).");
  }
  return r;
}

}  // namespace internal
}  // namespace mlperf
