// query_sample_library.h: the interface to the data set (QSL).
#ifndef LOADGEN_QUERY_SAMPLE_LIBRARY_H_
#define LOADGEN_QUERY_SAMPLE_LIBRARY_H_

#include <memory>
#include <string>
#include <vector>

#include "query_sample.h"

namespace mlperf {

// Implemented by the benchmark: owns the samples and loads subsets of them
// into memory on request. Every method is called on the thread that called
// StartTest.
class QuerySampleLibrary {
 public:
  virtual ~QuerySampleLibrary() {}

  virtual const std::string& Name() = 0;

  // How many samples the data set has (accuracy mode issues all of them).
  virtual size_t TotalSampleCount() = 0;

  // How many samples fit in memory at once; performance mode loads this many.
  virtual size_t PerformanceSampleCount() = 0;

  // Loads the samples with these indices; returns when they are ready. The
  // vector is only valid during the call.
  virtual void LoadSamplesToRam(
      const std::vector<QuerySampleIndex>& samples) = 0;

  // Releases samples previously loaded.
  virtual void UnloadSamplesFromRam(
      const std::vector<QuerySampleIndex>& samples) = 0;
};

}  // namespace mlperf

#endif  // LOADGEN_QUERY_SAMPLE_LIBRARY_H_
