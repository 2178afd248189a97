// bind_settings.cc: the settings of a test in `loadgen._core` (bindings.h).
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>

#include "bindings.h"
#include "config.h"
#include "loadgen/loadgen.h"

namespace loadgen_py {

namespace py = pybind11;
using namespace mlperf;

namespace {

std::string SettingsRepr(const TestSettings& s) {
  py::object scen = py::cast(s.scenario);
  py::object mode = py::cast(s.mode);
  return "<TestSettings scenario=" +
         py::str(scen.attr("name")).cast<std::string>() +
         " mode=" + py::str(mode.attr("name")).cast<std::string>() + ">";
}

}  // namespace

void BindSettings(py::module_& m) {
  py::enum_<TestScenario>(m, "TestScenario")
      .value("SingleStream", TestScenario::SingleStream)
      .value("MultiStream", TestScenario::MultiStream)
      .value("Server", TestScenario::Server)
      .value("Offline", TestScenario::Offline);
  py::enum_<TestMode>(m, "TestMode")
      .value("SubmissionRun", TestMode::SubmissionRun)
      .value("AccuracyOnly", TestMode::AccuracyOnly)
      .value("PerformanceOnly", TestMode::PerformanceOnly)
      .value("FindPeakPerformance", TestMode::FindPeakPerformance);
  py::enum_<LoggingMode>(m, "LoggingMode")
      .value("AsyncPoll", LoggingMode::AsyncPoll)
      .value("EndOfTestOnly", LoggingMode::EndOfTestOnly)
      .value("Synchronous", LoggingMode::Synchronous);

  py::enum_<TestSettings::RecordMode>(m, "RecordMode")
      .value("Auto", TestSettings::RecordMode::kAuto)
      .value("Exact", TestSettings::RecordMode::kExact)
      .value("Streaming", TestSettings::RecordMode::kStreaming);

  py::class_<ConfigDiagnostic>(m, "ConfigDiagnostic")
      .def_readonly("is_error", &ConfigDiagnostic::is_error)
      .def_readonly("file", &ConfigDiagnostic::file)
      .def_readonly("line", &ConfigDiagnostic::line)
      .def_readonly("key", &ConfigDiagnostic::key)
      .def_readonly("message", &ConfigDiagnostic::message)
      .def("__repr__", [](const ConfigDiagnostic& d) {
        return std::string(d.is_error ? "error" : "warning") + ": " + d.file +
               ":" + std::to_string(d.line) + ": " +
               (d.key.empty() ? "" : d.key + ": ") + d.message;
      });

  py::class_<TestSettings>(m, "TestSettings")
      .def(py::init<>())
      .def_readwrite("scenario", &TestSettings::scenario)
      .def_readwrite("mode", &TestSettings::mode)
      .def_readwrite("single_stream_expected_latency_ns",
                     &TestSettings::single_stream_expected_latency_ns)
      .def_readwrite("single_stream_target_latency_percentile",
                     &TestSettings::single_stream_target_latency_percentile)
      .def_readwrite("multi_stream_expected_latency_ns",
                     &TestSettings::multi_stream_expected_latency_ns)
      .def_readwrite("multi_stream_target_latency_percentile",
                     &TestSettings::multi_stream_target_latency_percentile)
      .def_readwrite("multi_stream_samples_per_query",
                     &TestSettings::multi_stream_samples_per_query)
      .def_readwrite("server_target_qps", &TestSettings::server_target_qps)
      .def_readwrite("server_target_latency_ns",
                     &TestSettings::server_target_latency_ns)
      .def_readwrite("server_target_latency_percentile",
                     &TestSettings::server_target_latency_percentile)
      .def_readwrite("server_coalesce_queries",
                     &TestSettings::server_coalesce_queries)
      .def_readwrite("server_find_peak_qps_decimals_of_precision",
                     &TestSettings::server_find_peak_qps_decimals_of_precision)
      .def_readwrite("server_find_peak_qps_boundary_step_size",
                     &TestSettings::server_find_peak_qps_boundary_step_size)
      .def_readwrite("server_find_peak_stop_early",
                     &TestSettings::server_find_peak_stop_early)
      .def_readwrite("server_find_peak_min_probe_fraction",
                     &TestSettings::server_find_peak_min_probe_fraction)
      .def_readwrite("server_max_async_queries",
                     &TestSettings::server_max_async_queries)
      .def_readwrite("server_num_issue_query_threads",
                     &TestSettings::server_num_issue_query_threads)
      .def_readwrite("offline_expected_qps",
                     &TestSettings::offline_expected_qps)
      .def_readwrite("sample_concatenate_permutation",
                     &TestSettings::sample_concatenate_permutation)
      .def_readwrite("min_duration_ms", &TestSettings::min_duration_ms)
      .def_readwrite("max_duration_ms", &TestSettings::max_duration_ms)
      .def_readwrite("min_query_count", &TestSettings::min_query_count)
      .def_readwrite("max_query_count", &TestSettings::max_query_count)
      .def_readwrite("qsl_rng_seed", &TestSettings::qsl_rng_seed)
      .def_readwrite("sample_index_rng_seed",
                     &TestSettings::sample_index_rng_seed)
      .def_readwrite("schedule_rng_seed", &TestSettings::schedule_rng_seed)
      .def_readwrite("accuracy_log_rng_seed",
                     &TestSettings::accuracy_log_rng_seed)
      .def_readwrite("accuracy_log_probability",
                     &TestSettings::accuracy_log_probability)
      .def_readwrite("accuracy_log_sampling_target",
                     &TestSettings::accuracy_log_sampling_target)
      .def_readwrite("test05", &TestSettings::test05)
      .def_readwrite("test05_qsl_rng_seed", &TestSettings::test05_qsl_rng_seed)
      .def_readwrite("test05_sample_index_rng_seed",
                     &TestSettings::test05_sample_index_rng_seed)
      .def_readwrite("test05_schedule_rng_seed",
                     &TestSettings::test05_schedule_rng_seed)
      .def_readwrite("print_timestamps", &TestSettings::print_timestamps)
      .def_readwrite("performance_issue_unique",
                     &TestSettings::performance_issue_unique)
      .def_readwrite("performance_issue_same",
                     &TestSettings::performance_issue_same)
      .def_readwrite("performance_issue_same_index",
                     &TestSettings::performance_issue_same_index)
      .def_readwrite("performance_sample_count_override",
                     &TestSettings::performance_sample_count_override)
      .def_readwrite("accuracy_sample_count_override",
                     &TestSettings::accuracy_sample_count_override)
      .def_readwrite("use_token_latencies", &TestSettings::use_token_latencies)
      .def_readwrite("ttft_latency", &TestSettings::server_ttft_latency)
      .def_readwrite("tpot_latency", &TestSettings::server_tpot_latency)
      .def_readwrite("infer_token_latencies",
                     &TestSettings::infer_token_latencies)
      .def_readwrite("token_latency_scaling_factor",
                     &TestSettings::token_latency_scaling_factor)
      .def_readwrite("watchdog_timeout_ms", &TestSettings::watchdog_timeout_ms)
      .def_readwrite("max_response_bytes", &TestSettings::max_response_bytes)
      .def_readwrite("record_mode", &TestSettings::record_mode)
      .def_readwrite("exact_record_budget_bytes",
                     &TestSettings::exact_record_budget_bytes)
      .def_readwrite("streaming_window_samples",
                     &TestSettings::streaming_window_samples)
      .def_readonly("config_diagnostics", &TestSettings::config_diagnostics)
      .def("FromConfig", &TestSettings::FromConfig, py::arg("path"),
           py::arg("model"), py::arg("scenario"), py::arg("conf_type") = 1,
           "This function configures settings from the given user "
           "configuration file, "
           "model, and scenario. The conf_type flag should be set to 1 for "
           "loading "
           "user.conf or else only the default mlperf_conf file will be loaded "
           "by the "
           "loadgen.")
      .def("__repr__", &SettingsRepr);

  py::class_<LogOutputSettings>(m, "LogOutputSettings")
      .def(py::init<>())
      .def_readwrite("outdir", &LogOutputSettings::outdir)
      .def_readwrite("prefix", &LogOutputSettings::prefix)
      .def_readwrite("suffix", &LogOutputSettings::suffix)
      .def_readwrite("prefix_with_datetime",
                     &LogOutputSettings::prefix_with_datetime)
      .def_readwrite("copy_detail_to_stdout",
                     &LogOutputSettings::copy_detail_to_stdout)
      .def_readwrite("copy_summary_to_stdout",
                     &LogOutputSettings::copy_summary_to_stdout);

  py::class_<LogSettings>(m, "LogSettings")
      .def(py::init<>())
      .def_readwrite("log_output", &LogSettings::log_output)
      .def_readwrite("log_mode", &LogSettings::log_mode)
      .def_readwrite("log_mode_async_poll_interval_ms",
                     &LogSettings::log_mode_async_poll_interval_ms)
      .def_readwrite("enable_trace", &LogSettings::enable_trace);
}

}  // namespace loadgen_py
