#include "sample_types.h"

#include <structmember.h>

#include <cstdio>
#include <string>

namespace loadgen_py {
namespace {

PyTypeObject* g_sample_type = nullptr;
PyTypeObject* g_response_type = nullptr;

// An unsigned 64-bit value from a Python int; TypeError otherwise (negative
// values included, as the reference's bindings do).
bool ToU64(PyObject* v, const char* what, uint64_t* out) {
  if (!PyLong_Check(v)) {
    PyErr_Format(PyExc_TypeError, "%s must be an int, not %.100s", what,
                 Py_TYPE(v)->tp_name);
    return false;
  }
  const unsigned long long x = PyLong_AsUnsignedLongLong(v);
  if (x == static_cast<unsigned long long>(-1) && PyErr_Occurred()) {
    PyErr_Clear();
    PyErr_Format(PyExc_TypeError, "%s must be an int in [0, 2**64), got %R",
                 what, v);
    return false;
  }
  *out = x;
  return true;
}

bool ToI64(PyObject* v, const char* what, int64_t* out) {
  if (!PyLong_Check(v)) {
    PyErr_Format(PyExc_TypeError, "%s must be an int, not %.100s", what,
                 Py_TYPE(v)->tp_name);
    return false;
  }
  const long long x = PyLong_AsLongLong(v);
  if (x == -1 && PyErr_Occurred()) {
    PyErr_Clear();
    PyErr_Format(PyExc_TypeError, "%s must fit in a signed 64-bit int, got %R",
                 what, v);
    return false;
  }
  *out = x;
  return true;
}

bool NoKeywords(const char* type, PyObject* kwds) {
  if (kwds != nullptr && PyDict_GET_SIZE(kwds) != 0) {
    PyErr_Format(PyExc_TypeError, "%s() takes positional arguments only", type);
    return false;
  }
  return true;
}

// --- QuerySample ---------------------------------------------------------

PyObject* SampleNew(PyTypeObject* type, PyObject* args, PyObject* kwds) {
  if (!NoKeywords("QuerySample", kwds)) return nullptr;
  const Py_ssize_t n = PyTuple_GET_SIZE(args);
  uint64_t id = 0, index = 0;
  if (n == 2) {
    if (!ToU64(PyTuple_GET_ITEM(args, 0), "QuerySample.id", &id) ||
        !ToU64(PyTuple_GET_ITEM(args, 1), "QuerySample.index", &index)) {
      return nullptr;
    }
  } else if (n != 0) {
    PyErr_Format(PyExc_TypeError,
                 "QuerySample() takes 0 or 2 arguments (id, index), got %zd",
                 n);
    return nullptr;
  }
  PyObject* self = type->tp_alloc(type, 0);
  if (self == nullptr) return nullptr;
  auto* s = reinterpret_cast<PyQuerySample*>(self);
  s->id = id;
  s->index = index;
  return self;
}

template <typename T, uint64_t T::*Field>
PyObject* GetU64(PyObject* self, void*) {
  return PyLong_FromUnsignedLongLong(reinterpret_cast<T*>(self)->*Field);
}

template <typename T, uint64_t T::*Field>
int SetU64(PyObject* self, PyObject* v, void* name) {
  if (v == nullptr) {
    PyErr_SetString(PyExc_AttributeError, "cannot delete this attribute");
    return -1;
  }
  uint64_t x;
  if (!ToU64(v, static_cast<const char*>(name), &x)) return -1;
  reinterpret_cast<T*>(self)->*Field = x;
  return 0;
}

PyObject* SampleRepr(PyObject* self) {
  auto* s = reinterpret_cast<PyQuerySample*>(self);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "QuerySample(id=%llu, index=%llu)",
                static_cast<unsigned long long>(s->id),
                static_cast<unsigned long long>(s->index));
  return PyUnicode_FromString(buf);
}

PyObject* SampleReduce(PyObject* self, PyObject*) {
  auto* s = reinterpret_cast<PyQuerySample*>(self);
  return Py_BuildValue("(O(KK))", reinterpret_cast<PyObject*>(Py_TYPE(self)),
                       static_cast<unsigned long long>(s->id),
                       static_cast<unsigned long long>(s->index));
}

PyGetSetDef kSampleGetSet[] = {
    {"id", GetU64<PyQuerySample, &PyQuerySample::id>,
     SetU64<PyQuerySample, &PyQuerySample::id>,
     "Response id: pass it back in QuerySampleResponse.",
     const_cast<char*>("QuerySample.id")},
    {"index", GetU64<PyQuerySample, &PyQuerySample::index>,
     SetU64<PyQuerySample, &PyQuerySample::index>,
     "Index of the sample in the QSL.", const_cast<char*>("QuerySample.index")},
    {nullptr, nullptr, nullptr, nullptr, nullptr}};

PyMethodDef kSampleMethods[] = {
    {"__reduce__", SampleReduce, METH_NOARGS, nullptr},
    {nullptr, nullptr, 0, nullptr}};

PyType_Slot kSampleSlots[] = {
    {Py_tp_new, reinterpret_cast<void*>(SampleNew)},
    {Py_tp_repr, reinterpret_cast<void*>(SampleRepr)},
    {Py_tp_getset, kSampleGetSet},
    {Py_tp_methods, kSampleMethods},
    {Py_tp_doc,
     const_cast<char*>(
         "QuerySample(id, index): one sample of a query. id identifies "
         "the response; index is the QSL sample index.")},
    {0, nullptr}};

PyType_Spec kSampleSpec = {"loadgen._core.QuerySample", sizeof(PyQuerySample),
                           0, Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
                           kSampleSlots};

// --- QuerySampleResponse -------------------------------------------------

PyObject* ResponseNew(PyTypeObject* type, PyObject* args, PyObject* kwds) {
  if (!NoKeywords("QuerySampleResponse", kwds)) return nullptr;
  const Py_ssize_t n = PyTuple_GET_SIZE(args);
  uint64_t id = 0, data = 0, size = 0;
  int64_t n_tokens = 0;
  if (n == 3 || n == 4) {
    if (!ToU64(PyTuple_GET_ITEM(args, 0), "QuerySampleResponse.id", &id) ||
        !ToU64(PyTuple_GET_ITEM(args, 1), "QuerySampleResponse.data", &data) ||
        !ToU64(PyTuple_GET_ITEM(args, 2), "QuerySampleResponse.size", &size)) {
      return nullptr;
    }
    if (n == 4 && !ToI64(PyTuple_GET_ITEM(args, 3),
                         "QuerySampleResponse.n_tokens", &n_tokens)) {
      return nullptr;
    }
  } else if (n != 0) {
    PyErr_Format(PyExc_TypeError,
                 "QuerySampleResponse() takes 0, 3 (id, data, size) or 4 (id, "
                 "data, size, n_tokens) arguments, got %zd",
                 n);
    return nullptr;
  }
  PyObject* self = type->tp_alloc(type, 0);
  if (self == nullptr) return nullptr;
  auto* r = reinterpret_cast<PyQuerySampleResponse*>(self);
  r->id = id;
  r->data = data;
  r->size = size;
  r->n_tokens = n_tokens;
  return self;
}

PyObject* GetNTokens(PyObject* self, void*) {
  return PyLong_FromLongLong(
      reinterpret_cast<PyQuerySampleResponse*>(self)->n_tokens);
}

int SetNTokens(PyObject* self, PyObject* v, void*) {
  if (v == nullptr) {
    PyErr_SetString(PyExc_AttributeError, "cannot delete this attribute");
    return -1;
  }
  int64_t x;
  if (!ToI64(v, "QuerySampleResponse.n_tokens", &x)) return -1;
  reinterpret_cast<PyQuerySampleResponse*>(self)->n_tokens = x;
  return 0;
}

PyObject* ResponseRepr(PyObject* self) {
  auto* r = reinterpret_cast<PyQuerySampleResponse*>(self);
  char buf[160];
  std::snprintf(
      buf, sizeof(buf),
      "QuerySampleResponse(id=%llu, data=%llu, size=%llu, n_tokens=%lld)",
      static_cast<unsigned long long>(r->id),
      static_cast<unsigned long long>(r->data),
      static_cast<unsigned long long>(r->size),
      static_cast<long long>(r->n_tokens));
  return PyUnicode_FromString(buf);
}

PyObject* ResponseReduce(PyObject* self, PyObject*) {
  auto* r = reinterpret_cast<PyQuerySampleResponse*>(self);
  return Py_BuildValue("(O(KKKL))", reinterpret_cast<PyObject*>(Py_TYPE(self)),
                       static_cast<unsigned long long>(r->id),
                       static_cast<unsigned long long>(r->data),
                       static_cast<unsigned long long>(r->size),
                       static_cast<long long>(r->n_tokens));
}

PyGetSetDef kResponseGetSet[] = {
    {"id", GetU64<PyQuerySampleResponse, &PyQuerySampleResponse::id>,
     SetU64<PyQuerySampleResponse, &PyQuerySampleResponse::id>,
     "The QuerySample.id being answered.",
     const_cast<char*>("QuerySampleResponse.id")},
    {"data", GetU64<PyQuerySampleResponse, &PyQuerySampleResponse::data>,
     SetU64<PyQuerySampleResponse, &PyQuerySampleResponse::data>,
     "Address of the response bytes (valid during QuerySamplesComplete).",
     const_cast<char*>("QuerySampleResponse.data")},
    {"size", GetU64<PyQuerySampleResponse, &PyQuerySampleResponse::size>,
     SetU64<PyQuerySampleResponse, &PyQuerySampleResponse::size>,
     "Size of the response in bytes.",
     const_cast<char*>("QuerySampleResponse.size")},
    {"n_tokens", GetNTokens, SetNTokens, "Output tokens (token latencies).",
     nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr}};

PyMethodDef kResponseMethods[] = {
    {"__reduce__", ResponseReduce, METH_NOARGS, nullptr},
    {nullptr, nullptr, 0, nullptr}};

PyType_Slot kResponseSlots[] = {
    {Py_tp_new, reinterpret_cast<void*>(ResponseNew)},
    {Py_tp_repr, reinterpret_cast<void*>(ResponseRepr)},
    {Py_tp_getset, kResponseGetSet},
    {Py_tp_methods, kResponseMethods},
    {Py_tp_doc,
     const_cast<char*>(
         "QuerySampleResponse(id, data, size[, n_tokens]): the answer "
         "for one sample; data is the address of size bytes.")},
    {0, nullptr}};

PyType_Spec kResponseSpec = {
    "loadgen._core.QuerySampleResponse", sizeof(PyQuerySampleResponse), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, kResponseSlots};

}  // namespace

bool AddSampleTypes(PyObject* module) {
  g_sample_type =
      reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&kSampleSpec));
  if (g_sample_type == nullptr) return false;
  g_response_type =
      reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&kResponseSpec));
  if (g_response_type == nullptr) return false;
  // The module keeps its own references; ours live for the process.
  Py_INCREF(g_sample_type);
  Py_INCREF(g_response_type);
  if (PyModule_AddObject(module, "QuerySample",
                         reinterpret_cast<PyObject*>(g_sample_type)) < 0) {
    return false;
  }
  if (PyModule_AddObject(module, "QuerySampleResponse",
                         reinterpret_cast<PyObject*>(g_response_type)) < 0) {
    return false;
  }
  return true;
}

PyTypeObject* QuerySampleType() { return g_sample_type; }
PyTypeObject* QuerySampleResponseType() { return g_response_type; }

PyObject* NewQuerySample(uint64_t id, uint64_t index) {
  auto* s = static_cast<PyQuerySample*>(PyObject_Malloc(sizeof(PyQuerySample)));
  if (s == nullptr) return PyErr_NoMemory();
  PyObject_Init(reinterpret_cast<PyObject*>(s), g_sample_type);
  s->id = id;
  s->index = index;
  return reinterpret_cast<PyObject*>(s);
}

PyObject* NewQuerySampleResponse(uint64_t id, uint64_t data, uint64_t size,
                                 int64_t n_tokens) {
  auto* r = static_cast<PyQuerySampleResponse*>(
      PyObject_Malloc(sizeof(PyQuerySampleResponse)));
  if (r == nullptr) return PyErr_NoMemory();
  PyObject_Init(reinterpret_cast<PyObject*>(r), g_response_type);
  r->id = id;
  r->data = data;
  r->size = size;
  r->n_tokens = n_tokens;
  return reinterpret_cast<PyObject*>(r);
}

}  // namespace loadgen_py
