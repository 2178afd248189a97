// completion_bench.cc: QuerySamplesComplete from 1, 2 and 4 threads at once.
//
// An Offline test issues N samples in one query; IssueQuery starts T threads
// that complete their share one sample per QuerySamplesComplete call, all
// released together. What is timed is the completion phase: from the release
// to the last call's return. Each T runs --repeat times; the median run is
// reported as ns per call (per thread) and million calls per second (all
// threads together). One more run per T counts pthread_mutex_lock calls
// made during the completion phase (this program interposes that function),
// to show whether the completion path takes a lock. docs/performance.md has
// the table.
//
//   loadgen_completion_bench [--samples N] [--repeat R] [--threads 1,2,4]
#include <dlfcn.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "loadgen.h"
#include "null_qsl.h"
#include "query_sample_library.h"
#include "system_under_test.h"
#include "test_settings.h"

namespace {

using Clock = std::chrono::steady_clock;
using LockFn = int (*)(pthread_mutex_t*);
LockFn g_real_lock = nullptr;
std::atomic<bool> g_counting{false};
std::atomic<uint64_t> g_locks{0};

}  // namespace

// Every pthread_mutex_lock of the process comes here first (the executable's
// definition wins the symbol lookup); it counts while asked to.
extern "C" int pthread_mutex_lock(pthread_mutex_t* m) {
  if (g_counting.load(std::memory_order_relaxed))
    g_locks.fetch_add(1, std::memory_order_relaxed);
  return g_real_lock(m);
}

namespace {

class CompletingSut : public mlperf::SystemUnderTest {
 public:
  CompletingSut(int threads, bool count_locks)
      : threads_(threads), count_locks_(count_locks) {}
  const std::string& Name() override { return name_; }
  void IssueQuery(const std::vector<mlperf::QuerySample>& samples) override {
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> pool;
    const size_t n = samples.size();
    for (int t = 0; t < threads_; ++t) {
      pool.emplace_back([&, t] {
        const size_t b = n * t / threads_, e = n * (t + 1) / threads_;
        ready.fetch_add(1);
        while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
        for (size_t i = b; i < e; ++i) {
          mlperf::QuerySampleResponse r(samples[i].id, 0, 0);
          mlperf::QuerySamplesComplete(&r, 1);
        }
      });
    }
    while (ready.load() < threads_) std::this_thread::yield();
    g_locks.store(0);
    g_counting.store(count_locks_);
    const auto t0 = Clock::now();
    go.store(true, std::memory_order_release);
    for (auto& th : pool) th.join();
    seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    g_counting.store(false);
    locks = g_locks.load();
    calls = n;
  }
  void FlushQueries() override {}
  double seconds = 0;
  size_t calls = 0;
  uint64_t locks = 0;

 private:
  int threads_;
  bool count_locks_;
  std::string name_ = "CompletingSUT";
};

// One test; returns the SUT's figures.
CompletingSut RunOnce(int threads, size_t samples, bool count_locks) {
  CompletingSut sut(threads, count_locks);
  NullQsl qsl(1024, "Qsl");
  mlperf::TestSettings s;
  s.scenario = mlperf::TestScenario::Offline;
  s.mode = mlperf::TestMode::PerformanceOnly;
  s.min_duration_ms = 0;
  s.min_query_count = samples;
  s.offline_expected_qps = 1;
  mlperf::LogSettings log;
  log.log_output.outdir = "/tmp/loadgen_completion_bench";
  log.enable_trace = false;
  mlperf::RunOptions options;
  options.audit_config_filename = "";
  mlperf::RunTest(&sut, &qsl, s, log, options);
  return sut;
}

}  // namespace

int main(int argc, char** argv) {
  g_real_lock =
      reinterpret_cast<LockFn>(dlsym(RTLD_NEXT, "pthread_mutex_lock"));
  if (g_real_lock == nullptr) {
    std::fprintf(stderr, "cannot find pthread_mutex_lock\n");
    return 1;
  }
  size_t samples = 2000000;
  int repeat = 5;
  std::vector<int> thread_counts = {1, 2, 4};
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--samples") {
      samples = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (a == "--repeat") {
      repeat = std::atoi(argv[i + 1]);
    } else if (a == "--threads") {
      thread_counts.clear();
      for (const char* p = argv[i + 1]; *p;) {
        thread_counts.push_back(
            static_cast<int>(std::strtol(p, const_cast<char**>(&p), 10)));
        if (*p == ',') ++p;
      }
    } else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  std::printf(
      "| threads | ns per call (per thread) | M calls/s (all threads) | mutex "
      "locks per call |\n"
      "|---|---|---|---|\n");
  for (int t : thread_counts) {
    std::vector<double> secs;
    for (int r = 0; r < repeat; ++r) {
      const CompletingSut sut = RunOnce(t, samples, false);
      if (sut.calls != samples) {
        std::fprintf(stderr, "issued %zu samples, expected %zu\n", sut.calls,
                     samples);
        return 1;
      }
      secs.push_back(sut.seconds);
    }
    const CompletingSut counted = RunOnce(t, samples, true);
    std::sort(secs.begin(), secs.end());
    const double med = secs[secs.size() / 2];
    std::printf(
        "| %d | %.1f | %.2f | %.2f |\n", t,
        med * 1e9 * t / static_cast<double>(samples),
        static_cast<double>(samples) / med / 1e6,
        static_cast<double>(counted.locks) / static_cast<double>(samples));
    std::fflush(stdout);
  }
  return 0;
}
