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

// A slot's word: the completion time once the sample completed (clock
// values are never this small), else a state word that names the sample it
// belongs to, so a slot reused for a later sample (streaming mode) is never
// mistaken for the one an old id names:
//   kPending:  outstanding (kPendingLogged: its response is logged)
//   kClaiming: a completer owns it and is storing its token count
//   kMoved:    the sample moved to the tracker's straggler table
enum class SlotState : uint64_t {
  kPending = 0,
  kPendingLogged = 1,
  kClaiming = 2,
  kMoved = 3
};
constexpr int64_t kStateBase = std::numeric_limits<int64_t>::min();
constexpr int64_t kStateLimit = kStateBase + (int64_t{1} << 44);
inline int64_t StateWord(uint64_t index, SlotState st) {
  return kStateBase +
         static_cast<int64_t>((index << 2) | static_cast<uint64_t>(st));
}
inline bool IsState(int64_t w) { return w < kStateLimit; }
inline uint64_t StateIndex(int64_t w) {
  return static_cast<uint64_t>(w - kStateBase) >> 2;
}
inline SlotState StateOf(int64_t w) {
  return static_cast<SlotState>(static_cast<uint64_t>(w - kStateBase) & 3);
}
inline bool IsPending(int64_t w) {
  return IsState(w) && (StateOf(w) == SlotState::kPending ||
                        StateOf(w) == SlotState::kPendingLogged);
}

// 8 bytes per issued sample: the slot word, changed by CAS.
struct SampleSlot {
  std::atomic<int64_t> done_ns;
};
static_assert(sizeof(SampleSlot) == 8, "keep slots small");

// 16 bytes per issued query.
struct QueryRecord {
  int64_t scheduled_ns;  // latency origin (absolute clock)
  int64_t issued_ns;     // when IssueQuery was called (absolute clock)
};

// First-token records, only when token latencies are on. first_token_ns
// holds StateWord(index, kPending) until the first token came.
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
