// bind_api.cc: the reference API (ConstructSUT ... FirstTokenComplete) and our
// extensions (run_test, complete_samples, ...) in `loadgen._core`
// (bindings.h). StartTest releases the GIL for the whole test.
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <utility>

#include "bindings.h"
#include "completion.h"
#include "config.h"
#include "handles.h"
#include "loadgen/loadgen.h"
#include "py_objects.h"

namespace loadgen_py {

using namespace mlperf;

namespace {

TestResult RunFromPython(const py::object& sut_obj, const py::object& qsl_obj,
                         const TestSettings& settings, const LogSettings& log,
                         const std::string& audit) {
  auto sut = SutFrom(sut_obj);
  auto qsl = QslFrom(qsl_obj);
  RunOptions options;
  options.audit_config_filename = audit;
  options.poll = [] {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  };
  TestResult result;
  {
    py::gil_scoped_release nogil;
    result = RunTest(sut.get(), qsl.get(), settings, log, options);
  }
  return result;
}

}  // namespace

void BindApi(py::module_& m) {
  // --- The reference API.
  m.def(
      "ConstructSUT",
      [](py::function issue, py::function flush) {
        return AddSut(std::make_shared<PySut>(
            std::move(issue), std::move(flush), IssueStyle::kObjects, "PySUT"));
      },
      "Construct the system under test.");
  m.def(
      "DestroySUT",
      [](uintptr_t h) { Destroy(GetHandles().suts, h, "DestroySUT"); },
      "Destroy the object created by ConstructSUT.");
  m.def(
      "ConstructFastSUT",
      [](py::function issue, py::function flush) {
        return AddSut(
            std::make_shared<PySut>(std::move(issue), std::move(flush),
                                    IssueStyle::kFastLists, "PyFastSUT"));
      },
      "Construct the system under test, fast issue query");
  m.def(
      "DestroyFastSUT",
      [](uintptr_t h) { Destroy(GetHandles().suts, h, "DestroyFastSUT"); },
      "Destroy the object created by ConstructFastSUT.");
  m.def(
      "ConstructQDL",
      [](py::function issue, py::function flush, py::function name) {
        return AddSut(
            std::make_shared<PySut>(std::move(issue), std::move(flush),
                                    IssueStyle::kObjects, "PyQDL", name));
      },
      "Construct the query sample library, communicating with the SUT over the "
      "network.");
  m.def(
      "DestroyQDL",
      [](uintptr_t h) { Destroy(GetHandles().suts, h, "DestroyQDL"); },
      "Destroy the object created by ConstructQDL.");
  m.def(
      "ConstructQSL",
      [](size_t total, size_t perf, py::function load, py::function unload) {
        return AddQsl(std::make_shared<PyQsl>(total, perf, std::move(load),
                                              std::move(unload), "PyQSL"));
      },
      "Construct the query sample library.");
  m.def(
      "DestroyQSL",
      [](uintptr_t h) { Destroy(GetHandles().qsls, h, "DestroyQSL"); },
      "Destroy the object created by ConstructQSL.");
  m.def(
      "StartTest",
      [](const py::object& sut, const py::object& qsl,
         const TestSettings& settings, const std::string& audit) {
        RunFromPython(sut, qsl, settings, LogSettings(), audit);
      },
      py::arg("sut"), py::arg("qsl"), py::arg("test_settings"),
      py::arg("audit_config_filename") = "audit.config",
      "Run tests on a SUT created by ConstructSUT() with the provided QSL. "
      "Uses "
      "default log settings.");
  m.def(
      "StartTestWithLogSettings",
      [](const py::object& sut, const py::object& qsl,
         const TestSettings& settings, const LogSettings& log,
         const std::string& audit) {
        RunFromPython(sut, qsl, settings, log, audit);
      },
      py::arg("sut"), py::arg("qsl"), py::arg("test_settings"),
      py::arg("log_settings"),
      py::arg("audit_config_filename") = "audit.config",
      "Run tests on a SUT created by ConstructSUT() with the provided QSL. "
      "Accepts "
      "custom log settings.");
  struct CompleteCall {
    const char* name;
    bool first_token;
    const char* doc;
  };
  for (const CompleteCall& c :
       {CompleteCall{"QuerySamplesComplete", false,
                     "Called by the SUT to indicate that samples from some "
                     "combination of IssueQuery calls have finished."},
        CompleteCall{"FirstTokenComplete", true,
                     "Called by the SUT to indicate that tokens from some "
                     "combination of IssueQuery calls have finished."}}) {
    m.def(
        c.name,
        [first_token = c.first_token](const py::handle& responses,
                                      const py::object& cb) {
          CompleteFromPython(responses, cb, first_token);
        },
        py::arg("responses"), py::arg("response_cb") = py::none(), c.doc);
  }

  // --- Extensions.
  m.def("AbortTest", &AbortTest,
        "Ask the running test to stop as soon as possible (the result is "
        "INVALID). "
        "Thread-safe; a no-op when no test runs.");
  m.def(
      "run_test",
      [](const py::object& sut, const py::object& qsl,
         const TestSettings& settings, const py::object& log,
         const std::string& audit) {
        LogSettings ls =
            log.is_none() ? LogSettings() : log.cast<LogSettings>();
        return RunFromPython(sut, qsl, settings, ls, audit);
      },
      py::arg("sut"), py::arg("qsl"), py::arg("settings"),
      py::arg("log_settings") = py::none(),
      py::arg("audit_config_filename") = "audit.config",
      "Run a test and return its TestResult. sut/qsl: handles or objects.");
  m.def("complete_samples", &CompleteSamples, py::arg("ids"),
        py::arg("data") = py::none(), py::arg("offsets") = py::none(),
        py::arg("n_tokens") = py::none(),
        "Complete many samples in one call. ids: a sequence or array of ids. "
        "data: "
        "None, a list of bytes-like objects (one per id), or one buffer split "
        "evenly (or by offsets, len(ids)+1 entries).");
  m.def(
      "ConstructNumpySUT",
      [](py::function issue, py::function flush) {
        // Import NumPy now, not inside the first (timed) issue call.
        py::module_::import("numpy");
        return AddSut(
            std::make_shared<PySut>(std::move(issue), std::move(flush),
                                    IssueStyle::kNumpy, "PyNumpySUT"));
      },
      "Construct a SUT whose issue callback receives (ids, indices) as uint64 "
      "numpy arrays.");
  m.def(
      "builtin_mlperf_conf",
      [] { return std::string(internal::BuiltinMlperfConf()); },
      "The text of the mlperf.conf compiled into LoadGen.");
  m.def("known_config_keys", &internal::KnownConfigKeys,
        "Every key (last part of model.scenario.key) that FromConfig reads.");
  m.def(
      "explain_config",
      [](const std::string& user_conf, const std::string& model,
         const std::string& scenario, const std::string& audit) {
        internal::ConfigExplanation ex =
            internal::ExplainConfig(user_conf, model, scenario, audit);
        py::list fields;
        for (const auto& f : ex.fields) {
          py::dict d;
          d["field"] = f.field;
          d["value"] = f.value;
          d["file"] = f.file;
          d["line"] = f.line;
          d["key"] = f.key;
          d["written_value"] = f.written_value;
          d["where"] = f.Where();
          fields.append(d);
        }
        py::dict out;
        out["settings"] = ex.settings;
        out["user_conf_rc"] = ex.user_conf_rc;
        out["audit_config_rc"] = ex.audit_config_rc;
        out["fields"] = fields;
        return out;
      },
      py::arg("user_conf"), py::arg("model"), py::arg("scenario"),
      py::arg("audit_config") = "",
      "Replay FromConfig (and an audit.config) and report, per TestSettings "
      "field, the "
      "effective value and the file:line that set it.");
}

}  // namespace loadgen_py
