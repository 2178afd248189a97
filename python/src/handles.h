// handles.h: integers standing for constructed SUTs and QSLs, as in the
// reference, looked up in a table so that a wrong or destroyed handle raises
// ValueError instead of crashing (bindings.cc).
#ifndef LOADGEN_PYTHON_SRC_HANDLES_H_
#define LOADGEN_PYTHON_SRC_HANDLES_H_

#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "loadgen/loadgen.h"

namespace loadgen_py {

namespace py = pybind11;
using namespace mlperf;

struct Handles {
  std::mutex mu;
  std::unordered_map<uintptr_t, std::shared_ptr<SystemUnderTest>> suts;
  std::unordered_map<uintptr_t, std::shared_ptr<QuerySampleLibrary>> qsls;
  uintptr_t next = 0x10000;
};

Handles& GetHandles();
uintptr_t AddSut(std::shared_ptr<SystemUnderTest> sut);
uintptr_t AddQsl(std::shared_ptr<QuerySampleLibrary> qsl);

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

std::shared_ptr<SystemUnderTest> FindSut(uintptr_t handle);
std::shared_ptr<QuerySampleLibrary> FindQsl(uintptr_t handle);

// A SUT object (our SystemUnderTest class or anything with issue_queries and
// flush_queries) or a handle.
std::shared_ptr<SystemUnderTest> SutFrom(const py::object& o);
std::shared_ptr<QuerySampleLibrary> QslFrom(const py::object& o);

}  // namespace loadgen_py

#endif  // LOADGEN_PYTHON_SRC_HANDLES_H_
