// renderers.h: the log files' contents, each rendered from the result and
// the effective settings (and, for the trace, the closed phase's records).
// They only build text; log_files.h writes it. All use json_writer.h.
//
//   render_detail.cc   the settings and result records of mlperf_log_detail.txt
//   render_summary.cc  the end of mlperf_log_summary.txt and
//                      mlperf_log_summary.json (the versioned result)
//   render_trace.cc    the events of one phase in mlperf_log_trace.json
// (The summary's results block is FormatSummary, results.h; accuracy log
// entries are AccuracyLog::RenderPending.)
#ifndef LOADGEN_SRC_RENDERERS_H_
#define LOADGEN_SRC_RENDERERS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "completion_tracker.h"
#include "detail_log.h"
#include "loadgen/loadgen.h"
#include "settings_internal.h"

namespace mlperf {
namespace internal {

// The summary JSON's schema id; bump the number when a field is renamed or
// removed (adding a field keeps it).
constexpr const char* kSummarySchema = "loadgen.summary/1";

// Who and when, for the summary JSON.
struct RunIdentity {
  std::string datetime;
  std::string sut_name;
  std::string qsl_name;
};

// requested_* and effective_* records.
void LogSettingsRecords(DetailLog* detail, const TestSettings& requested,
                        const EffectiveSettings& effective, int64_t now_ns);
// result_* records of one performance result.
void LogResultRecords(DetailLog* detail, const PerformanceResult& r,
                      const EffectiveSettings& s, int64_t now_ns);

// The warning/error count lines and the abort line that end the summary.
std::string RenderSummaryFooter(const TestResult& result);
// mlperf_log_summary.json.
std::string RenderSummaryJson(const TestResult& result,
                              const EffectiveSettings& s,
                              const RunIdentity& who);

// The trace opening and closing, and the events of one closed phase: a
// phase span and the sample spans the fold kept (at most kMaxTraceSamples,
// every `stride`-th sample).
std::string RenderTraceOpening();
std::string RenderTraceClosing(uint64_t events_so_far);
struct TracePhase {
  bool accuracy = false;
  bool tokens = false;
  uint64_t seq_base = 0;
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  uint64_t samples = 0;
  uint64_t stride = 1;
};
std::string RenderTraceEvents(std::vector<TraceRecord> records,
                              const TracePhase& phase, int64_t origin_ns,
                              uint64_t* events_so_far);

}  // namespace internal
}  // namespace mlperf

#endif  // LOADGEN_SRC_RENDERERS_H_
