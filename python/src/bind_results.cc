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
  py::class_<LatencyStats>(m, "LatencyStats")
      .def_readonly("count", &LatencyStats::count)
      .def_readonly("min_ns", &LatencyStats::min_ns)
      .def_readonly("max_ns", &LatencyStats::max_ns)
      .def_readonly("mean_ns", &LatencyStats::mean_ns)
      .def_readonly("percentiles", &LatencyStats::percentiles)
      .def_readonly("percentile_ns", &LatencyStats::percentile_ns);

  py::class_<PerformanceResult>(m, "PerformanceResult")
#define LG_RO(f) .def_readonly(#f, &PerformanceResult::f)
      LG_RO(scenario) LG_RO(valid) LG_RO(min_duration_met) LG_RO(
          min_queries_met) LG_RO(perf_constraints_met) LG_RO(early_stopping_met)
          LG_RO(invalid_reasons) LG_RO(early_end_reason) LG_RO(
              queries_issued) LG_RO(samples_issued) LG_RO(samples_completed)
              LG_RO(samples_never_completed) LG_RO(target_qps) LG_RO(
                  metric) LG_RO(metric_name) LG_RO(final_query_scheduled_s)
                  LG_RO(final_query_issued_s) LG_RO(final_query_done_s) LG_RO(
                      max_latency_s) LG_RO(qps_with_loadgen_overhead)
                      LG_RO(qps_without_loadgen_overhead) LG_RO(
                          scheduled_samples_per_sec)
                          LG_RO(completed_samples_per_sec) LG_RO(
                              samples_per_sec) LG_RO(overlatency_query_count)
                              LG_RO(early_stopping_latency_ss) LG_RO(
                                  early_stopping_latency_ms)
                                  LG_RO(early_stopping_lines) LG_RO(
                                      sample_latency) LG_RO(query_latency)
                                      LG_RO(issue_lag) LG_RO(first_token) LG_RO(
                                          first_token_target_percentile_ns)
                                          LG_RO(time_per_output_token) LG_RO(
                                              token_count) LG_RO(record_mode)
                                              LG_RO(latency_relative_error) LG_RO(
                                                  streaming_from_sample)
                                                  LG_RO(streaming_window) LG_RO(
                                                      stragglers)
#undef LG_RO
                                                      .def(
                                                          "__repr__",
                                                          [](const PerformanceResult&
                                                                 r) {
                                                            return "<Performanc"
                                                                   "eResult"
                                                                   " " +
                                                                   r.scenario +
                                                                   " " +
                                                                   (r.valid
                                                                        ? "VALI"
                                                                          "D"
                                                                        : "INVA"
                                                                          "LI"
                                                                          "D") +
                                                                   " " +
                                                                   r.metric_name +
                                                                   "=" +
                                                                   std::to_string(
                                                                       r.metric) +
                                                                   ">";
                                                          });

  py::class_<PeakProbe>(m, "PeakProbe")
      .def_readonly("target_qps", &PeakProbe::target_qps)
      .def_readonly("passed", &PeakProbe::passed)
      .def_readonly("decided_by", &PeakProbe::decided_by)
      .def_readonly("reason", &PeakProbe::reason)
      .def_readonly("queries_issued", &PeakProbe::queries_issued)
      .def_readonly("queries_completed", &PeakProbe::queries_completed)
      .def_readonly("decided_queries", &PeakProbe::decided_queries)
      .def_readonly("overlatency_queries", &PeakProbe::overlatency_queries)
      .def_readonly("full_probe_queries", &PeakProbe::full_probe_queries)
      .def_readonly("seconds", &PeakProbe::seconds)
      .def("__repr__", [](const PeakProbe& p) {
        return "<PeakProbe " + std::to_string(p.target_qps) + " qps " +
               (p.passed ? "PASS" : "FAIL") + " by " + p.decided_by + ">";
      });

  py::class_<TestResult>(m, "TestResult")
#define LG_RO(f) .def_readonly(#f, &TestResult::f)
      LG_RO(performance) LG_RO(has_accuracy) LG_RO(
          accuracy_samples_issued) LG_RO(accuracy_samples_completed)
          LG_RO(num_errors) LG_RO(num_warnings) LG_RO(errors) LG_RO(
              aborted) LG_RO(abort_reason) LG_RO(peak_qps) LG_RO(peak_probes)
              LG_RO(summary_path) LG_RO(detail_path) LG_RO(accuracy_path) LG_RO(
                  trace_path) LG_RO(summary_json_path)
#undef LG_RO
                  .def_property_readonly("valid",
                                         [](const TestResult& r) {
                                           return !r.aborted &&
                                                  !r.performance.empty() &&
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
