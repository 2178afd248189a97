// test_fixtures.h: what the tests' runs share: a QSL that loads nothing,
// log settings in a temporary folder, and run options without audit.config.
#ifndef LOADGEN_TESTS_TEST_FIXTURES_H_
#define LOADGEN_TESTS_TEST_FIXTURES_H_

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "loadgen/loadgen.h"
#include "loadgen/query_sample_library.h"
#include "loadgen/test_settings.h"

namespace mlperf {
namespace internal {

// `total` samples, of which `performance` are loaded for performance runs;
// loading records the indices it is asked for and reads nothing.
class TestQsl : public QuerySampleLibrary {
 public:
  TestQsl(size_t total, size_t performance, std::string name = "Qsl")
      : name_(std::move(name)), total_(total), performance_(performance) {}
  const std::string& Name() override { return name_; }
  size_t TotalSampleCount() override { return total_; }
  size_t PerformanceSampleCount() override { return performance_; }
  void LoadSamplesToRam(const std::vector<QuerySampleIndex>& s) override {
    loads.push_back(s);
  }
  void UnloadSamplesFromRam(const std::vector<QuerySampleIndex>&) override {}

  // Every LoadSamplesToRam call's indices, in order.
  std::vector<std::vector<QuerySampleIndex>> loads;

 private:
  std::string name_;
  size_t total_, performance_;
};

// LogSettings that write into temp_directory_path() / `dir` (the folder is
// used as it is; everything else default).
inline LogSettings LogsInTemp(const std::string& dir) {
  LogSettings log;
  log.log_output.outdir =
      (std::filesystem::temp_directory_path() / dir).string();
  return log;
}

// Offline settings whose one query holds exactly `samples` samples (no
// minimum duration, so the expected qps adds none).
inline TestSettings OfflineQueryOf(uint64_t samples) {
  TestSettings s;
  s.scenario = TestScenario::Offline;
  s.min_duration_ms = 0;
  s.min_query_count = samples;
  return s;
}

// RunOptions that read no audit.config from the working folder.
inline RunOptions WithoutAuditConfig() {
  RunOptions options;
  options.audit_config_filename = "";
  return options;
}

}  // namespace internal
}  // namespace mlperf

#endif  // LOADGEN_TESTS_TEST_FIXTURES_H_
