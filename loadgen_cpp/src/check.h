// check.h: invariant checks. In debug builds (NDEBUG not defined) a failed
// LG_DCHECK prints the condition, the message, file and line on stderr and
// aborts; in release builds it compiles to nothing (the condition is not
// evaluated), so it may sit on the completion path.
#ifndef LOADGEN_SRC_CHECK_H_
#define LOADGEN_SRC_CHECK_H_

namespace mlperf {
namespace internal {

[[noreturn]] void CheckFailed(const char* condition, const char* message,
                              const char* file, int line);

}  // namespace internal
}  // namespace mlperf

#ifndef NDEBUG
#define LG_DCHECK(condition, message)                                \
  do {                                                               \
    if (!(condition)) {                                              \
      ::mlperf::internal::CheckFailed(#condition, message, __FILE__, \
                                      __LINE__);                     \
    }                                                                \
  } while (false)
#else
#define LG_DCHECK(condition, message) \
  do {                                \
  } while (false && (condition))
#endif

#endif  // LOADGEN_SRC_CHECK_H_
