// memory_check.h: before a test allocates anything, an estimate of what its
// records will need, checked against the memory the machine has available,
// so that an absurd setting (an Offline query of billions of samples) is
// refused with a message instead of failing with std::bad_alloc halfway.
#ifndef LOADGEN_SRC_MEMORY_CHECK_H_
#define LOADGEN_SRC_MEMORY_CHECK_H_

#include <cstdint>
#include <string>

#include "settings_internal.h"

namespace mlperf {
namespace internal {

// LoadGen's own records per issued sample while a phase runs: the slot (8),
// the QSL index (4), the QuerySample handed to IssueQuery (16, Offline) and
// the generator's list entry (4); token latencies add 16; each query 16.
constexpr uint64_t kBytesPerSample = 32;
constexpr uint64_t kBytesPerTokenSample = 16;
constexpr uint64_t kBytesPerQuery = 16;

struct MemoryEstimate {
  uint64_t samples = 0;  // in the largest burst of the run
  uint64_t bytes = 0;
  std::string what;  // which setting makes it that large, in words
};

// The largest phase the settings make certain: the Offline query (issued at
// once), an accuracy set, or min_query_count queries of a closed-loop or
// Server run (those grow with time as far as the SUT keeps up; only their
// minimum is certain).
MemoryEstimate EstimateRunMemory(const EffectiveSettings& s);

// MemAvailable of /proc/meminfo in bytes; 0 when unknown.
uint64_t AvailableMemoryBytes();

// Throws std::invalid_argument naming the setting, the samples, the bytes
// needed and the bytes available when the estimate exceeds `available`
// (0: unknown, nothing is checked).
void CheckRunMemory(const EffectiveSettings& s, uint64_t available);

}  // namespace internal
}  // namespace mlperf

#endif  // LOADGEN_SRC_MEMORY_CHECK_H_
