// bindings.h: the parts of the `loadgen._core` module, each bound by its own
// file and called in this order by bindings.cc.
#ifndef LOADGEN_PYTHON_SRC_BINDINGS_H_
#define LOADGEN_PYTHON_SRC_BINDINGS_H_

#include <pybind11/pybind11.h>

// Binds field `f` of the class bound as `cls` (a py::class_) under its own
// name, read-only or read-write.
#define LG_RO(cls, f) cls.def_readonly(#f, &decltype(cls)::type::f)
#define LG_RW(cls, f) cls.def_readwrite(#f, &decltype(cls)::type::f)

namespace loadgen_py {

// The enums, ConfigDiagnostic, TestSettings and the log settings
// (bind_settings.cc).
void BindSettings(pybind11::module_& m);
// LatencyStats, PerformanceResult, PeakProbe, TestResult (bind_results.cc).
void BindResults(pybind11::module_& m);
// The reference API and our extensions: SUTs, QSLs, running, completing
// (bind_api.cc).
void BindApi(pybind11::module_& m);

}  // namespace loadgen_py

#endif  // LOADGEN_PYTHON_SRC_BINDINGS_H_
