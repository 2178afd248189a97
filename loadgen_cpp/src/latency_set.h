// latency_set.h: the latencies of one kind in a run (sample latency, query
// latency, issue lag, TTFT, TPOT), exact or streaming, behind one interface
// so the statistics and the early-stopping estimates (results.cc) are the
// same code in both modes.
//
// Exact: every value, sorted by Finish(). Streaming: a LatencyHistogram plus
// exact counts over the bounds given to Track() before the first Add, so a
// verdict that compares a percentile with a bound is exact in both modes.
#ifndef LOADGEN_SRC_LATENCY_SET_H_
#define LOADGEN_SRC_LATENCY_SET_H_

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "latency_histogram.h"

namespace mlperf {
namespace internal {

class LatencySet {
 public:
  LatencySet() = default;  // exact
  static LatencySet Streaming() {
    LatencySet s;
    s.hist_ = std::make_unique<LatencyHistogram>();
    return s;
  }
  // Exact values collected so far go into a histogram (auto mode's switch).
  void MakeStreaming();

  bool exact() const { return hist_ == nullptr; }
  // Counts values above `bound` exactly from now on (streaming mode).
  void Track(int64_t bound);
  void Reserve(size_t n) {
    if (!hist_) values_.reserve(n);
  }
  void Add(int64_t v) {
    if (hist_) {
      hist_->Add(v);
      for (auto& t : tracked_) t.second += v > t.first ? 1 : 0;
    } else {
      values_.push_back(v);
    }
  }
  // Exact mode: sorts. Call once, after the last Add.
  void Finish();

  uint64_t size() const { return hist_ ? hist_->count() : values_.size(); }
  bool empty() const { return size() == 0; }
  int64_t min() const;
  int64_t max() const;
  int64_t sum() const;
  // The value of rank `rank` (0-based, ascending; clamped); 0 when empty.
  int64_t ValueAtRank(uint64_t rank) const;
  // Nearest rank: ValueAtRank(floor(size * p)).
  int64_t Percentile(double p) const;
  // Values strictly above `bound`: exact in exact mode and for tracked
  // bounds, else to within one histogram bucket.
  uint64_t CountAbove(int64_t bound) const;
  // Whether Percentile(p) <= bound, decided from counts (exact whenever
  // CountAbove(bound) is).
  bool PercentileAtMost(double p, int64_t bound) const;

 private:
  std::vector<int64_t> values_;
  std::unique_ptr<LatencyHistogram> hist_;
  std::vector<std::pair<int64_t, uint64_t>> tracked_;  // bound, count above
};

}  // namespace internal
}  // namespace mlperf

#endif  // LOADGEN_SRC_LATENCY_SET_H_
