// py_objects.h: LoadGen's SUT and QSL interfaces backed by Python callables
// (bindings.cc). Every call into Python takes the GIL for its duration only.
#ifndef LOADGEN_PYTHON_SRC_PY_OBJECTS_H_
#define LOADGEN_PYTHON_SRC_PY_OBJECTS_H_

#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <utility>
#include <vector>

#include "loadgen/loadgen.h"
#include "loadgen/query_dispatch_library.h"
#include "sample_types.h"

namespace loadgen_py {

namespace py = pybind11;
using namespace mlperf;

// How a SUT's issue callback receives the samples: QuerySample objects, two
// lists (ids, indices), or two uint64 NumPy arrays.
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

}  // namespace loadgen_py

#endif  // LOADGEN_PYTHON_SRC_PY_OBJECTS_H_
