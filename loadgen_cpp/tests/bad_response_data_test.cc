// Response data at an address that cannot be read, or of an absurd size, is
// an error of that sample (issue 20): no SIGSEGV, the other samples' data is
// kept, the error names the sample, and a performance result is INVALID.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "loadgen/loadgen.h"
#include "safe_copy.h"
#include "test_fixtures.h"

namespace mlperf {
namespace internal {
namespace {

namespace fs = std::filesystem;

// Addresses that must not be dereferenced: 8, a page that was unmapped, and
// a buffer whose second page was unmapped (a size past the end).
struct BadAddresses {
  BadAddresses() {
    page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    void* a = mmap(nullptr, page, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(a, page);
    unmapped = reinterpret_cast<uintptr_t>(a);
    void* b = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(static_cast<char*>(b) + page, page);
    half = static_cast<char*>(b);
  }
  ~BadAddresses() { munmap(half, page); }
  size_t page;
  uintptr_t unmapped;
  char* half;
};

TEST(SafeCopy, ReadableBytesCopyAndUnreadableOnesAreReported) {
  BadAddresses bad;
  const char text[] = "hello";
  uint8_t out[16] = {};
  EXPECT_EQ(CopyFromSut(out, text, 5), "");
  EXPECT_EQ(std::string(reinterpret_cast<char*>(out), 5), "hello");
  EXPECT_NE(CopyFromSut(out, reinterpret_cast<void*>(8), 4), "");
  EXPECT_NE(CopyFromSut(out, reinterpret_cast<void*>(bad.unmapped), 4), "");
  std::vector<uint8_t> big(2 * bad.page);
  const std::string err = CopyFromSut(big.data(), bad.half, 2 * bad.page);
  EXPECT_NE(err.find("only " + std::to_string(bad.page)), std::string::npos)
      << err;
}

// Completes sample k with data chosen by k % 5: good, address 8, unmapped,
// past the end of a mapping, or larger than max_response_bytes.
class BadDataSut : public SystemUnderTest {
 public:
  const std::string& Name() override { return name_; }
  void IssueQuery(const std::vector<QuerySample>& samples) override {
    std::vector<QuerySampleResponse> r;
    for (const auto& s : samples) {
      const size_t k = next_++;
      switch (k % 5) {
        case 0:
          r.emplace_back(s.id, reinterpret_cast<uintptr_t>(good_), 4);
          break;
        case 1:
          r.emplace_back(s.id, 8, 4);
          break;
        case 2:
          r.emplace_back(s.id, bad_.unmapped, 16);
          break;
        case 3:
          r.emplace_back(s.id, reinterpret_cast<uintptr_t>(bad_.half),
                         2 * bad_.page);
          break;
        default:
          r.emplace_back(s.id, reinterpret_cast<uintptr_t>(good_),
                         size_t{1} << 40);
          break;
      }
    }
    QuerySamplesComplete(r.data(), r.size());
  }
  void FlushQueries() override {}

 private:
  std::string name_ = "BadDataSUT";
  BadAddresses bad_;
  const char good_[5] = "GOOD";
  size_t next_ = 0;
};

std::string Read(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(BadResponseData, AccuracyRunKeepsTheGoodDataAndNamesEachBadSample) {
  BadDataSut sut;
  TestQsl qsl(50, 50);
  TestSettings s;
  s.scenario = TestScenario::Offline;
  s.mode = TestMode::AccuracyOnly;
  const TestResult r = RunTest(
      &sut, &qsl, s, LogsInTemp("loadgen_bad_data_acc"), WithoutAuditConfig());
  EXPECT_EQ(r.accuracy_samples_completed, 50);
  EXPECT_EQ(r.num_errors, 40);  // 4 of every 5 samples
  const std::string acc = Read(r.accuracy_path);
  size_t good = 0;
  for (size_t p = acc.find("474F4F44"); p != std::string::npos;
       p = acc.find("474F4F44", p + 1)) {
    ++good;
  }
  EXPECT_EQ(good, 10u);  // "GOOD" in hex, once per good sample
  const std::string detail = Read(r.detail_path);
  EXPECT_NE(detail.find("0x8 is not readable"), std::string::npos);
  EXPECT_NE(detail.find("over max_response_bytes"), std::string::npos);
  EXPECT_NE(detail.find("are readable"), std::string::npos);
  EXPECT_NE(detail.find("Sample 1 (QSL index"), std::string::npos);
}

TEST(BadResponseData, SampledPerformanceRunIsInvalid) {
  BadDataSut sut;
  TestQsl qsl(50, 50);
  TestSettings s = OfflineQueryOf(50);
  s.accuracy_log_probability = 1.0;  // every response is logged
  const TestResult r = RunTest(
      &sut, &qsl, s, LogsInTemp("loadgen_bad_data_perf"), WithoutAuditConfig());
  ASSERT_EQ(r.performance.size(), 1u);
  EXPECT_FALSE(r.performance[0].valid);
  EXPECT_EQ(r.performance[0].samples_completed, 50);
  bool named = false;
  for (const auto& reason : r.performance[0].invalid_reasons) {
    named = named || reason.find(
                         "40 responses had data that could not be "
                         "read") != std::string::npos;
  }
  EXPECT_TRUE(named);
}

}  // namespace
}  // namespace internal
}  // namespace mlperf
