// clock.h: the time source of a run, injectable so tests are deterministic.
#ifndef LOADGEN_SRC_CLOCK_H_
#define LOADGEN_SRC_CLOCK_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>
#include <thread>

namespace mlperf {
namespace internal {

// Monotonic nanoseconds. Implementations must be callable from any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowNs() = 0;
  // Returns once NowNs() >= deadline_ns, or earlier (callers loop).
  virtual void SleepUntilNs(int64_t deadline_ns) = 0;
};

// std::chrono::steady_clock; sleeps, then spins the last stretch so Server
// queries are issued close to their scheduled time.
class SteadyClock final : public Clock {
 public:
  int64_t NowNs() override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  void SleepUntilNs(int64_t deadline_ns) override {
    // A sleeping thread can take milliseconds to get a busy core back, which
    // shows up as issue lag (and latency: Server measures from the schedule).
    // So sleep only until kSpinNs before the deadline, then poll the clock,
    // yielding the core to any other runnable thread meanwhile.
    constexpr int64_t kSpinNs = 500000;
    int64_t now = NowNs();
    if (deadline_ns - now > kSpinNs) {
      std::this_thread::sleep_for(
          std::chrono::nanoseconds(deadline_ns - now - kSpinNs));
    }
    while (NowNs() < deadline_ns) {
      std::this_thread::yield();
    }
  }
};

// A clock that only moves when told: SleepUntilNs jumps to the deadline, and
// tests (or a fake SUT) call Advance. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ns = 1000000000) : now_(start_ns) {}
  int64_t NowNs() override { return now_.load(std::memory_order_acquire); }
  void SleepUntilNs(int64_t deadline_ns) override {
    int64_t cur = now_.load(std::memory_order_acquire);
    while (cur < deadline_ns &&
           !now_.compare_exchange_weak(cur, deadline_ns,
                                       std::memory_order_acq_rel)) {
    }
  }
  void Advance(int64_t delta_ns) {
    now_.fetch_add(delta_ns, std::memory_order_acq_rel);
  }

 private:
  std::atomic<int64_t> now_;
};

// Wall-clock formats of the logs: "2026-12-01T15:00:00Z" (test_datetime)
// and "12-01-2026 15:00:00.123" (power_begin/power_end).
inline std::string UtcDateTime() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

inline std::string PowerTime(std::chrono::system_clock::time_point tp) {
  std::time_t t = std::chrono::system_clock::to_time_t(tp);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%m-%d-%Y %H:%M:%S", &tm);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      tp.time_since_epoch())
                      .count() %
                  1000;
  char out[48];
  std::snprintf(out, sizeof(out), "%s.%03d", buf, static_cast<int>(ms));
  return out;
}

}  // namespace internal
}  // namespace mlperf

#endif  // LOADGEN_SRC_CLOCK_H_
