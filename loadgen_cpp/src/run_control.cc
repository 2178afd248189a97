#include "run_control.h"

#include <algorithm>
#include <chrono>

namespace mlperf {
namespace internal {

namespace {
constexpr int64_t kMaxDurationStallMinNs = 1000000000;  // 1 s
constexpr int64_t kAbortGraceNs = 500000000;            // drain after an abort
}  // namespace

int64_t RealNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void RunControl::AddError(const std::string& key, const std::string& message) {
  {
    MutexLock lock(&errors_mu_);
    error_messages_.push_back(message);
  }
  if (DetailLog* d = detail())
    d->Add(key, JsonString(message), clock_->NowNs(), true, false);
}

void RunControl::AddSampleError(const std::string& message) {
  // A misbehaving SUT can report millions of these: all are counted, the
  // first kMaxKeptErrors are kept and logged one by one.
  const int64_t n = sample_error_count_.fetch_add(1, std::memory_order_relaxed);
  if (static_cast<size_t>(n) < kMaxKeptErrors) {
    {
      MutexLock lock(&errors_mu_);
      error_messages_.push_back(message);
    }
    if (DetailLog* d = detail()) {
      d->Add("error_runtime", JsonString(message), clock_->NowNs(), true,
             false);
    }
  }
}

void RunControl::AddWarning(const std::string& key,
                            const std::string& message) {
  if (DetailLog* d = detail())
    d->Add(key, JsonString(message), clock_->NowNs(), false, true);
}

void RunControl::RequestAbort(const std::string& reason) {
  {
    MutexLock lock(&abort_mu_);
    if (abort_reason_.empty()) abort_reason_ = reason;
  }
  abort_.store(true, std::memory_order_release);
  tracker_->Wake();
}

std::string RunControl::AbortReason() {
  MutexLock lock(&abort_mu_);
  return abort_reason_;
}

std::vector<std::string> RunControl::ErrorMessages() {
  MutexLock lock(&errors_mu_);
  return error_messages_;
}

bool RunControl::CallSafely(const char* what, const std::function<void()>& fn) {
  try {
    fn();
    return true;
  } catch (...) {
    if (!exception_) exception_ = std::current_exception();
    std::string msg;
    try {
      throw;
    } catch (const std::exception& e) {
      msg = e.what();
    } catch (...) {
      msg = "unknown exception";
    }
    // The detail log gets the whole text (a Python traceback included); the
    // abort reason, shown in the summary, its first line, without pybind11's
    // placeholder for an empty message.
    AddError("error_runtime",
             std::string("Exception raised in ") + what + ": " + msg +
                 (msg.find('\n') == std::string::npos ? "" : "\n") +
                 "Ending the test.");
    std::string first_line = msg.substr(0, msg.find('\n'));
    const std::string kEmpty = ": <EMPTY MESSAGE>";
    if (first_line.size() >= kEmpty.size() &&
        first_line.compare(first_line.size() - kEmpty.size(), kEmpty.size(),
                           kEmpty) == 0) {
      first_line.resize(first_line.size() - kEmpty.size());
    }
    RequestAbort(std::string("exception in ") + what + ": " + first_line);
    return false;
  }
}

void RunControl::PollIfDue() {
  if (!options_.poll) return;
  const int64_t now_ns = RealNowNs();
  if (now_ns - last_poll_ns_ < options_.poll_interval_ms * 1000000) return;
  last_poll_ns_ = now_ns;
  CallSafely("the poll hook", options_.poll);
}

bool RunControl::WaitForCompleted(uint64_t target, bool closing,
                                  const WaitLimits& limits) {
  if (tracker_->completed() >= target) return true;
  // A short spin catches SUTs that answer from another core right away.
  for (int i = 0; i < 2000; ++i) {
    if (tracker_->completed() >= target) return true;
  }
  uint64_t last_seen = tracker_->completed();
  int64_t last_progress_ns = RealNowNs();
  const int64_t interval_ms =
      std::max<int64_t>(1, std::min<int64_t>(options_.poll_interval_ms, 100));
  const int64_t max_ms = limits.max_duration_ms;
  const int64_t stall_ns =
      std::max<int64_t>(max_ms * 1000000, kMaxDurationStallMinNs);
  while (true) {
    tracker_->WaitFor(target, interval_ms, abort_);
    const uint64_t now_done = tracker_->completed();
    if (now_done >= target) return true;
    const int64_t now = RealNowNs();
    if (Aborting()) {
      // After an abort, give in-flight samples a moment to land.
      if (!closing) return false;
      if (now >= last_progress_ns + kAbortGraceNs) return false;
    }
    PollIfDue();
    if (now_done != last_seen) {
      last_seen = now_done;
      last_progress_ns = now;
    }
    // Past max_duration the tail is waited for, as the reference does; the
    // watchdog is the guard. Only with the watchdog off does max_duration
    // bound the wait: no completion for max_duration (at least 1 s) after it.
    if (limits.watchdog_ns == 0 && max_ms > 0 && !Aborting() &&
        now > limits.phase_start_real_ns + max_ms * 1000000 + stall_ns &&
        now - last_progress_ns > stall_ns) {
      AddError(
          "error_runtime",
          "max_duration_ms (" + std::to_string(max_ms) +
              " ms) passed, the watchdog is off, and no sample completed for " +
              std::to_string(stall_ns / 1000000) + " ms while " +
              std::to_string(target - now_done) +
              " were outstanding; ending the test.");
      RequestAbort("max_duration reached while samples were outstanding");
      return false;
    }
    if (limits.watchdog_ns > 0 && now - last_progress_ns > limits.watchdog_ns &&
        !Aborting()) {
      AddError("error_runtime",
               "Watchdog: no sample completed for " +
                   std::to_string(limits.watchdog_ns / 1000000) + " ms while " +
                   std::to_string(target - now_done) +
                   " were outstanding; ending the test (see "
                   "watchdog_timeout_ms; 0 turns it off).");
      RequestAbort("watchdog: the SUT stopped completing samples");
      return false;
    }
  }
}

}  // namespace internal
}  // namespace mlperf
