// handles.cc: the handle table (handles.h) and turning a Python SUT or QSL
// object into LoadGen's interface.
#include "handles.h"

#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "py_objects.h"

namespace loadgen_py {

Handles& GetHandles() {
  static Handles* h = new Handles();  // never destroyed: outlives interpreter
  return *h;
}

namespace {

template <typename T>
using HandleMap = std::unordered_map<uintptr_t, std::shared_ptr<T>>;

template <typename T>
uintptr_t Add(HandleMap<T> Handles::*map, std::shared_ptr<T> object) {
  auto& h = GetHandles();
  std::lock_guard<std::mutex> lock(h.mu);
  const uintptr_t id = h.next++;
  (h.*map)[id] = std::move(object);
  return id;
}

// `what`: "sut" or "qsl"; `kind`: "SUT" or "QSL"; `construct`: the call that
// makes one.
template <typename T>
std::shared_ptr<T> Find(HandleMap<T> Handles::*map, uintptr_t handle,
                        const char* what, const char* kind,
                        const char* construct) {
  auto& h = GetHandles();
  std::lock_guard<std::mutex> lock(h.mu);
  auto it = (h.*map).find(handle);
  if (it == (h.*map).end()) {
    throw py::value_error(std::string("StartTest: ") + what + " handle " +
                          std::to_string(handle) + " does not name a live " +
                          kind + " (use " + construct + ")");
  }
  return it->second;
}

}  // namespace

uintptr_t AddSut(std::shared_ptr<SystemUnderTest> sut) {
  return Add(&Handles::suts, std::move(sut));
}

uintptr_t AddQsl(std::shared_ptr<QuerySampleLibrary> qsl) {
  return Add(&Handles::qsls, std::move(qsl));
}

std::shared_ptr<SystemUnderTest> FindSut(uintptr_t handle) {
  return Find(&Handles::suts, handle, "sut", "SUT", "ConstructSUT");
}

std::shared_ptr<QuerySampleLibrary> FindQsl(uintptr_t handle) {
  return Find(&Handles::qsls, handle, "qsl", "QSL", "ConstructQSL");
}

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

}  // namespace loadgen_py
