// thread_annotations.h: clang's thread-safety attributes behind macros (empty
// for other compilers), and a Mutex that carries them. Build with clang and
// -Wthread-safety (the sanitizer cells of .ci/run do) to have the compiler
// check that every member marked LG_GUARDED_BY(mu) is only touched under mu.
#ifndef LOADGEN_SRC_THREAD_ANNOTATIONS_H_
#define LOADGEN_SRC_THREAD_ANNOTATIONS_H_

#include <mutex>

#if defined(__clang__)
#define LG_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define LG_THREAD_ANNOTATION(x)
#endif

#define LG_CAPABILITY(x) LG_THREAD_ANNOTATION(capability(x))
#define LG_SCOPED_CAPABILITY LG_THREAD_ANNOTATION(scoped_lockable)
#define LG_GUARDED_BY(x) LG_THREAD_ANNOTATION(guarded_by(x))
#define LG_REQUIRES(...) LG_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define LG_ACQUIRE(...) LG_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define LG_RELEASE(...) LG_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define LG_EXCLUDES(...) LG_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define LG_NO_THREAD_SAFETY_ANALYSIS \
  LG_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace mlperf {
namespace internal {

// std::mutex with the capability attribute.
class LG_CAPABILITY("mutex") Mutex {
 public:
  void lock() LG_ACQUIRE() { mu_.lock(); }
  void unlock() LG_RELEASE() { mu_.unlock(); }
  // For std::condition_variable waits while this is held.
  std::mutex& native() { return mu_; }

 private:
  std::mutex mu_;
};

// std::lock_guard for Mutex.
class LG_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) LG_ACQUIRE(mu) : mu_(mu) { mu_->lock(); }
  ~MutexLock() LG_RELEASE() { mu_->unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* mu_;
};

}  // namespace internal
}  // namespace mlperf

#endif  // LOADGEN_SRC_THREAD_ANNOTATIONS_H_
