#include "latency_histogram.h"

#include <algorithm>

namespace mlperf {
namespace internal {

namespace {
constexpr uint64_t kLinear = uint64_t{1} << LatencyHistogram::kSubBits;
constexpr uint64_t kHalf = kLinear / 2;
// Buckets: kLinear exact ones, then kHalf per power of two up to 2^63.
constexpr size_t kBuckets = kLinear + (64 - LatencyHistogram::kSubBits) * kHalf;

int HighBit(uint64_t v) { return 63 - __builtin_clzll(v); }
}  // namespace

LatencyHistogram::LatencyHistogram() : counts_(kBuckets, 0) {}

size_t LatencyHistogram::Bucket(uint64_t v) {
  if (v < kLinear) return static_cast<size_t>(v);
  // v in [2^e, 2^(e+1)), e >= kSubBits: shift k = e - kSubBits + 1 leaves a
  // mantissa m in [kHalf, kLinear); bucket k * kHalf + m continues the
  // linear part without a gap.
  const int k = HighBit(v) - kSubBits + 1;
  const uint64_t m = v >> k;
  return static_cast<size_t>(static_cast<uint64_t>(k) * kHalf + m);
}

uint64_t LatencyHistogram::BucketLow(size_t b) {
  if (b < kLinear) return b;
  const uint64_t k = (b - kHalf) / kHalf;
  const uint64_t m = b - k * kHalf;
  return m << k;
}

uint64_t LatencyHistogram::BucketWidth(size_t b) {
  if (b < kLinear) return 1;
  return uint64_t{1} << ((b - kHalf) / kHalf);
}

void LatencyHistogram::Merge(const LatencyHistogram& o) {
  if (o.count_ == 0) return;
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
  if (count_ == 0 || o.min_ < min_) min_ = o.min_;
  if (count_ == 0 || o.max_ > max_) max_ = o.max_;
  count_ += o.count_;
  sum_ += o.sum_;
}

int64_t LatencyHistogram::ValueAtRank(uint64_t rank) const {
  if (count_ == 0) return 0;
  if (rank >= count_) rank = count_ - 1;
  if (rank == 0) return min_;
  if (rank == count_ - 1) return max_;
  uint64_t seen = 0;
  for (size_t b = 0; b < counts_.size(); ++b) {
    seen += counts_[b];
    if (seen > rank) {
      const uint64_t w = BucketWidth(b);
      const int64_t mid = static_cast<int64_t>(BucketLow(b) + (w - 1) / 2);
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

uint64_t LatencyHistogram::CountAbove(int64_t bound) const {
  if (count_ == 0 || bound >= max_) return 0;
  if (bound < min_) return count_;
  // Buckets wholly above bound + 1's bucket, plus that bucket when bound + 1
  // is its first value.
  const size_t b = Bucket(static_cast<uint64_t>(bound) + 1);
  uint64_t n = 0;
  for (size_t i = b + 1; i < counts_.size(); ++i) n += counts_[i];
  if (BucketLow(b) == static_cast<uint64_t>(bound) + 1) n += counts_[b];
  return n;
}

}  // namespace internal
}  // namespace mlperf
