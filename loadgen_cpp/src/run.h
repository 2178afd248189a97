// run.h: one StartTest. The Run object owns the settings, the sample table,
// the recorder and the log files; nothing about a test lives in globals
// except the one pointer through which the free completion functions reach
// the current Run (loadgen.cc).
//
// Threads: Execute() runs on the caller's thread, which issues every query
// and makes every SUT/QSL call. Complete*() may be called from any thread at
// any time, also after the Run ended (then they only count an error).
#ifndef LOADGEN_SRC_RUN_H_
#define LOADGEN_SRC_RUN_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "clock.h"
#include "detail_log.h"
#include "loadgen/loadgen.h"
#include "query_generator.h"
#include "results.h"
#include "sample_table.h"
#include "settings_internal.h"

namespace mlperf {
namespace internal {

class Run {
 public:
  // Validates everything (throws std::invalid_argument) before returning.
  // `clock` must outlive the Run; null means the steady clock.
  Run(SystemUnderTest* sut, QuerySampleLibrary* qsl,
      const TestSettings& settings, const LogSettings& log_settings,
      const RunOptions& options, Clock* clock = nullptr);
  ~Run();

  // Runs the test to the end. Rethrows an exception from a SUT/QSL callback
  // or the poll hook after the logs are written.
  TestResult Execute();

  // Completion entry points: any thread.
  void Complete(const QuerySampleResponse* responses, size_t count,
                const ResponseCallback& cb);
  void FirstToken(const QuerySampleResponse* responses, size_t count,
                  const ResponseCallback& cb);
  void CompleteIds(const ResponseId* ids, size_t count);
  void CompleteBuffer(const ResponseId* ids, size_t count, const uint8_t* data,
                      const uint64_t* offsets, const int64_t* n_tokens);
  void RequestAbort(const std::string& reason);

  // Records an error of the run (thread-safe; keeps the first few messages).
  void AddError(const std::string& key, const std::string& message);
  void AddWarning(const std::string& key, const std::string& message);
  // An error about one sample (unknown or duplicate id, token misuse):
  // counted always, logged for the first few only.
  void AddSampleError(const std::string& message);

 private:
  enum class SlotCheck { kOk, kUnknown, kDuplicate };

  // One pass of issuing over one loaded set.
  RunMeasurements IssuePhase(const EffectiveSettings& s, const LoadableSet& set,
                             bool accuracy);
  void RunAccuracy();
  PerformanceResult RunPerformance(const EffectiveSettings& s, bool write_summary);
  void RunFindPeak();

  // Callback wrappers: exceptions become an abort plus a stored exception.
  bool CallSafely(const char* what, const std::function<void()>& fn);
  bool WaitForCompleted(uint64_t target, bool closing);
  void PollIfDue();
  bool Aborting() const { return abort_.load(std::memory_order_acquire); }
  std::string AbortReason();  // thread-safe copy

  // Resolves an id of the current phase to its slot index.
  bool Resolve(ResponseId id, uint64_t* index);
  // Claims the slot of `id` (first completion wins); *logged tells whether
  // its response goes to the accuracy log.
  SampleSlot* Claim(ResponseId id, int64_t now_ns, uint64_t* index, bool* logged);
  void LogResponse(uint64_t index, const uint8_t* data,
                   size_t size, int64_t n_tokens);
  void FinishCompletions(uint64_t n);

  void OpenLogs();
  void WriteDetail();
  void WriteAccuracyEntries();
  void WriteTraceEvents(bool accuracy, int64_t start_ns, uint64_t samples);
  void WriteSummaryJson();
  void LogSettingsRecords();
  void LogResultRecords(const PerformanceResult& r, const EffectiveSettings& s);
  std::string LogPath(const std::string& kind, const std::string& ext) const;

  SystemUnderTest* sut_;
  QuerySampleLibrary* qsl_;
  TestSettings requested_;
  LogSettings log_settings_;
  RunOptions options_;
  std::unique_ptr<Clock> owned_clock_;
  Clock* clock_;
  EffectiveSettings settings_;
  std::string sut_name_;
  std::string qsl_name_;
  std::string datetime_;

  // Current phase (issuer writes; completers read the atomics).
  std::atomic<uint64_t> phase_tag_{0};  // high bits of ids; 0: no phase
  std::atomic<uint64_t> issued_{0};     // samples published
  std::atomic<uint64_t> completed_{0};  // samples completed (first time)
  std::atomic<bool> waiting_{false};
  std::mutex wait_mu_;
  std::condition_variable wait_cv_;
  bool phase_accuracy_ = false;
  bool tokens_ = false;
  uint64_t phase_spq_ = 1;
  uint64_t phase_seq_base_ = 0;
  ChunkedArray<SampleSlot> slots_;
  ChunkedArray<uint32_t> sample_qsl_;  // the QSL index of each issued sample
  ChunkedArray<QueryRecord> queries_;
  std::unique_ptr<ChunkedArray<TokenSlot>> token_slots_;

  // Accuracy log entries awaiting the writer.
  struct AccuracyEntry {
    uint64_t seq_id;
    uint32_t qsl_index;
    uint64_t offset;
    uint64_t size;
    int64_t n_tokens;
  };
  std::mutex acc_mu_;
  std::vector<AccuracyEntry> acc_entries_;
  std::vector<uint8_t> acc_bytes_;
  std::vector<std::pair<uint64_t, std::string>> token_data_hex_;  // seq -> hex
  bool acc_first_entry_ = true;

  // Sequence of generated samples across the whole test; per-sample draws
  // for performance-mode accuracy-log sampling (default-seeded, as the
  // reference's).
  std::mt19937 sequence_rng_;
  std::uniform_real_distribution<double> sequence_dist_{0.0, 1.0};
  bool draw_sampling_values_ = false;
  uint64_t sequence_next_ = 0;

  // Abort, errors and the stored exception.
  std::atomic<bool> abort_{false};
  std::mutex abort_mu_;
  std::string abort_reason_;
  std::exception_ptr exception_;
  std::atomic<int64_t> error_count_{0};
  std::atomic<int64_t> sample_error_count_{0};
  std::mutex errors_mu_;
  std::vector<std::string> error_messages_;
  int64_t last_poll_ns_ = 0;
  int64_t phase_start_real_ns_ = 0;

  std::unique_ptr<DetailLog> detail_;
  int64_t detail_origin_ns_ = 0;
  uint64_t trace_events_ = 0;
  std::ofstream summary_out_, detail_out_, accuracy_out_, trace_out_;
  std::string summary_text_;
  TestResult result_;
};

}  // namespace internal
}  // namespace mlperf

#endif  // LOADGEN_SRC_RUN_H_
