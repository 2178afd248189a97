// sample_types.h: QuerySample and QuerySampleResponse as plain CPython types.
//
// A test creates and frees one of each per sample, so they are on the hot
// path: pybind11 instances cost ~0.5 us and ~100 bytes each (a registry entry
// per instance); these cost ~50 ns and 32/48 bytes. Same names, fields,
// constructors and error types as the reference's classes.
#ifndef LOADGEN_PYTHON_SAMPLE_TYPES_H_
#define LOADGEN_PYTHON_SAMPLE_TYPES_H_

#include <Python.h>

#include <cstdint>

namespace loadgen_py {

struct PyQuerySample {
  PyObject_HEAD uint64_t id;
  uint64_t index;
};

struct PyQuerySampleResponse {
  PyObject_HEAD uint64_t id;
  uint64_t data;
  uint64_t size;
  int64_t n_tokens;
};

// Creates both types and adds them to `module`. Returns false with a Python
// error set on failure.
bool AddSampleTypes(PyObject* module);

PyTypeObject* QuerySampleType();
PyTypeObject* QuerySampleResponseType();

// New references; null with MemoryError set on failure.
PyObject* NewQuerySample(uint64_t id, uint64_t index);
PyObject* NewQuerySampleResponse(uint64_t id, uint64_t data, uint64_t size,
                                 int64_t n_tokens);

inline bool IsQuerySampleResponse(PyObject* o) {
  return PyObject_TypeCheck(o, QuerySampleResponseType());
}

}  // namespace loadgen_py

#endif  // LOADGEN_PYTHON_SAMPLE_TYPES_H_
