// The public entry points. The only process-wide state is the pointer to the
// running test (one at a time), through which the free completion functions
// reach it; a shared_ptr keeps the Run alive while a completion is using it.
#include "loadgen/loadgen.h"

#include <atomic>
#include <iostream>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "run.h"
#include "version.h"

#ifndef LOADGEN_VERSION
#define LOADGEN_VERSION "0.0.0"
#endif

namespace mlperf {

namespace internal {
const char* BuildDate() { return __DATE__ " " __TIME__; }
}  // namespace internal

namespace {

std::shared_ptr<internal::Run> g_current_run;  // access via atomic_* only
std::atomic<bool> g_test_running{false};

std::shared_ptr<internal::Run> CurrentRun() {
  return std::atomic_load_explicit(&g_current_run, std::memory_order_acquire);
}

void ReportNoRun(const char* fn, size_t count) {
  if (count == 0) return;
  static std::atomic<int> reported{0};
  if (reported.fetch_add(1) < 5) {
    std::cerr << "loadgen: " << fn << " called for " << count
              << " sample(s) while no test is running; ignored.\n";
  }
}

// Clears the current-run pointer and the running flag when a test ends,
// however it ends.
struct RunGuard {
  explicit RunGuard(std::shared_ptr<internal::Run> run) {
    std::atomic_store_explicit(&g_current_run, std::move(run),
                               std::memory_order_release);
  }
  ~RunGuard() {
    std::atomic_store_explicit(&g_current_run, std::shared_ptr<internal::Run>(),
                               std::memory_order_release);
    g_test_running.store(false, std::memory_order_release);
  }
};

}  // namespace

const char* Version() { return LOADGEN_VERSION; }

TestResult RunTest(SystemUnderTest* sut, QuerySampleLibrary* qsl,
                   const TestSettings& requested_settings,
                   const LogSettings& log_settings, const RunOptions& options) {
  bool expected = false;
  if (!g_test_running.compare_exchange_strong(expected, true)) {
    throw std::logic_error(
        "StartTest: another test is already running in this process; LoadGen "
        "runs one test at a time");
  }
  std::shared_ptr<internal::Run> run;
  try {
    run = std::make_shared<internal::Run>(sut, qsl, requested_settings,
                                          log_settings, options);
  } catch (...) {
    g_test_running.store(false, std::memory_order_release);
    throw;
  }
  RunGuard guard(run);
  return run->Execute();
}

void StartTest(SystemUnderTest* sut, QuerySampleLibrary* qsl,
               const TestSettings& requested_settings,
               const LogSettings& log_settings,
               const std::string audit_config_filename) {
  RunOptions options;
  options.audit_config_filename = audit_config_filename;
  RunTest(sut, qsl, requested_settings, log_settings, options);
}

void QuerySamplesComplete(QuerySampleResponse* responses, size_t response_count,
                          const ResponseCallback& response_cb) {
  auto run = CurrentRun();
  if (!run) return ReportNoRun("QuerySamplesComplete", response_count);
  run->Complete(responses, response_count, response_cb);
}

void FirstTokenComplete(QuerySampleResponse* responses, size_t response_count,
                        const ResponseCallback& response_cb) {
  auto run = CurrentRun();
  if (!run) return ReportNoRun("FirstTokenComplete", response_count);
  run->FirstToken(responses, response_count, response_cb);
}

void QuerySamplesCompleteIds(const ResponseId* ids, size_t count) {
  auto run = CurrentRun();
  if (!run) return ReportNoRun("QuerySamplesComplete", count);
  run->CompleteIds(ids, count);
}

void QuerySamplesCompleteBuffer(const ResponseId* ids, size_t count,
                                const uint8_t* data, const uint64_t* offsets,
                                const int64_t* n_tokens) {
  auto run = CurrentRun();
  if (!run) return ReportNoRun("QuerySamplesComplete", count);
  run->CompleteBuffer(ids, count, data, offsets, n_tokens);
}

void AbortTest() {
  auto run = CurrentRun();
  if (run) run->RequestAbort("AbortTest() was called");
}

void RegisterIssueQueryThread() {}

}  // namespace mlperf
