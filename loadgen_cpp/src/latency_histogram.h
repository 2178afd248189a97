// latency_histogram.h: a log-linear histogram of non-negative nanosecond
// values (HdrHistogram's bucket layout, our own code), for streaming mode.
//
// Values below 2^kSubBits are counted exactly. Above, each power-of-two range
// [2^e, 2^(e+1)) is cut into 2^(kSubBits-1) equal buckets, so a bucket is at
// most 1/2^(kSubBits-1) of its lowest value wide. A value read back is the
// middle of its bucket, clamped to the exact min and max, so it is within
// kRelativeError (1/2048) of the true value. Count, min, max and sum are exact.
//
//   LatencyHistogram h;
//   h.Add(1234567);
//   int64_t p99 = h.ValueAtRank(h.count() * 99 / 100);
#ifndef LOADGEN_SRC_LATENCY_HISTOGRAM_H_
#define LOADGEN_SRC_LATENCY_HISTOGRAM_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mlperf {
namespace internal {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 11;
  // The largest |reported - exact| / exact of ValueAtRank.
  static constexpr double kRelativeError = 1.0 / (1 << kSubBits);

  LatencyHistogram();

  // Negative values (a clock that went back) count as 0.
  void Add(int64_t v) {
    const uint64_t u = v < 0 ? 0 : static_cast<uint64_t>(v);
    ++counts_[Bucket(u)];
    ++count_;
    sum_ += v < 0 ? 0 : v;
    if (count_ == 1 || v < min_) min_ = v < 0 ? 0 : v;
    if (v > max_) max_ = v;
  }
  void Merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  int64_t min() const { return count_ ? min_ : 0; }
  int64_t max() const { return count_ ? max_ : 0; }
  int64_t sum() const { return sum_; }  // wraps as the exact int64 sum would
  // The value of rank `rank` (0-based, ascending); 0 when empty.
  int64_t ValueAtRank(uint64_t rank) const;
  // Values strictly above `bound`, to within the bucket holding `bound`
  // (exact when `bound` + 1 starts a bucket; LatencySet tracks exact ones).
  uint64_t CountAbove(int64_t bound) const;

  static size_t Bucket(uint64_t v);
  static uint64_t BucketLow(size_t b);
  static uint64_t BucketWidth(size_t b);

 private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  int64_t sum_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
};

}  // namespace internal
}  // namespace mlperf

#endif  // LOADGEN_SRC_LATENCY_HISTOGRAM_H_
