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

  py::class_<ConfigDiagnostic> diagnostic(m, "ConfigDiagnostic");
  LG_RO(diagnostic, is_error);
  LG_RO(diagnostic, file);
  LG_RO(diagnostic, line);
  LG_RO(diagnostic, key);
  LG_RO(diagnostic, message);
  diagnostic.def("__repr__", [](const ConfigDiagnostic& d) {
    return std::string(d.is_error ? "error" : "warning") + ": " + d.file + ":" +
           std::to_string(d.line) + ": " + (d.key.empty() ? "" : d.key + ": ") +
           d.message;
  });

  py::class_<TestSettings> settings(m, "TestSettings");
  settings.def(py::init<>());
  LG_RW(settings, scenario);
  LG_RW(settings, mode);
  LG_RW(settings, single_stream_expected_latency_ns);
  LG_RW(settings, single_stream_target_latency_percentile);
  LG_RW(settings, multi_stream_expected_latency_ns);
  LG_RW(settings, multi_stream_target_latency_percentile);
  LG_RW(settings, multi_stream_samples_per_query);
  LG_RW(settings, server_target_qps);
  LG_RW(settings, server_target_latency_ns);
  LG_RW(settings, server_target_latency_percentile);
  LG_RW(settings, server_coalesce_queries);
  LG_RW(settings, server_find_peak_qps_decimals_of_precision);
  LG_RW(settings, server_find_peak_qps_boundary_step_size);
  LG_RW(settings, server_find_peak_stop_early);
  LG_RW(settings, server_find_peak_min_probe_fraction);
  LG_RW(settings, server_max_async_queries);
  LG_RW(settings, server_num_issue_query_threads);
  LG_RW(settings, offline_expected_qps);
  LG_RW(settings, sample_concatenate_permutation);
  LG_RW(settings, min_duration_ms);
  LG_RW(settings, max_duration_ms);
  LG_RW(settings, min_query_count);
  LG_RW(settings, max_query_count);
  LG_RW(settings, qsl_rng_seed);
  LG_RW(settings, sample_index_rng_seed);
  LG_RW(settings, schedule_rng_seed);
  LG_RW(settings, accuracy_log_rng_seed);
  LG_RW(settings, accuracy_log_probability);
  LG_RW(settings, accuracy_log_sampling_target);
  LG_RW(settings, test05);
  LG_RW(settings, test05_qsl_rng_seed);
  LG_RW(settings, test05_sample_index_rng_seed);
  LG_RW(settings, test05_schedule_rng_seed);
  LG_RW(settings, print_timestamps);
  LG_RW(settings, performance_issue_unique);
  LG_RW(settings, performance_issue_same);
  LG_RW(settings, performance_issue_same_index);
  LG_RW(settings, performance_sample_count_override);
  LG_RW(settings, accuracy_sample_count_override);
  LG_RW(settings, use_token_latencies);
  settings.def_readwrite("ttft_latency", &TestSettings::server_ttft_latency);
  settings.def_readwrite("tpot_latency", &TestSettings::server_tpot_latency);
  LG_RW(settings, infer_token_latencies);
  LG_RW(settings, token_latency_scaling_factor);
  LG_RW(settings, watchdog_timeout_ms);
  LG_RW(settings, max_response_bytes);
  LG_RW(settings, record_mode);
  LG_RW(settings, exact_record_budget_bytes);
  LG_RW(settings, streaming_window_samples);
  LG_RO(settings, config_diagnostics);
  settings
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

  py::class_<LogOutputSettings> log_output(m, "LogOutputSettings");
  log_output.def(py::init<>());
  LG_RW(log_output, outdir);
  LG_RW(log_output, prefix);
  LG_RW(log_output, suffix);
  LG_RW(log_output, prefix_with_datetime);
  LG_RW(log_output, copy_detail_to_stdout);
  LG_RW(log_output, copy_summary_to_stdout);

  py::class_<LogSettings> log_settings(m, "LogSettings");
  log_settings.def(py::init<>());
  LG_RW(log_settings, log_output);
  LG_RW(log_settings, log_mode);
  LG_RW(log_settings, log_mode_async_poll_interval_ms);
  LG_RW(log_settings, enable_trace);
}

}  // namespace loadgen_py
