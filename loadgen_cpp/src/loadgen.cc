// The public entry points. The only process-wide state is the pointer to the
// running test (one at a time), through which the free completion functions
// reach it. It is a plain atomic pointer: a completion reads it inside a
// CompletionGate::Pass, and the end of a test unpublishes it and waits until
// the gate is clear before the Run is destroyed. So the completion path takes
// no lock and writes no cache line shared with other completing threads
// (std::atomic_load on a shared_ptr, used before, locks a mutex in
// libstdc++); docs/performance.md has the measurement.
#include "loadgen/loadgen.h"

#include <atomic>
#include <iostream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "completion_gate.h"
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

std::atomic<internal::Run*> g_current_run{nullptr};
std::atomic<bool> g_test_running{false};

internal::Run* CurrentRun() {
  // Inside a pass; seq_cst pairs with the store in ~RunGuard.
  return g_current_run.load(std::memory_order_seq_cst);
}

void ReportNoRun(const char* fn, size_t count) {
  if (count == 0) return;
  static std::atomic<int> reported{0};
  if (reported.fetch_add(1) < 5) {
    std::cerr << "loadgen: " << fn << " called for " << count
              << " sample(s) while no test is running; ignored.\n";
  }
}

// Publishes the run for the completion functions while it executes; on the
// way out, however the test ends, unpublishes it, waits until no completion
// can still be using it, and clears the running flag.
struct RunGuard {
  explicit RunGuard(internal::Run* run) {
    g_current_run.store(run, std::memory_order_seq_cst);
  }
  ~RunGuard() {
    g_current_run.store(nullptr, std::memory_order_seq_cst);
    internal::CompletionGate::WaitUntilClear();
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
  std::unique_ptr<internal::Run> run;
  try {
    run = std::make_unique<internal::Run>(sut, qsl, requested_settings,
                                          log_settings, options);
  } catch (...) {
    g_test_running.store(false, std::memory_order_release);
    throw;
  }
  RunGuard guard(run.get());  // destroyed before `run`
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

namespace {

// `fn`'s work: the current Run's `kInPass` (CompleteInPass or
// FirstTokenInPass) on the responses, with CurrentRun read inside the pass as
// it requires. A template on the member, so the call stays direct.
template <auto kInPass>
void CompleteInCurrentRun(const char* fn, const QuerySampleResponse* responses,
                          size_t count, const ResponseCallback& cb) {
  internal::InPassThenCallbacks(cb,
                                [&](std::vector<QuerySampleResponse>* logged) {
                                  internal::Run* run = CurrentRun();
                                  if (!run) return ReportNoRun(fn, count);
                                  (run->*kInPass)(responses, count, logged);
                                });
}

}  // namespace

void QuerySamplesComplete(QuerySampleResponse* responses, size_t response_count,
                          const ResponseCallback& response_cb) {
  CompleteInCurrentRun<&internal::Run::CompleteInPass>(
      "QuerySamplesComplete", responses, response_count, response_cb);
}

void FirstTokenComplete(QuerySampleResponse* responses, size_t response_count,
                        const ResponseCallback& response_cb) {
  CompleteInCurrentRun<&internal::Run::FirstTokenInPass>(
      "FirstTokenComplete", responses, response_count, response_cb);
}

void QuerySamplesCompleteIds(const ResponseId* ids, size_t count) {
  internal::CompletionGate::Pass pass;
  internal::Run* run = CurrentRun();
  if (!run) return ReportNoRun("QuerySamplesComplete", count);
  run->CompleteIdsInPass(ids, count);
}

void QuerySamplesCompleteBuffer(const ResponseId* ids, size_t count,
                                const uint8_t* data, const uint64_t* offsets,
                                const int64_t* n_tokens) {
  internal::CompletionGate::Pass pass;
  internal::Run* run = CurrentRun();
  if (!run) return ReportNoRun("QuerySamplesComplete", count);
  run->CompleteBufferInPass(ids, count, data, offsets, n_tokens);
}

void AbortTest() {
  internal::CompletionGate::Pass pass;
  internal::Run* run = CurrentRun();
  if (run) run->RequestAbort("AbortTest() was called");
}

void RegisterIssueQueryThread() {}

}  // namespace mlperf
