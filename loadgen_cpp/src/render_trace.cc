// mlperf_log_trace.json: Chrome trace events, one phase at a time, bounded.
#include <algorithm>
#include <cstdio>
#include <string>

#include "json_writer.h"
#include "renderers.h"

namespace mlperf {
namespace internal {

// Token runs: the first token's time (ns from the scheduled start, -1 if it
// never came) and the token count, for TTFT/TPOT charts of the samples.
std::string TokenArgs(const TraceRecord& r) {
  char buf[96];
  std::snprintf(buf, sizeof(buf),
                ",\"first_token_ns\":%lld,\"token_count\":%lld",
                IsState(r.first_token_ns)
                    ? -1LL
                    : static_cast<long long>(r.first_token_ns - r.scheduled_ns),
                static_cast<long long>(r.n_tokens));
  return buf;
}

std::string RenderTraceOpening() {
  return "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"version\":" +
         JsonString(std::string("loadgen ") + Version()) +
         "},\"traceEvents\":[\n";
}

std::string RenderTraceClosing(uint64_t events_so_far) {
  return std::string(events_so_far == 0 ? "" : "\n") + "]}\n";
}

std::string RenderTraceEvents(std::vector<TraceRecord> records,
                              const TracePhase& phase, int64_t origin,
                              uint64_t* events) {
  if (phase.samples == 0) return "";
  std::sort(records.begin(), records.end(),
            [](const TraceRecord& a, const TraceRecord& b) {
              return a.index < b.index;
            });
  std::string out;
  out.reserve(records.size() * 220 + 256);
  auto sep = [&] { out += (*events)++ == 0 ? "" : ",\n"; };
  char buf[512];
  sep();
  std::snprintf(buf, sizeof(buf),
                "{\"name\":\"%s\",\"ph\":\"X\",\"pid\":0,\"tid\":0,"
                "\"ts\":%.3f,\"dur\":%.3f,\"args\":{\"samples\":%llu,"
                "\"sampled_every\":%llu}}",
                phase.accuracy ? "AccuracyPhase" : "PerformancePhase",
                static_cast<double>(phase.start_ns - origin) / 1e3,
                static_cast<double>(phase.end_ns - phase.start_ns) / 1e3,
                static_cast<unsigned long long>(phase.samples),
                static_cast<unsigned long long>(phase.stride));
  out += buf;
  for (const TraceRecord& r : records) {
    const bool completed = !IsState(r.done_ns);
    sep();
    std::snprintf(
        buf, sizeof(buf),
        "{\"name\":\"Sample\",\"ph\":\"X\",\"pid\":0,\"tid\":1,"
        "\"ts\":%.3f,\"dur\":%.3f,\"args\":{\"sample_seq\":%llu,"
        "\"query_seq\":%llu,\"sample_idx\":%u,\"issue_start_ns\":%lld,"
        "\"complete_ns\":%lld%s}}",
        static_cast<double>(r.scheduled_ns - origin) / 1e3,
        completed ? static_cast<double>(r.done_ns - r.scheduled_ns) / 1e3 : 0.0,
        static_cast<unsigned long long>(phase.seq_base + r.index),
        static_cast<unsigned long long>(r.query), r.qsl_index,
        static_cast<long long>(r.issued_ns - r.scheduled_ns),
        completed ? static_cast<long long>(r.done_ns - r.scheduled_ns) : -1LL,
        phase.tokens ? TokenArgs(r).c_str() : "");
    out += buf;
  }
  return out;
}

}  // namespace internal
}  // namespace mlperf
