// run_control.h: how a run ends other than naturally, and its error book.
// Abort (AbortTest, Ctrl-C through the poll hook, an exception in a
// callback, the watchdog), the stored exception that StartTest rethrows, the
// guard around every SUT/QSL callback, the poll hook, and the wait for
// completions with its watchdog.
#ifndef LOADGEN_SRC_RUN_CONTROL_H_
#define LOADGEN_SRC_RUN_CONTROL_H_

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "clock.h"
#include "completion_tracker.h"
#include "detail_log.h"
#include "loadgen/loadgen.h"
#include "thread_annotations.h"

namespace mlperf {
namespace internal {

// Wall time for the safety timers (watchdog, abort grace, polling): these
// must advance even when a test injects a manual clock.
int64_t RealNowNs();

// What bounds a wait for completions.
struct WaitLimits {
  int64_t watchdog_ns = 0;      // 0: no watchdog
  int64_t max_duration_ms = 0;  // 0: none; performance phases only
  int64_t phase_start_real_ns = 0;
};

class RunControl {
 public:
  // At most this many per-sample errors are kept and logged one by one.
  static constexpr size_t kMaxKeptErrors = 100;

  RunControl(const RunOptions& options, Clock* clock,
             CompletionTracker* tracker)
      : options_(options), clock_(clock), tracker_(tracker) {}
  // The run's clock, for record times; set before anything is recorded.
  void SetClock(Clock* clock) { clock_ = clock; }

  // Where records go; set once, before anything can be recorded.
  void SetDetailLog(DetailLog* detail) {
    detail_.store(detail, std::memory_order_release);
  }
  DetailLog* detail() const { return detail_.load(std::memory_order_acquire); }

  // ---- Any thread.
  void AddError(const std::string& key, const std::string& message)
      LG_EXCLUDES(errors_mu_);
  void AddWarning(const std::string& key, const std::string& message);
  // An error about one sample: counted always, kept and logged for the first
  // kMaxKeptErrors only.
  void AddSampleError(const std::string& message) LG_EXCLUDES(errors_mu_);
  void RequestAbort(const std::string& reason) LG_EXCLUDES(abort_mu_);
  bool Aborting() const { return abort_.load(std::memory_order_acquire); }
  std::string AbortReason() LG_EXCLUDES(abort_mu_);
  std::vector<std::string> ErrorMessages() LG_EXCLUDES(errors_mu_);
  int64_t SampleErrorCount() const {
    return sample_error_count_.load(std::memory_order_relaxed);
  }

  // ---- The StartTest thread.

  // Runs a SUT/QSL callback; an exception becomes an error record, an abort
  // and the stored exception. Returns false when it threw.
  bool CallSafely(const char* what, const std::function<void()>& fn);
  bool HasException() const { return exception_ != nullptr; }
  std::exception_ptr exception() const { return exception_; }
  // Calls the poll hook if its interval has passed.
  void PollIfDue();
  void RestartPollTimer() { last_poll_ns_ = RealNowNs(); }
  // Waits until `target` samples of the phase completed. Returns false when
  // the run is aborting (closing: after giving in-flight samples a grace
  // period) or the watchdog or max_duration ended it.
  bool WaitForCompleted(uint64_t target, bool closing,
                        const WaitLimits& limits);

 private:
  const RunOptions& options_;
  Clock* clock_;
  CompletionTracker* const tracker_;
  std::atomic<DetailLog*> detail_{nullptr};

  std::atomic<bool> abort_{false};
  Mutex abort_mu_;
  std::string abort_reason_ LG_GUARDED_BY(abort_mu_);

  std::atomic<int64_t> sample_error_count_{0};
  Mutex errors_mu_;
  std::vector<std::string> error_messages_ LG_GUARDED_BY(errors_mu_);

  // The StartTest thread only.
  std::exception_ptr exception_;
  int64_t last_poll_ns_ = 0;
};

}  // namespace internal
}  // namespace mlperf

#endif  // LOADGEN_SRC_RUN_CONTROL_H_
