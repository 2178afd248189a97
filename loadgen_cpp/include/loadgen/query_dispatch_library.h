// query_dispatch_library.h: a SUT reached over the network (the reference's
// "LoadGen over the network" mode). LoadGen treats it as any other SUT.
#ifndef LOADGEN_QUERY_DISPATCH_LIBRARY_H_
#define LOADGEN_QUERY_DISPATCH_LIBRARY_H_

#include <string>

#include "system_under_test.h"

namespace mlperf {

class QueryDispatchLibrary : public SystemUnderTest {
 public:
  virtual ~QueryDispatchLibrary() = default;
};

}  // namespace mlperf

#endif  // LOADGEN_QUERY_DISPATCH_LIBRARY_H_
