// run.h: one StartTest. The Run owns the parts of a test and wires them
// together (docs/design.md draws them):
//
//   CompletionTracker  completion_tracker.h  slots, ids, claim/complete, phase
//   end RunControl         run_control.h         abort, errors, callback guard,
//   watchdog, poll IssuePhase         issuer.h              one phase of
//   issuing, paced per scenario AccuracyLog        accuracy_log.h        which
//   responses are logged, their entries test modes         test_modes.h
//   accuracy, performance, find-peak renderers          renderers.h detail
//   records, summary, summary JSON, trace LogFiles           log_files.h the
//   files, with checked writes
//
// Nothing about a test lives in globals except the one pointer through which
// the free completion functions reach the current Run (loadgen.cc).
//
// Threads: Execute() runs on the caller's thread, which issues every query
// and makes every SUT/QSL call. Complete*() may be called from any thread at
// any time while the Run is current (completions.cc).
#ifndef LOADGEN_SRC_RUN_H_
#define LOADGEN_SRC_RUN_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "accuracy_log.h"
#include "clock.h"
#include "completion_gate.h"
#include "completion_tracker.h"
#include "detail_log.h"
#include "loadgen/loadgen.h"
#include "log_files.h"
#include "query_generator.h"
#include "run_control.h"
#include "settings_internal.h"

namespace mlperf {
namespace internal {

// Calls `cb` for each response; the first exception is rethrown once every
// callback ran (so a throwing callback never leaves a sample unclaimed).
void RunResponseCallbacks(const std::vector<QuerySampleResponse>& responses,
                          const ResponseCallback& cb);

// The shape of every response-taking entry point: `in_pass(to_callback)`
// inside a CompletionGate::Pass (to_callback is null without `cb`), then,
// after the pass, `cb` for the responses it collected. A template, so that
// `in_pass` (a *InPass call) is inlined into the completion path.
template <typename InPass>
void InPassThenCallbacks(const ResponseCallback& cb, InPass in_pass) {
  std::vector<QuerySampleResponse> to_callback;
  {
    CompletionGate::Pass pass;
    in_pass(cb ? &to_callback : nullptr);
  }
  if (!to_callback.empty()) RunResponseCallbacks(to_callback, cb);
}

class Run {
 public:
  // Validates everything (throws std::invalid_argument) before returning.
  // `clock` must outlive the Run; null means the steady clock.
  Run(SystemUnderTest* sut, QuerySampleLibrary* qsl,
      const TestSettings& settings, const LogSettings& log_settings,
      const RunOptions& options, Clock* clock = nullptr);
  ~Run();

  // Runs the test to the end. Rethrows an exception from a SUT/QSL callback
  // or the poll hook after the logs are written; then throws
  // std::runtime_error if a log file could not be written.
  TestResult Execute();

  // Completion entry points: any thread (completions.cc). The *InPass forms
  // need a CompletionGate::Pass held by the caller and collect the logged
  // responses (to_callback may be null) for RunResponseCallbacks, to be
  // called after the pass; the others take a pass and call `cb` themselves.
  void CompleteInPass(const QuerySampleResponse* responses, size_t count,
                      std::vector<QuerySampleResponse>* to_callback);
  void FirstTokenInPass(const QuerySampleResponse* responses, size_t count,
                        std::vector<QuerySampleResponse>* to_callback);
  void CompleteIdsInPass(const ResponseId* ids, size_t count);
  void CompleteBufferInPass(const ResponseId* ids, size_t count,
                            const uint8_t* data, const uint64_t* offsets,
                            const int64_t* n_tokens);
  void Complete(const QuerySampleResponse* responses, size_t count,
                const ResponseCallback& cb);
  void FirstToken(const QuerySampleResponse* responses, size_t count,
                  const ResponseCallback& cb);
  void CompleteIds(const ResponseId* ids, size_t count);
  void CompleteBuffer(const ResponseId* ids, size_t count, const uint8_t* data,
                      const uint64_t* offsets, const int64_t* n_tokens);
  void RequestAbort(const std::string& reason) {
    control_.RequestAbort(reason);
  }

 private:
  // Per-sample bookkeeping of a completion, inside a tracker window: the
  // claim (with the token count), then the accuracy-log entry. False: not
  // claimed.
  bool Claim(ResponseId id, int64_t now_ns, int64_t n_tokens,
             CompletionTracker::Claimed* c, bool check_first_token = true);
  void LogResponse(const CompletionTracker::Claimed& c, const uint8_t* data,
                   size_t size, int64_t n_tokens);
  // Batches a logged response; FlushQueuedResponses copies the batch into
  // the accuracy log (AccuracyLog::AddBatch) and reports what failed.
  void QueueResponse(const CompletionTracker::Claimed& c, const uint8_t* data,
                     size_t size, int64_t n_tokens);
  void FlushQueuedResponses();
  // Counts and reports response data that could not be logged.
  void ReportBadData(uint64_t seq, uint32_t qsl_index, const char* what,
                     size_t size, const std::string& why);

  void Prepare(uint64_t total, uint64_t perf);
  RunMeasurements RunPhase(const EffectiveSettings& s, const LoadableSet& set,
                           bool accuracy, PeakProbe* probe);
  void Finish();
  void WriteDetail();
  void WriteAccuracyEntries();

  SystemUnderTest* const sut_;
  QuerySampleLibrary* const qsl_;
  const TestSettings requested_;
  const LogSettings log_settings_;
  const RunOptions options_;
  std::unique_ptr<Clock> owned_clock_;
  Clock* clock_;

  // Set by Execute before the first query; read-only afterwards (completers
  // read settings_ only once samples were issued).
  EffectiveSettings settings_;

  CompletionTracker tracker_;
  RunControl control_;
  AccuracyLog accuracy_log_;

  // The StartTest thread only.
  std::unique_ptr<DetailLog> detail_;
  int64_t origin_ns_ = 0;
  uint64_t sequence_next_ = 0;
  uint64_t trace_events_ = 0;
  LogFiles files_;
  std::string datetime_;
  std::string sut_name_;
  std::string qsl_name_;
  std::string summary_text_;
  TestResult result_;
};

}  // namespace internal
}  // namespace mlperf

#endif  // LOADGEN_SRC_RUN_H_
