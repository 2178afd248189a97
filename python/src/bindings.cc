// The `loadgen._core` extension: the reference's `mlperf_loadgen` API with
// the same names, values and call shapes, plus our extensions.
//
// GIL: StartTest releases it for the whole test. Every call into Python
// (issue, flush, load, unload, name, response callbacks) takes it for the
// duration of that call only. Completion functions convert their arguments
// with the GIL held, then release it for the C++ work.
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "complete_args.h"
#include "config.h"
#include "loadgen/loadgen.h"
#include "loadgen/query_dispatch_library.h"
#include "sample_types.h"

namespace py = pybind11;
using namespace mlperf;

namespace {

// ---------------------------------------------------------------------------
// Python-backed SUT and QSL.

enum class IssueStyle { kObjects, kFastLists, kNumpy };

class PySut : public QueryDispatchLibrary {
 public:
  PySut(py::function issue, py::function flush, IssueStyle style,
        std::string name, py::object name_fn = py::none())
      : issue_(std::move(issue)),
        flush_(std::move(flush)),
        name_fn_(std::move(name_fn)),
        style_(style),
        name_(std::move(name)) {}

  const std::string& Name() override {
    if (!name_fn_.is_none()) {
      py::gil_scoped_acquire gil;
      name_ = py::cast<std::string>(name_fn_());
    }
    return name_;
  }

  void IssueQuery(const std::vector<QuerySample>& samples) override {
    py::gil_scoped_acquire gil;
    const size_t n = samples.size();
    switch (style_) {
      case IssueStyle::kObjects: {
        py::list list(n);
        for (size_t i = 0; i < n; ++i) {
          PyObject* o =
              loadgen_py::NewQuerySample(samples[i].id, samples[i].index);
          if (o == nullptr) throw py::error_already_set();
          PyList_SET_ITEM(list.ptr(), i, o);
        }
        issue_(list);
        break;
      }
      case IssueStyle::kFastLists: {
        py::list ids(n), idx(n);
        for (size_t i = 0; i < n; ++i) {
          PyList_SET_ITEM(ids.ptr(), i,
                          PyLong_FromUnsignedLongLong(samples[i].id));
          PyList_SET_ITEM(idx.ptr(), i, PyLong_FromSize_t(samples[i].index));
        }
        issue_(ids, idx);
        break;
      }
      case IssueStyle::kNumpy: {
        py::array_t<uint64_t> ids(n), idx(n);
        auto* pi = ids.mutable_data();
        auto* px = idx.mutable_data();
        for (size_t i = 0; i < n; ++i) {
          pi[i] = samples[i].id;
          px[i] = samples[i].index;
        }
        issue_(ids, idx);
        break;
      }
    }
  }

  void FlushQueries() override {
    py::gil_scoped_acquire gil;
    flush_();
  }

  ~PySut() override {
    py::gil_scoped_acquire gil;
    issue_ = py::function();
    flush_ = py::function();
    name_fn_ = py::object();
  }

 private:
  py::function issue_;
  py::function flush_;
  py::object name_fn_;
  IssueStyle style_;
  std::string name_;
};

class PyQsl : public QuerySampleLibrary {
 public:
  PyQsl(size_t total, size_t perf, py::function load, py::function unload,
        std::string name)
      : total_(total),
        perf_(perf),
        load_(std::move(load)),
        unload_(std::move(unload)),
        name_(std::move(name)) {}
  const std::string& Name() override { return name_; }
  size_t TotalSampleCount() override { return total_; }
  size_t PerformanceSampleCount() override { return perf_; }
  void LoadSamplesToRam(const std::vector<QuerySampleIndex>& s) override {
    py::gil_scoped_acquire gil;
    load_(ToList(s));
  }
  void UnloadSamplesFromRam(const std::vector<QuerySampleIndex>& s) override {
    py::gil_scoped_acquire gil;
    unload_(ToList(s));
  }
  ~PyQsl() override {
    py::gil_scoped_acquire gil;
    load_ = py::function();
    unload_ = py::function();
  }

 private:
  static py::list ToList(const std::vector<QuerySampleIndex>& s) {
    py::list l(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
      PyList_SET_ITEM(l.ptr(), i, PyLong_FromSize_t(s[i]));
    }
    return l;
  }
  size_t total_, perf_;
  py::function load_, unload_;
  std::string name_;
};

// ---------------------------------------------------------------------------
// Handles: integers standing for constructed objects, as in the reference,
// but looked up in a table so a wrong or destroyed handle raises ValueError
// instead of crashing.

struct Handles {
  std::mutex mu;
  std::unordered_map<uintptr_t, std::shared_ptr<SystemUnderTest>> suts;
  std::unordered_map<uintptr_t, std::shared_ptr<QuerySampleLibrary>> qsls;
  uintptr_t next = 0x10000;
};

Handles& GetHandles() {
  static Handles* h = new Handles();  // never destroyed: outlives interpreter
  return *h;
}

uintptr_t AddSut(std::shared_ptr<SystemUnderTest> sut) {
  auto& h = GetHandles();
  std::lock_guard<std::mutex> lock(h.mu);
  const uintptr_t id = h.next++;
  h.suts[id] = std::move(sut);
  return id;
}

uintptr_t AddQsl(std::shared_ptr<QuerySampleLibrary> qsl) {
  auto& h = GetHandles();
  std::lock_guard<std::mutex> lock(h.mu);
  const uintptr_t id = h.next++;
  h.qsls[id] = std::move(qsl);
  return id;
}

template <typename Map>
void Destroy(Map& map, uintptr_t handle, const char* what) {
  std::shared_ptr<typename Map::mapped_type::element_type> keep;
  {
    auto& h = GetHandles();
    std::lock_guard<std::mutex> lock(h.mu);
    auto it = map.find(handle);
    if (it == map.end()) {
      throw py::value_error(std::string(what) + ": no object has handle " +
                            std::to_string(handle) + " (already destroyed?)");
    }
    keep = std::move(it->second);
    map.erase(it);
  }
}

std::shared_ptr<SystemUnderTest> FindSut(uintptr_t handle) {
  auto& h = GetHandles();
  std::lock_guard<std::mutex> lock(h.mu);
  auto it = h.suts.find(handle);
  if (it == h.suts.end()) {
    throw py::value_error("StartTest: sut handle " + std::to_string(handle) +
                          " does not name a live SUT (use ConstructSUT)");
  }
  return it->second;
}

std::shared_ptr<QuerySampleLibrary> FindQsl(uintptr_t handle) {
  auto& h = GetHandles();
  std::lock_guard<std::mutex> lock(h.mu);
  auto it = h.qsls.find(handle);
  if (it == h.qsls.end()) {
    throw py::value_error("StartTest: qsl handle " + std::to_string(handle) +
                          " does not name a live QSL (use ConstructQSL)");
  }
  return it->second;
}

// A SUT object (our SystemUnderTest class or anything with issue_queries and
// flush_queries) or a handle.
std::shared_ptr<SystemUnderTest> SutFrom(const py::object& o) {
  if (py::isinstance<py::int_>(o)) return FindSut(o.cast<uintptr_t>());
  if (!py::hasattr(o, "issue_queries") || !py::hasattr(o, "flush_queries")) {
    throw py::type_error(
        "sut must be a handle from ConstructSUT or an object with "
        "issue_queries(samples) and flush_queries() methods");
  }
  std::string name = py::hasattr(o, "name")
                         ? py::str(o.attr("name")).cast<std::string>()
                         : std::string("PySUT");
  IssueStyle style = IssueStyle::kObjects;
  if (py::hasattr(o, "issue_style")) {
    const auto s = py::str(o.attr("issue_style")).cast<std::string>();
    if (s == "numpy")
      style = IssueStyle::kNumpy;
    else if (s == "lists")
      style = IssueStyle::kFastLists;
    else if (s != "objects") {
      throw py::value_error(
          "sut.issue_style must be 'objects', 'lists' or 'numpy', not '" + s +
          "'");
    }
  }
  return std::make_shared<PySut>(o.attr("issue_queries"),
                                 o.attr("flush_queries"), style, name);
}

std::shared_ptr<QuerySampleLibrary> QslFrom(const py::object& o) {
  if (py::isinstance<py::int_>(o)) return FindQsl(o.cast<uintptr_t>());
  for (const char* a : {"total_sample_count", "performance_sample_count",
                        "load_samples", "unload_samples"}) {
    if (!py::hasattr(o, a)) {
      throw py::type_error(std::string("qsl must be a handle from ConstructQSL "
                                       "or an object with ") +
                           a);
    }
  }
  auto count = [&](const char* a) {
    py::object v = o.attr(a);
    if (PyCallable_Check(v.ptr())) v = v();
    const long long n = v.cast<long long>();
    if (n < 0) {
      throw py::value_error(std::string("qsl.") + a + " = " +
                            std::to_string(n) + " is invalid: it must be >= 0");
    }
    return static_cast<size_t>(n);
  };
  std::string name = py::hasattr(o, "name")
                         ? py::str(o.attr("name")).cast<std::string>()
                         : std::string("PyQSL");
  return std::make_shared<PyQsl>(
      count("total_sample_count"), count("performance_sample_count"),
      o.attr("load_samples"), o.attr("unload_samples"), name);
}

// ---------------------------------------------------------------------------
// Running a test from Python.

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

// Wraps a Python response callback so it runs with the GIL.
ResponseCallback WrapCallback(const py::object& cb) {
  if (cb.is_none()) return {};
  auto fn = std::make_shared<py::object>(cb);
  return [fn](QuerySampleResponse* r) {
    py::gil_scoped_acquire gil;
    py::object o =
        py::reinterpret_steal<py::object>(loadgen_py::NewQuerySampleResponse(
            r->id, r->data, r->size, r->n_tokens));
    if (!o) throw py::error_already_set();
    (*fn)(o);
  };
}

std::vector<QuerySampleResponse> ResponsesFrom(const py::handle& seq,
                                               const char* fn) {
  PyObject* o = seq.ptr();
  if (!PyList_Check(o) && !PyTuple_Check(o)) {
    throw py::type_error(
        std::string(fn) +
        ": responses must be a list or tuple of QuerySampleResponse, not " +
        Py_TYPE(o)->tp_name);
  }
  const Py_ssize_t n = PySequence_Fast_GET_SIZE(o);
  PyObject** items = PySequence_Fast_ITEMS(o);
  std::vector<QuerySampleResponse> out(static_cast<size_t>(n));
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject* item = items[i];
    if (!loadgen_py::IsQuerySampleResponse(item)) {
      throw py::type_error(std::string(fn) + ": item " + std::to_string(i) +
                           " is a " + Py_TYPE(item)->tp_name +
                           ", not a QuerySampleResponse");
    }
    const auto* r =
        reinterpret_cast<const loadgen_py::PyQuerySampleResponse*>(item);
    out[static_cast<size_t>(i)] =
        QuerySampleResponse(r->id, r->data, r->size, r->n_tokens);
  }
  return out;
}

void CompleteFromPython(const py::handle& responses, const py::object& cb,
                        bool first_token) {
  auto v = ResponsesFrom(
      responses, first_token ? "FirstTokenComplete" : "QuerySamplesComplete");
  auto wrapped = WrapCallback(cb);
  py::gil_scoped_release nogil;
  if (first_token) {
    FirstTokenComplete(v.data(), v.size(), wrapped);
  } else {
    QuerySamplesComplete(v.data(), v.size(), wrapped);
  }
}

// ids from any integer sequence or array, as uint64.
py::array_t<uint64_t, py::array::c_style> IdsArray(const py::object& ids) {
  return py::array_t<uint64_t,
                     py::array::c_style | py::array::forcecast>::ensure(ids);
}

void CompleteSamples(const py::object& ids_obj, const py::object& data,
                     const py::object& offsets_obj,
                     const py::object& n_tokens_obj) {
  auto ids = IdsArray(ids_obj);
  if (!ids)
    throw py::type_error(
        "complete_samples: ids must be a sequence of integers");
  if (ids.ndim() != 1)
    throw py::value_error("complete_samples: ids must be 1-D");
  const size_t n = static_cast<size_t>(ids.size());
  py::array_t<int64_t, py::array::c_style | py::array::forcecast> ntok;
  if (!n_tokens_obj.is_none()) {
    ntok =
        py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(
            n_tokens_obj);
    if (!ntok)
      throw py::value_error("complete_samples: n_tokens must be integers");
    const std::string err =
        loadgen_py::CheckNTokens(n, true, static_cast<size_t>(ntok.size()));
    if (!err.empty()) throw py::value_error(err);
  }
  const int64_t* ntok_ptr = n_tokens_obj.is_none() ? nullptr : ntok.data();
  if (data.is_none()) {
    if (ntok_ptr != nullptr) {
      std::vector<uint64_t> offsets(n + 1, 0);
      py::gil_scoped_release nogil;
      QuerySamplesCompleteBuffer(ids.data(), n, nullptr, offsets.data(),
                                 ntok_ptr);
      return;
    }
    py::gil_scoped_release nogil;
    QuerySamplesCompleteIds(ids.data(), n);
    return;
  }
  std::vector<uint64_t> offsets;
  std::string joined;
  const uint8_t* bytes = nullptr;
  if (py::isinstance<py::list>(data) || py::isinstance<py::tuple>(data)) {
    // One buffer per id.
    py::sequence seq = data;
    if (seq.size() != n) {
      throw py::value_error("complete_samples: data has " +
                            std::to_string(seq.size()) + " buffers for " +
                            std::to_string(n) + " ids");
    }
    offsets.push_back(0);
    for (size_t i = 0; i < n; ++i) {
      py::object item = seq[i];
      Py_buffer view;
      if (PyObject_GetBuffer(item.ptr(), &view, PyBUF_C_CONTIGUOUS) != 0) {
        PyErr_Clear();
        throw py::type_error("complete_samples: data[" + std::to_string(i) +
                             "] is not a C-contiguous bytes-like object");
      }
      joined.append(static_cast<const char*>(view.buf),
                    static_cast<size_t>(view.len));
      PyBuffer_Release(&view);
      offsets.push_back(joined.size());
    }
    bytes = reinterpret_cast<const uint8_t*>(joined.data());
  } else {
    py::array arr = py::array::ensure(data, py::array::c_style);
    if (!arr)
      throw py::type_error(
          "complete_samples: data must be a buffer or a list of buffers");
    const size_t total = static_cast<size_t>(arr.nbytes());
    bytes = static_cast<const uint8_t*>(arr.data());
    // Equal split when no offsets are given (a 2-D array: one row per id).
    if (offsets_obj.is_none() && n == 0) return;
    py::array_t<uint64_t, py::array::c_style> off;
    if (!offsets_obj.is_none()) {
      off =
          py::array_t<uint64_t, py::array::c_style |
                                    py::array::forcecast>::ensure(offsets_obj);
      if (!off)
        throw py::value_error(
            "complete_samples: offsets must have len(ids) + 1 entries");
    }
    const std::string err = loadgen_py::ResponseOffsets(
        n, total, offsets_obj.is_none() ? nullptr : off.data(),
        offsets_obj.is_none() ? 0 : static_cast<size_t>(off.size()), &offsets);
    if (!err.empty()) throw py::value_error(err);
    py::gil_scoped_release nogil;
    QuerySamplesCompleteBuffer(ids.data(), n, bytes, offsets.data(), ntok_ptr);
    return;
  }
  py::gil_scoped_release nogil;
  QuerySamplesCompleteBuffer(ids.data(), n, bytes, offsets.data(), ntok_ptr);
}

std::string SettingsRepr(const TestSettings& s) {
  py::object scen = py::cast(s.scenario);
  py::object mode = py::cast(s.mode);
  return "<TestSettings scenario=" +
         py::str(scen.attr("name")).cast<std::string>() +
         " mode=" + py::str(mode.attr("name")).cast<std::string>() + ">";
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "MLPerf Inference load generator.";

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

  if (!loadgen_py::AddSampleTypes(m.ptr())) throw py::error_already_set();

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
  m.def(
      "QuerySamplesComplete",
      [](const py::handle& responses, const py::object& cb) {
        CompleteFromPython(responses, cb, false);
      },
      py::arg("responses"), py::arg("response_cb") = py::none(),
      "Called by the SUT to indicate that samples from some combination of "
      "IssueQuery calls have finished.");
  m.def(
      "FirstTokenComplete",
      [](const py::handle& responses, const py::object& cb) {
        CompleteFromPython(responses, cb, true);
      },
      py::arg("responses"), py::arg("response_cb") = py::none(),
      "Called by the SUT to indicate that tokens from some combination of "
      "IssueQuery calls have finished.");

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
  m.attr("__version__") = Version();
}
