// A log file that cannot be written is reported to the caller: RunTest
// throws std::runtime_error naming the file, once the test has ended.
#include "log_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "loadgen/loadgen.h"
#include "test_fixtures.h"

namespace mlperf {
namespace internal {
namespace {

namespace fs = std::filesystem;

class EchoSut : public SystemUnderTest {
 public:
  const std::string& Name() override { return name_; }
  void IssueQuery(const std::vector<QuerySample>& samples) override {
    std::vector<QuerySampleResponse> r;
    for (const auto& s : samples) r.emplace_back(s.id, 0, 0);
    QuerySamplesComplete(r.data(), r.size());
  }
  void FlushQueries() override {}

 private:
  std::string name_ = "EchoSUT";
};

// A log directory whose `name` is /dev/full: opening works, writing fails
// with ENOSPC, like a full disk.
std::string DirWithFullFile(const std::string& dir, const std::string& name) {
  const fs::path p = fs::temp_directory_path() / dir;
  fs::remove_all(p);
  fs::create_directories(p);
  fs::create_symlink("/dev/full", p / name);
  return p.string();
}

TestSettings Quick() { return OfflineQueryOf(10); }

class LogWriteFailure : public ::testing::TestWithParam<const char*> {};

TEST_P(LogWriteFailure, ReachesTheCallerNamingTheFile) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full on this system";
  const std::string name = GetParam();
  LogSettings log;
  log.log_output.outdir = DirWithFullFile("loadgen_full_" + name, name);
  EchoSut sut;
  TestQsl qsl(16, 16);
  const RunOptions options = WithoutAuditConfig();
  try {
    RunTest(&sut, &qsl, Quick(), log, options);
    FAIL() << "a failed write of " << name << " was not reported";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(name), std::string::npos) << what;
    EXPECT_NE(what.find("cannot write"), std::string::npos) << what;
  }
  // The process is not left with a test running.
  EXPECT_NO_THROW(
      RunTest(&sut, &qsl, Quick(), LogsInTemp("loadgen_ok_" + name), options));
}

INSTANTIATE_TEST_SUITE_P(EveryFile, LogWriteFailure,
                         ::testing::Values("mlperf_log_summary.txt",
                                           "mlperf_log_detail.txt",
                                           "mlperf_log_accuracy.json",
                                           "mlperf_log_trace.json",
                                           "mlperf_log_summary.json"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string n = info.param;
                           for (char& c : n) {
                             if (c == '.') c = '_';
                           }
                           return n;
                         });

TEST(LogFiles, AWorkingDirectoryReportsNoError) {
  LogFiles files;
  LogOutputSettings out;
  out.outdir = (fs::temp_directory_path() / "loadgen_log_files_ok").string();
  files.Open(out, "");
  files.Write(LogFiles::kDetail, "x\n");
  files.WriteSummaryJson("{}\n");
  files.Close();
  EXPECT_FALSE(files.failed()) << files.error();
}

}  // namespace
}  // namespace internal
}  // namespace mlperf
