#include "check.h"

#include <cstdio>
#include <cstdlib>

namespace mlperf {
namespace internal {

void CheckFailed(const char* condition, const char* message, const char* file,
                 int line) {
  std::fprintf(stderr, "loadgen: internal check failed at %s:%d: %s (%s)\n",
               file, line, message, condition);
  std::fflush(stderr);
  std::abort();
}

}  // namespace internal
}  // namespace mlperf
