#include "memory_check.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

#include "completion_tracker.h"

namespace mlperf {
namespace internal {

namespace {

uint64_t SaturatingMul(uint64_t a, uint64_t b) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) {
    return std::numeric_limits<uint64_t>::max();
  }
  return a * b;
}

std::string Gigabytes(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f GB", static_cast<double>(bytes) / 1e9);
  return buf;
}

}  // namespace

MemoryEstimate EstimateRunMemory(const EffectiveSettings& s) {
  MemoryEstimate e;
  const uint64_t spq = std::max<uint64_t>(1, s.samples_per_query);
  uint64_t perf_samples = 0;
  std::string perf_what;
  if (s.scenario == TestScenario::Offline) {
    perf_samples = spq;
    std::ostringstream w;
    w << "the Offline query of " << spq
      << " samples (from min_query_count = " << s.requested.min_query_count
      << ", offline_expected_qps = " << s.requested.offline_expected_qps
      << " and min_duration_ms = " << s.requested.min_duration_ms << ")";
    perf_what = w.str();
  } else {
    // A closed-loop or Server run grows with time, as far as the SUT keeps
    // up; what it surely issues is min_query_count queries.
    perf_samples = SaturatingMul(s.min_query_count, spq);
    std::ostringstream w;
    w << perf_samples << " samples of the performance run (min_query_count = "
      << s.requested.min_query_count << " queries of " << spq << ")";
    perf_what = w.str();
    // Streaming keeps a window of records; auto mode switches to it at the
    // exact-record budget.
    std::string unused;
    const Recording r = ChooseRecording(s, false, perf_samples, &unused);
    if (r.streaming) {
      perf_samples = std::min(perf_samples, r.window);
    } else if (s.requested.record_mode != TestSettings::RecordMode::kExact) {
      perf_samples = std::min(perf_samples, r.switch_at + r.window);
    }
  }
  const bool accuracy =
      s.mode == TestMode::AccuracyOnly || s.mode == TestMode::SubmissionRun;
  const uint64_t acc_samples =
      accuracy ? std::min(s.accuracy_sample_count,
                          std::max<uint64_t>(1, s.performance_sample_count))
               : 0;
  const bool perf = s.mode != TestMode::AccuracyOnly;
  if (perf && perf_samples >= acc_samples) {
    e.samples = perf_samples;
    e.what = perf_what;
  } else {
    e.samples = acc_samples;
    e.what = "the accuracy set of " + std::to_string(acc_samples) + " samples";
  }
  const uint64_t per_sample =
      kBytesPerSample + (s.use_token_latencies ? kBytesPerTokenSample : 0) +
      kBytesPerQuery / spq;
  e.bytes = SaturatingMul(e.samples, per_sample);
  return e;
}

uint64_t AvailableMemoryBytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t value = 0;
  std::string unit;
  while (in >> key >> value) {
    std::getline(in, unit);
    if (key == "MemAvailable:") return value * 1024;
  }
  return 0;
}

void CheckRunMemory(const EffectiveSettings& s, uint64_t available) {
  if (available == 0) return;
  const MemoryEstimate e = EstimateRunMemory(s);
  if (e.bytes <= available) return;
  throw std::invalid_argument(
      e.what + " needs about " + Gigabytes(e.bytes) + " (" +
      std::to_string(e.bytes) + " bytes) for LoadGen's records alone, more " +
      "than the " + Gigabytes(available) + " (" + std::to_string(available) +
      " bytes) of memory available; lower the setting named above (" +
      (e.what.rfind("the Offline", 0) == 0
           ? std::string("an Offline query is issued at once, so its "
                         "records cannot be streamed")
       : e.what.rfind("the accuracy", 0) == 0
           ? std::string("an accuracy run issues every sample of its set")
           : std::string("or set record_mode to auto or streaming, which "
                         "keep a bounded window of records")) +
      ")");
}

}  // namespace internal
}  // namespace mlperf
