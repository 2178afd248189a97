// null_qsl.h: the examples' QSL, `count` samples that need no loading (their
// SUTs answer without reading any sample data).
#ifndef LOADGEN_EXAMPLES_NULL_QSL_H_
#define LOADGEN_EXAMPLES_NULL_QSL_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "query_sample_library.h"

class NullQsl : public mlperf::QuerySampleLibrary {
 public:
  explicit NullQsl(size_t count, std::string name = "NullQSL")
      : name_(std::move(name)), count_(count) {}
  const std::string& Name() override { return name_; }
  size_t TotalSampleCount() override { return count_; }
  size_t PerformanceSampleCount() override { return count_; }
  void LoadSamplesToRam(const std::vector<mlperf::QuerySampleIndex>&) override {
  }
  void UnloadSamplesFromRam(
      const std::vector<mlperf::QuerySampleIndex>&) override {}

 private:
  std::string name_;
  size_t count_;
};

#endif  // LOADGEN_EXAMPLES_NULL_QSL_H_
