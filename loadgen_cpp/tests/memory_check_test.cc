// A run whose records cannot fit in memory is refused up front, naming the
// setting, the samples, the bytes needed and the bytes available.
#include "memory_check.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "loadgen/loadgen.h"
#include "test_fixtures.h"

namespace mlperf {
namespace internal {
namespace {

EffectiveSettings Offline(uint64_t samples) {
  return DeriveSettings(OfflineQueryOf(samples), 1024, 1024);
}

TEST(MemoryCheck, OfflineQueryIsEstimatedPerSample) {
  const MemoryEstimate e = EstimateRunMemory(Offline(3000000000ull));
  EXPECT_EQ(e.samples, 3000000000ull);
  EXPECT_EQ(e.bytes, 3000000000ull * kBytesPerSample);
  EXPECT_NE(e.what.find("min_query_count = 3000000000"), std::string::npos);
}

TEST(MemoryCheck, RefusalNamesSettingSamplesAndBytes) {
  try {
    CheckRunMemory(Offline(3000000000ull), 8000000000ull);
    FAIL() << "not refused";
  } catch (const std::invalid_argument& e) {
    const std::string w = e.what();
    EXPECT_NE(w.find("min_query_count = 3000000000"), std::string::npos) << w;
    EXPECT_NE(w.find("3000000000 samples"), std::string::npos) << w;
    EXPECT_NE(w.find("96000000000 bytes"), std::string::npos) << w;
    EXPECT_NE(w.find("8000000000 bytes"), std::string::npos) << w;
  }
}

TEST(MemoryCheck, OrdinaryRunsPassAndUnknownMemoryChecksNothing) {
  EXPECT_NO_THROW(CheckRunMemory(Offline(1000000), 1000000000ull));
  EXPECT_NO_THROW(CheckRunMemory(Offline(3000000000ull), 0));
  TestSettings ss;  // SingleStream, 100 queries minimum
  ss.single_stream_expected_latency_ns = 1;  // expected qps does not count
  EXPECT_NO_THROW(CheckRunMemory(DeriveSettings(ss, 1024, 1024), 1000000ull));
}

class NeverCalledSut : public SystemUnderTest {
 public:
  const std::string& Name() override { return name_; }
  void IssueQuery(const std::vector<QuerySample>&) override { ++calls; }
  void FlushQueries() override {}
  int calls = 0;

 private:
  std::string name_ = "NeverCalled";
};

TEST(MemoryCheck, HugeOfflineQueryIsRefusedBeforeAnythingRuns) {
  const uint64_t available = AvailableMemoryBytes();
  if (available == 0) GTEST_SKIP() << "no /proc/meminfo";
  // More samples than this machine can hold at 32 B each.
  const uint64_t samples = available / kBytesPerSample * 2 + 1000;
  NeverCalledSut sut;
  TestQsl qsl(1024, 1024);
  EXPECT_THROW(RunTest(&sut, &qsl, OfflineQueryOf(samples),
                       LogsInTemp("loadgen_memcheck"), WithoutAuditConfig()),
               std::invalid_argument);
  EXPECT_EQ(sut.calls, 0);
  EXPECT_EQ(qsl.loads.size(), 0u);
}

}  // namespace
}  // namespace internal
}  // namespace mlperf
