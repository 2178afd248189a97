// measurement_fold.h: turns finished queries into a phase's measurements.
// The completion tracker feeds it every query once, when all its samples are
// final (completed, or never completed at the end of the phase): all of
// them after the phase in exact mode, continuously in streaming mode. The
// order of queries does not matter.
#ifndef LOADGEN_SRC_MEASUREMENT_FOLD_H_
#define LOADGEN_SRC_MEASUREMENT_FOLD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "results.h"
#include "sample_table.h"
#include "settings_internal.h"

namespace mlperf {
namespace internal {

// One sample of a finished query, as the fold sees it.
struct FinishedSample {
  uint64_t index;  // within the phase
  uint32_t qsl_index;
  int64_t done_ns;         // IsState(): never completed
  int64_t first_token_ns;  // IsState(): no first token
  int64_t n_tokens;
};

// The trace keeps at most this many samples of a phase.
constexpr uint64_t kMaxTraceSamples = 100000;

// A sampled sample for the trace (streaming mode keeps at most
// kMaxTraceRecords, evenly spread by index).
struct TraceRecord {
  uint64_t index;
  uint64_t query;
  uint32_t qsl_index;
  int64_t scheduled_ns;
  int64_t issued_ns;
  int64_t done_ns;  // IsState(): never completed
  int64_t first_token_ns;
  int64_t n_tokens;
};

class MeasurementFold {
 public:
  // `trace`: keep TraceRecords (streaming mode with the trace on).
  MeasurementFold(const EffectiveSettings& s, bool tokens, int64_t start_ns,
                  bool streaming, bool trace);

  // Exact so far: fold into histograms from now on (auto mode's switch).
  void MakeStreaming();
  bool streaming() const { return !m_.sample_latencies.exact(); }

  // Exact mode: room for this many values.
  void Reserve(uint64_t samples, uint64_t queries);

  // What a query's samples add up to while they are folded in parts.
  struct QueryTotals {
    int64_t done_ns;  // its last completion so far (scheduled_ns at first)
    bool complete;    // every sample so far completed
  };

  // A whole query at once.
  void AddQuery(uint64_t qi, const QueryRecord& rec,
                const FinishedSample* samples, size_t n);
  // The same in parts, for a query too large to gather at once (an Offline
  // query of millions of samples): StartQuery, AddSamples for each part in
  // any order, EndQuery once.
  static QueryTotals StartQuery(const QueryRecord& rec) {
    return QueryTotals{rec.scheduled_ns, true};
  }
  void AddSamples(uint64_t qi, const QueryRecord& rec,
                  const FinishedSample* samples, size_t n, QueryTotals* q);
  void EndQuery(uint64_t qi, const QueryRecord& rec, const QueryTotals& q);
  // Whether a sample's completion time is all the fold needs of it (no
  // tokens, no trace): then AddDoneTimes may stand for AddSamples.
  bool times_only() const { return !tokens_ && !keep_trace_; }
  // AddSamples for samples known only by their completion times (IsState():
  // never completed); only when times_only().
  void AddDoneTimes(const QueryRecord& rec, const int64_t* done_ns, size_t n,
                    QueryTotals* q);

  // The measurements; call once, after the last AddQuery.
  RunMeasurements Finish(uint64_t queries, uint64_t samples,
                         int64_t* last_done_ns);

  // Completed samples with fewer than 2 tokens (token runs): how many, and
  // the first few (sequence offset, n_tokens).
  uint64_t few_token_samples() const { return few_tokens_; }
  const std::vector<std::pair<uint64_t, int64_t>>& few_token_examples() const {
    return few_token_examples_;
  }
  std::vector<TraceRecord> TakeTrace() { return std::move(trace_); }
  uint64_t trace_stride() const { return trace_stride_; }

 private:
  void KeepTrace(uint64_t qi, const QueryRecord& rec, const FinishedSample& f);

  RunMeasurements m_;
  const bool tokens_;
  const bool ms_;
  const bool server_;
  const int64_t start_;
  int64_t max_done_;
  int64_t max_latency_ = 0;
  uint64_t last_qi_ = 0;
  bool any_query_ = false;
  QueryRecord last_rec_{0, 0};
  int64_t last_query_done_;
  uint64_t few_tokens_ = 0;
  std::vector<std::pair<uint64_t, int64_t>> few_token_examples_;
  const bool keep_trace_;
  uint64_t trace_stride_ = 1;
  std::vector<TraceRecord> trace_;
};

}  // namespace internal
}  // namespace mlperf

#endif  // LOADGEN_SRC_MEASUREMENT_FOLD_H_
