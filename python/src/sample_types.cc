#include "sample_types.h"

#include <structmember.h>

#include <cstdio>
#include <string>
#include <type_traits>

namespace loadgen_py {
namespace {

PyTypeObject* g_sample_type = nullptr;
PyTypeObject* g_response_type = nullptr;

// A 64-bit int from a Python int; TypeError otherwise, or when it does not
// fit (negative values for an unsigned one, as the reference's bindings do).
template <typename T>
bool ToInt(PyObject* v, const char* what, T* out) {
  static_assert(sizeof(T) == 8, "a 64-bit int");
  if (!PyLong_Check(v)) {
    PyErr_Format(PyExc_TypeError, "%s must be an int, not %.100s", what,
                 Py_TYPE(v)->tp_name);
    return false;
  }
  constexpr bool kUnsigned = std::is_unsigned_v<T>;
  const T x = kUnsigned ? static_cast<T>(PyLong_AsUnsignedLongLong(v))
                        : static_cast<T>(PyLong_AsLongLong(v));
  if (x == static_cast<T>(-1) && PyErr_Occurred()) {
    PyErr_Clear();
    PyErr_Format(PyExc_TypeError,
                 kUnsigned ? "%s must be an int in [0, 2**64), got %R"
                           : "%s must fit in a signed 64-bit int, got %R",
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
    if (!ToInt(PyTuple_GET_ITEM(args, 0), "QuerySample.id", &id) ||
        !ToInt(PyTuple_GET_ITEM(args, 1), "QuerySample.index", &index)) {
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

template <typename M>
struct MemberOf;
template <typename T, typename V>
struct MemberOf<V T::*> {
  using Object = T;
  using Value = V;
};

// The getter and setter of an int attribute; the setter's closure is the
// attribute's name for messages.
template <auto Field>
PyObject* GetInt(PyObject* self, void*) {
  using M = MemberOf<decltype(Field)>;
  const auto v = reinterpret_cast<typename M::Object*>(self)->*Field;
  if constexpr (std::is_unsigned_v<typename M::Value>) {
    return PyLong_FromUnsignedLongLong(v);
  } else {
    return PyLong_FromLongLong(v);
  }
}

template <auto Field>
int SetInt(PyObject* self, PyObject* v, void* name) {
  using M = MemberOf<decltype(Field)>;
  if (v == nullptr) {
    PyErr_SetString(PyExc_AttributeError, "cannot delete this attribute");
    return -1;
  }
  typename M::Value x;
  if (!ToInt(v, static_cast<const char*>(name), &x)) return -1;
  reinterpret_cast<typename M::Object*>(self)->*Field = x;
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
    {"id", GetInt<&PyQuerySample::id>, SetInt<&PyQuerySample::id>,
     "Response id: pass it back in QuerySampleResponse.",
     const_cast<char*>("QuerySample.id")},
    {"index", GetInt<&PyQuerySample::index>, SetInt<&PyQuerySample::index>,
     "Index of the sample in the QSL.", const_cast<char*>("QuerySample.index")},
    {nullptr, nullptr, nullptr, nullptr, nullptr}};

// --- QuerySampleResponse -------------------------------------------------

PyObject* ResponseNew(PyTypeObject* type, PyObject* args, PyObject* kwds) {
  if (!NoKeywords("QuerySampleResponse", kwds)) return nullptr;
  const Py_ssize_t n = PyTuple_GET_SIZE(args);
  uint64_t id = 0, data = 0, size = 0;
  int64_t n_tokens = 0;
  if (n == 3 || n == 4) {
    if (!ToInt(PyTuple_GET_ITEM(args, 0), "QuerySampleResponse.id", &id) ||
        !ToInt(PyTuple_GET_ITEM(args, 1), "QuerySampleResponse.data", &data) ||
        !ToInt(PyTuple_GET_ITEM(args, 2), "QuerySampleResponse.size", &size)) {
      return nullptr;
    }
    if (n == 4 && !ToInt(PyTuple_GET_ITEM(args, 3),
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
    {"id", GetInt<&PyQuerySampleResponse::id>,
     SetInt<&PyQuerySampleResponse::id>, "The QuerySample.id being answered.",
     const_cast<char*>("QuerySampleResponse.id")},
    {"data", GetInt<&PyQuerySampleResponse::data>,
     SetInt<&PyQuerySampleResponse::data>,
     "Address of the response bytes (valid during QuerySamplesComplete).",
     const_cast<char*>("QuerySampleResponse.data")},
    {"size", GetInt<&PyQuerySampleResponse::size>,
     SetInt<&PyQuerySampleResponse::size>, "Size of the response in bytes.",
     const_cast<char*>("QuerySampleResponse.size")},
    {"n_tokens", GetInt<&PyQuerySampleResponse::n_tokens>,
     SetInt<&PyQuerySampleResponse::n_tokens>,
     "Output tokens (token latencies).",
     const_cast<char*>("QuerySampleResponse.n_tokens")},
    {nullptr, nullptr, nullptr, nullptr, nullptr}};

// What each of the two types is made of.
struct TypeParts {
  const char* name;  // the qualified name, "loadgen._core.QuerySample"
  int basicsize;
  newfunc tp_new;
  reprfunc tp_repr;
  PyGetSetDef* getset;
  PyCFunction reduce;  // __reduce__, for pickling
  const char* doc;
};

// Creates the type and adds it to `module` as `attr`; null on failure.
PyTypeObject* AddType(PyObject* module, const char* attr, const TypeParts& p) {
  // The type refers to its methods for the process's life (as to `getset`).
  auto* methods =
      new PyMethodDef[2]{{"__reduce__", p.reduce, METH_NOARGS, nullptr},
                         {nullptr, nullptr, 0, nullptr}};
  PyType_Slot slots[] = {{Py_tp_new, reinterpret_cast<void*>(p.tp_new)},
                         {Py_tp_repr, reinterpret_cast<void*>(p.tp_repr)},
                         {Py_tp_getset, p.getset},
                         {Py_tp_methods, methods},
                         {Py_tp_doc, const_cast<char*>(p.doc)},
                         {0, nullptr}};
  PyType_Spec spec = {p.name, p.basicsize, 0,
                      Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, slots};
  auto* type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&spec));
  if (type == nullptr) return nullptr;
  // The module keeps its own reference; ours lives for the process.
  Py_INCREF(type);
  if (PyModule_AddObject(module, attr, reinterpret_cast<PyObject*>(type)) < 0) {
    return nullptr;
  }
  return type;
}

}  // namespace

bool AddSampleTypes(PyObject* module) {
  g_sample_type = AddType(
      module, "QuerySample",
      {"loadgen._core.QuerySample", sizeof(PyQuerySample), SampleNew,
       SampleRepr, kSampleGetSet, SampleReduce,
       "QuerySample(id, index): one sample of a query. id identifies the "
       "response; index is the QSL sample index."});
  if (g_sample_type == nullptr) return false;
  g_response_type = AddType(
      module, "QuerySampleResponse",
      {"loadgen._core.QuerySampleResponse", sizeof(PyQuerySampleResponse),
       ResponseNew, ResponseRepr, kResponseGetSet, ResponseReduce,
       "QuerySampleResponse(id, data, size[, n_tokens]): the answer for one "
       "sample; data is the address of size bytes."});
  return g_response_type != nullptr;
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
