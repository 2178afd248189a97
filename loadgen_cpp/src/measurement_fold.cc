#include "measurement_fold.h"

#include <algorithm>

#include "check.h"

namespace mlperf {
namespace internal {

namespace {
constexpr size_t kFewTokenExamples = 1000;
}  // namespace

MeasurementFold::MeasurementFold(const EffectiveSettings& s, bool tokens,
                                 int64_t start_ns, bool streaming, bool trace)
    : tokens_(tokens),
      ms_(s.scenario == TestScenario::MultiStream),
      server_(s.scenario == TestScenario::Server),
      start_(start_ns),
      max_done_(start_ns),
      last_query_done_(start_ns),
      keep_trace_(trace) {
  m_.settings = s;
  // The bounds a verdict compares a percentile with: their counts stay
  // exact in streaming mode (Server's latency, TTFT and TPOT bounds).
  m_.sample_latencies.Track(s.target_latency_ns);
  m_.first_token_latencies.Track(s.server_ttft_latency_ns);
  m_.time_per_output_token.Track(s.server_tpot_latency_ns);
  if (streaming) MakeStreaming();
}

void MeasurementFold::MakeStreaming() {
  m_.sample_latencies.MakeStreaming();
  m_.query_latencies.MakeStreaming();
  m_.issue_lags.MakeStreaming();
  m_.first_token_latencies.MakeStreaming();
  m_.time_per_output_token.MakeStreaming();
}

void MeasurementFold::Reserve(uint64_t samples, uint64_t queries) {
  m_.sample_latencies.Reserve(samples);
  if (ms_) m_.query_latencies.Reserve(queries);
  if (server_) m_.issue_lags.Reserve(queries);
}

void MeasurementFold::KeepTrace(uint64_t qi, const QueryRecord& rec,
                                const FinishedSample& f) {
  if (f.index % trace_stride_ != 0) return;
  trace_.push_back(TraceRecord{f.index, qi, f.qsl_index, rec.scheduled_ns,
                               rec.issued_ns, f.done_ns, f.first_token_ns,
                               f.n_tokens});
  if (trace_.size() < kMaxTraceSamples) return;
  // Full: keep every other stride's worth, so the records stay evenly spread
  // over the indexes whatever order queries arrive in.
  trace_stride_ *= 2;
  const uint64_t stride = trace_stride_;
  trace_.erase(std::remove_if(trace_.begin(), trace_.end(),
                              [stride](const TraceRecord& r) {
                                return r.index % stride != 0;
                              }),
               trace_.end());
}

void MeasurementFold::AddQuery(uint64_t qi, const QueryRecord& rec,
                               const FinishedSample* samples, size_t n) {
  QueryTotals q = StartQuery(rec);
  AddSamples(qi, rec, samples, n, &q);
  EndQuery(qi, rec, q);
}

void MeasurementFold::AddSamples(uint64_t qi, const QueryRecord& rec,
                                 const FinishedSample* samples, size_t n,
                                 QueryTotals* q) {
  for (size_t k = 0; k < n; ++k) {
    const FinishedSample& f = samples[k];
    if (keep_trace_) KeepTrace(qi, rec, f);
    if (IsState(f.done_ns)) {
      ++m_.samples_never_completed;
      q->complete = false;
      continue;
    }
    const int64_t lat = f.done_ns - rec.scheduled_ns;
    m_.sample_latencies.Add(lat);
    max_latency_ = std::max(max_latency_, lat);
    max_done_ = std::max(max_done_, f.done_ns);
    q->done_ns = std::max(q->done_ns, f.done_ns);
    if (tokens_) {
      m_.token_count += f.n_tokens;
      if (f.n_tokens < 2) {
        if (few_token_examples_.size() < kFewTokenExamples)
          few_token_examples_.emplace_back(f.index, f.n_tokens);
        ++few_tokens_;
      }
      if (!IsState(f.first_token_ns)) {
        const int64_t ttft = f.first_token_ns - rec.scheduled_ns;
        m_.first_token_latencies.Add(ttft);
        if (f.n_tokens > 1)
          m_.time_per_output_token.Add((lat - ttft) / (f.n_tokens - 1));
      }
    }
  }
}

void MeasurementFold::AddDoneTimes(const QueryRecord& rec,
                                   const int64_t* done_ns, size_t n,
                                   QueryTotals* q) {
  LG_DCHECK(times_only(), "AddDoneTimes needs a fold without tokens or trace");
  int64_t last = kStateBase;  // below every completion time
  for (size_t k = 0; k < n; ++k) {
    const int64_t d = done_ns[k];
    if (IsState(d)) {
      ++m_.samples_never_completed;
      q->complete = false;
      continue;
    }
    m_.sample_latencies.Add(d - rec.scheduled_ns);
    last = std::max(last, d);
  }
  if (last == kStateBase) return;  // none completed
  // The part's latest completion gives its longest sample latency.
  q->done_ns = std::max(q->done_ns, last);
  max_done_ = std::max(max_done_, last);
  max_latency_ = std::max(max_latency_, last - rec.scheduled_ns);
}

void MeasurementFold::EndQuery(uint64_t qi, const QueryRecord& rec,
                               const QueryTotals& q) {
  if (ms_ && q.complete) m_.query_latencies.Add(q.done_ns - rec.scheduled_ns);
  if (server_) m_.issue_lags.Add(rec.issued_ns - rec.scheduled_ns);
  if (!any_query_ || qi >= last_qi_) {
    any_query_ = true;
    last_qi_ = qi;
    last_rec_ = rec;
    last_query_done_ = q.done_ns;
  }
}

RunMeasurements MeasurementFold::Finish(uint64_t queries, uint64_t samples,
                                        int64_t* last_done_ns) {
  m_.queries_issued = queries;
  m_.samples_issued = samples;
  if (any_query_) {
    m_.final_query_scheduled_s =
        static_cast<double>(last_rec_.scheduled_ns - start_) / 1e9;
    m_.final_query_issued_s =
        static_cast<double>(last_rec_.issued_ns - start_) / 1e9;
  }
  m_.final_query_done_s = static_cast<double>(last_query_done_ - start_) / 1e9;
  m_.max_latency_s = static_cast<double>(max_latency_) / 1e9;
  *last_done_ns = max_done_;
  return std::move(m_);
}

}  // namespace internal
}  // namespace mlperf
