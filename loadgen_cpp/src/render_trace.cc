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
std::string TokenArgs(const CompletionTracker& phase, uint64_t i,
                      int64_t scheduled_ns) {
  if (!phase.tokens()) return "";
  const TokenSlot& t = phase.token(i);
  const int64_t first = t.first_token_ns.load(std::memory_order_acquire);
  char buf[96];
  std::snprintf(
      buf, sizeof(buf), ",\"first_token_ns\":%lld,\"token_count\":%lld",
      IsPending(first) ? -1LL : static_cast<long long>(first - scheduled_ns),
      static_cast<long long>(t.n_tokens));
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

std::string RenderTraceEvents(const CompletionTracker& phase, bool accuracy,
                              int64_t origin, int64_t start_ns, int64_t end_ns,
                              uint64_t samples, uint64_t* events) {
  if (samples == 0) return "";
  // At most kMaxTraceSamples sample events, evenly spread over the phase.
  const uint64_t stride =
      samples > kMaxTraceSamples
          ? (samples + kMaxTraceSamples - 1) / kMaxTraceSamples
          : 1;
  std::string out;
  out.reserve(static_cast<size_t>(std::min(samples, kMaxTraceSamples)) * 220 +
              256);
  auto sep = [&] { out += (*events)++ == 0 ? "" : ",\n"; };
  char buf[512];
  sep();
  std::snprintf(buf, sizeof(buf),
                "{\"name\":\"%s\",\"ph\":\"X\",\"pid\":0,\"tid\":0,"
                "\"ts\":%.3f,\"dur\":%.3f,\"args\":{\"samples\":%llu,"
                "\"sampled_every\":%llu}}",
                accuracy ? "AccuracyPhase" : "PerformancePhase",
                static_cast<double>(start_ns - origin) / 1e3,
                static_cast<double>(end_ns - start_ns) / 1e3,
                static_cast<unsigned long long>(samples),
                static_cast<unsigned long long>(stride));
  out += buf;
  const uint64_t spq = phase.samples_per_query();
  for (uint64_t i = 0; i < samples; i += stride) {
    const uint64_t qi = i / spq;
    const QueryRecord& q = phase.query(qi);
    const int64_t done = phase.slot(i).done_ns.load(std::memory_order_acquire);
    const bool completed = !IsPending(done);
    sep();
    std::snprintf(
        buf, sizeof(buf),
        "{\"name\":\"Sample\",\"ph\":\"X\",\"pid\":0,\"tid\":1,"
        "\"ts\":%.3f,\"dur\":%.3f,\"args\":{\"sample_seq\":%llu,"
        "\"query_seq\":%llu,\"sample_idx\":%u,\"issue_start_ns\":%lld,"
        "\"complete_ns\":%lld%s}}",
        static_cast<double>(q.scheduled_ns - origin) / 1e3,
        completed ? static_cast<double>(done - q.scheduled_ns) / 1e3 : 0.0,
        static_cast<unsigned long long>(phase.seq_base() + i),
        static_cast<unsigned long long>(qi), phase.qsl_index(i),
        static_cast<long long>(q.issued_ns - q.scheduled_ns),
        completed ? static_cast<long long>(done - q.scheduled_ns) : -1LL,
        TokenArgs(phase, i, q.scheduled_ns).c_str());
    out += buf;
  }
  return out;
}

}  // namespace internal
}  // namespace mlperf
