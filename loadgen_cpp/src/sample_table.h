// sample_table.h: per-sample and per-query records of a run, in flat chunks
// that never move, so completions from any thread can find their slot
// without a lock while the issuing thread keeps appending.
#ifndef LOADGEN_SRC_SAMPLE_TABLE_H_
#define LOADGEN_SRC_SAMPLE_TABLE_H_

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>
#include <vector>

namespace mlperf {
namespace internal {

// A slot's completion time while it is outstanding: kPendingNs, or
// kPendingLoggedNs when its response must go to the accuracy log. Clock
// values are never this small.
constexpr int64_t kPendingNs = std::numeric_limits<int64_t>::min();
constexpr int64_t kPendingLoggedNs = kPendingNs + 1;
inline bool IsPending(int64_t done_ns) { return done_ns <= kPendingLoggedNs; }

// 8 bytes per issued sample: the completion time, set once by CAS. The QSL
// index lives in a parallel array of uint32 (4 bytes).
struct SampleSlot {
  std::atomic<int64_t> done_ns;
};
static_assert(sizeof(SampleSlot) == 8, "keep slots small");

// 16 bytes per issued query.
struct QueryRecord {
  int64_t scheduled_ns;  // latency origin (absolute clock)
  int64_t issued_ns;     // when IssueQuery was called (absolute clock)
};

// First-token records, only when token latencies are on.
struct TokenSlot {
  std::atomic<int64_t> first_token_ns;
  int64_t n_tokens;
};

// An append-only array of T in fixed chunks. Append/Reserve: one thread (the
// issuer). Get(i) for i below the published size: any thread.
template <typename T>
class ChunkedArray {
 public:
  static constexpr int kChunkBits = 18;  // 262144 elements per chunk
  static constexpr size_t kChunkSize = size_t{1} << kChunkBits;
  static constexpr size_t kMaxChunks = size_t{1} << 16;  // 2^34 elements

  ChunkedArray() : chunks_(new std::atomic<T*>[kMaxChunks]) {
    for (size_t i = 0; i < kMaxChunks; ++i) chunks_[i].store(nullptr);
  }
  ~ChunkedArray() {
    for (size_t i = 0; i < allocated_; ++i) std::free(chunks_[i].load());
  }
  ChunkedArray(const ChunkedArray&) = delete;
  ChunkedArray& operator=(const ChunkedArray&) = delete;

  // Makes Get(i) valid for i < n. Zero-filled memory is committed lazily by
  // the OS, so a reserved chunk costs nothing until written.
  void Reserve(size_t n) {
    while (allocated_ * kChunkSize < n) {
      if (allocated_ == kMaxChunks) {
        throw std::length_error("a run is limited to 2^34 samples");
      }
      void* p = std::calloc(kChunkSize, sizeof(T));
      if (p == nullptr) throw std::bad_alloc();
      chunks_[allocated_].store(static_cast<T*>(p), std::memory_order_release);
      ++allocated_;
    }
  }
  T& Get(size_t i) const {
    return chunks_[i >> kChunkBits].load(
        std::memory_order_acquire)[i & (kChunkSize - 1)];
  }

 private:
  std::unique_ptr<std::atomic<T*>[]> chunks_;
  size_t allocated_ = 0;
};

}  // namespace internal
}  // namespace mlperf

#endif  // LOADGEN_SRC_SAMPLE_TABLE_H_
