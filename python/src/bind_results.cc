// bind_results.cc: what a test returns in `loadgen._core` (bindings.h).
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>

#include "bindings.h"
#include "loadgen/loadgen.h"

namespace loadgen_py {

namespace py = pybind11;
using namespace mlperf;

void BindResults(py::module_& m) {
  py::class_<LatencyStats> stats(m, "LatencyStats");
  LG_RO(stats, count);
  LG_RO(stats, min_ns);
  LG_RO(stats, max_ns);
  LG_RO(stats, mean_ns);
  LG_RO(stats, percentiles);
  LG_RO(stats, percentile_ns);

  py::class_<PerformanceResult> perf(m, "PerformanceResult");
  LG_RO(perf, scenario);
  LG_RO(perf, valid);
  LG_RO(perf, min_duration_met);
  LG_RO(perf, min_queries_met);
  LG_RO(perf, perf_constraints_met);
  LG_RO(perf, early_stopping_met);
  LG_RO(perf, invalid_reasons);
  LG_RO(perf, early_end_reason);
  LG_RO(perf, queries_issued);
  LG_RO(perf, samples_issued);
  LG_RO(perf, samples_completed);
  LG_RO(perf, samples_never_completed);
  LG_RO(perf, target_qps);
  LG_RO(perf, metric);
  LG_RO(perf, metric_name);
  LG_RO(perf, final_query_scheduled_s);
  LG_RO(perf, final_query_issued_s);
  LG_RO(perf, final_query_done_s);
  LG_RO(perf, max_latency_s);
  LG_RO(perf, qps_with_loadgen_overhead);
  LG_RO(perf, qps_without_loadgen_overhead);
  LG_RO(perf, scheduled_samples_per_sec);
  LG_RO(perf, completed_samples_per_sec);
  LG_RO(perf, samples_per_sec);
  LG_RO(perf, overlatency_query_count);
  LG_RO(perf, early_stopping_latency_ss);
  LG_RO(perf, early_stopping_latency_ms);
  LG_RO(perf, early_stopping_lines);
  LG_RO(perf, sample_latency);
  LG_RO(perf, query_latency);
  LG_RO(perf, issue_lag);
  LG_RO(perf, first_token);
  LG_RO(perf, first_token_target_percentile_ns);
  LG_RO(perf, time_per_output_token);
  LG_RO(perf, token_count);
  LG_RO(perf, record_mode);
  LG_RO(perf, latency_relative_error);
  LG_RO(perf, streaming_from_sample);
  LG_RO(perf, streaming_window);
  LG_RO(perf, stragglers);
  perf.def("__repr__", [](const PerformanceResult& r) {
    return "<PerformanceResult " + r.scenario + " " +
           (r.valid ? "VALID" : "INVALID") + " " + r.metric_name + "=" +
           std::to_string(r.metric) + ">";
  });

  py::class_<PeakProbe> probe(m, "PeakProbe");
  LG_RO(probe, target_qps);
  LG_RO(probe, passed);
  LG_RO(probe, decided_by);
  LG_RO(probe, reason);
  LG_RO(probe, queries_issued);
  LG_RO(probe, queries_completed);
  LG_RO(probe, decided_queries);
  LG_RO(probe, overlatency_queries);
  LG_RO(probe, full_probe_queries);
  LG_RO(probe, seconds);
  probe.def("__repr__", [](const PeakProbe& p) {
    return "<PeakProbe " + std::to_string(p.target_qps) + " qps " +
           (p.passed ? "PASS" : "FAIL") + " by " + p.decided_by + ">";
  });

  py::class_<TestResult> result(m, "TestResult");
  LG_RO(result, performance);
  LG_RO(result, has_accuracy);
  LG_RO(result, accuracy_samples_issued);
  LG_RO(result, accuracy_samples_completed);
  LG_RO(result, num_errors);
  LG_RO(result, num_warnings);
  LG_RO(result, errors);
  LG_RO(result, aborted);
  LG_RO(result, abort_reason);
  LG_RO(result, peak_qps);
  LG_RO(result, peak_probes);
  LG_RO(result, summary_path);
  LG_RO(result, detail_path);
  LG_RO(result, accuracy_path);
  LG_RO(result, trace_path);
  LG_RO(result, summary_json_path);
  result
      .def_property_readonly("valid",
                             [](const TestResult& r) {
                               return !r.aborted && !r.performance.empty() &&
                                      r.performance.back().valid;
                             })
      .def("__repr__", [](const TestResult& r) {
        std::string s = "<TestResult";
        if (!r.performance.empty())
          s += std::string(" ") +
               (r.performance.back().valid ? "VALID" : "INVALID");
        if (r.aborted) s += " aborted: " + r.abort_reason;
        return s + " errors=" + std::to_string(r.num_errors) + ">";
      });
}

}  // namespace loadgen_py
