// The `loadgen._core` extension: the reference's `mlperf_loadgen` API with
// the same names, values and call shapes, plus our extensions.
//
// GIL: StartTest releases it for the whole test. Every call into Python
// (issue, flush, load, unload, name, response callbacks) takes it for the
// duration of that call only. Completion functions convert their arguments
// with the GIL held, then release it for the C++ work.
//
// The parts: bind_settings.cc, bind_results.cc and bind_api.cc (bindings.h),
// over py_objects.h (Python-backed SUT and QSL), handles.{h,cc} and
// completion.{h,cc}.
#include "bindings.h"

#include <pybind11/pybind11.h>

#include "loadgen/loadgen.h"
#include "sample_types.h"

namespace py = pybind11;

PYBIND11_MODULE(_core, m) {
  m.doc() = "MLPerf Inference load generator.";

  loadgen_py::BindSettings(m);
  if (!loadgen_py::AddSampleTypes(m.ptr())) throw py::error_already_set();
  loadgen_py::BindResults(m);
  loadgen_py::BindApi(m);
  m.attr("__version__") = mlperf::Version();
}
