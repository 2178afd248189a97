// completion.h: completing samples from Python (QuerySamplesComplete,
// FirstTokenComplete, complete_samples): arguments converted with the GIL
// held, then released for the C++ work (bindings.cc).
#ifndef LOADGEN_PYTHON_SRC_COMPLETION_H_
#define LOADGEN_PYTHON_SRC_COMPLETION_H_

#include <pybind11/pybind11.h>

namespace loadgen_py {

namespace py = pybind11;

// QuerySamplesComplete (first_token false) or FirstTokenComplete of a list
// or tuple of QuerySampleResponse; cb: None or a response callback.
void CompleteFromPython(const py::handle& responses, const py::object& cb,
                        bool first_token);

// complete_samples(ids, data, offsets, n_tokens).
void CompleteSamples(const py::object& ids_obj, const py::object& data,
                     const py::object& offsets_obj,
                     const py::object& n_tokens_obj);

}  // namespace loadgen_py

#endif  // LOADGEN_PYTHON_SRC_COMPLETION_H_
