#include "latency_set.h"

#include <algorithm>

namespace mlperf {
namespace internal {

void LatencySet::MakeStreaming() {
  if (hist_) return;
  hist_ = std::make_unique<LatencyHistogram>();
  std::vector<int64_t> v;
  v.swap(values_);
  for (int64_t x : v) Add(x);
}

void LatencySet::Track(int64_t bound) {
  for (const auto& t : tracked_)
    if (t.first == bound) return;
  uint64_t above = 0;
  if (hist_) {
    // Only exact before the first value; Collect tracks bounds up front.
    above = hist_->count() == 0 ? 0 : hist_->CountAbove(bound);
  }
  tracked_.emplace_back(bound, above);
}

void LatencySet::Finish() {
  if (!hist_) std::sort(values_.begin(), values_.end());
}

int64_t LatencySet::min() const {
  if (hist_) return hist_->min();
  return values_.empty() ? 0 : values_.front();
}

int64_t LatencySet::max() const {
  if (hist_) return hist_->max();
  return values_.empty() ? 0 : values_.back();
}

int64_t LatencySet::sum() const {
  if (hist_) return hist_->sum();
  // The reference accumulates in int64.
  int64_t s = 0;
  for (int64_t x : values_) s += x;
  return s;
}

int64_t LatencySet::ValueAtRank(uint64_t rank) const {
  if (hist_) return hist_->ValueAtRank(rank);
  if (values_.empty()) return 0;
  return values_[std::min<uint64_t>(rank, values_.size() - 1)];
}

int64_t LatencySet::Percentile(double p) const {
  return ValueAtRank(static_cast<uint64_t>(static_cast<double>(size()) * p));
}

uint64_t LatencySet::CountAbove(int64_t bound) const {
  if (hist_) {
    for (const auto& t : tracked_)
      if (t.first == bound) return t.second;
    return hist_->CountAbove(bound);
  }
  return static_cast<uint64_t>(
      values_.end() - std::upper_bound(values_.begin(), values_.end(), bound));
}

bool LatencySet::PercentileAtMost(double p, int64_t bound) const {
  const uint64_t n = size();
  if (n == 0) return 0 <= bound;  // Percentile() of nothing is 0
  uint64_t rank = static_cast<uint64_t>(static_cast<double>(n) * p);
  if (rank >= n) rank = n - 1;
  // The value of `rank` is <= bound iff more than `rank` values are.
  return n - CountAbove(bound) > rank;
}

}  // namespace internal
}  // namespace mlperf
