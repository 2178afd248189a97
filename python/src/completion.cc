// completion.cc: completing samples from Python (completion.h).
#include "completion.h"

#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <vector>

#include "complete_args.h"
#include "loadgen/loadgen.h"
#include "sample_types.h"

namespace loadgen_py {

using namespace mlperf;

namespace {

// Wraps a Python response callback so it runs with the GIL.
ResponseCallback WrapCallback(const py::object& cb) {
  if (cb.is_none()) return {};
  auto fn = std::make_shared<py::object>(cb);
  return [fn](QuerySampleResponse* r) {
    py::gil_scoped_acquire gil;
    py::object o = py::reinterpret_steal<py::object>(
        NewQuerySampleResponse(r->id, r->data, r->size, r->n_tokens));
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
    if (!IsQuerySampleResponse(item)) {
      throw py::type_error(std::string(fn) + ": item " + std::to_string(i) +
                           " is a " + Py_TYPE(item)->tp_name +
                           ", not a QuerySampleResponse");
    }
    const auto* r = reinterpret_cast<const PyQuerySampleResponse*>(item);
    out[static_cast<size_t>(i)] =
        QuerySampleResponse(r->id, r->data, r->size, r->n_tokens);
  }
  return out;
}

// ids from any integer sequence or array, as uint64.
py::array_t<uint64_t, py::array::c_style> IdsArray(const py::object& ids) {
  return py::array_t<uint64_t,
                     py::array::c_style | py::array::forcecast>::ensure(ids);
}

}  // namespace

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
        CheckNTokens(n, true, static_cast<size_t>(ntok.size()));
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
    const std::string err = ResponseOffsets(
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

}  // namespace loadgen_py
