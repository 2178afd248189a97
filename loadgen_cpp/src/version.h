// version.h: what build of the library this is.
#ifndef LOADGEN_SRC_VERSION_H_
#define LOADGEN_SRC_VERSION_H_

namespace mlperf {
namespace internal {
const char* BuildDate();
}  // namespace internal
}  // namespace mlperf

#endif  // LOADGEN_SRC_VERSION_H_
