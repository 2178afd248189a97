// detail_log.h: the records of mlperf_log_detail.txt (":::MLLOG {json}"
// lines), collected in memory and written by the thread that owns the run.
#ifndef LOADGEN_SRC_DETAIL_LOG_H_
#define LOADGEN_SRC_DETAIL_LOG_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "json_writer.h"
#include "thread_annotations.h"

namespace mlperf {
namespace internal {

class DetailLog {
 public:
  explicit DetailLog(int64_t origin_ns) : origin_ns_(origin_ns) {}

  // Thread-safe. `json_value` must already be valid JSON. `now_ns` is the
  // clock time of the event (time_ms is relative to the log's origin).
  void Add(const std::string& key, const std::string& json_value,
           int64_t now_ns, bool is_error = false, bool is_warning = false,
           const char* file = "run.cc", int line = 0);

  // Removes and returns the formatted lines accumulated so far.
  std::string Take();
  int64_t errors() const;
  int64_t warnings() const;

 private:
  const int64_t origin_ns_;
  mutable Mutex mu_;
  std::string buffer_ LG_GUARDED_BY(mu_);
  int64_t errors_ LG_GUARDED_BY(mu_) = 0;
  int64_t warnings_ LG_GUARDED_BY(mu_) = 0;
};

}  // namespace internal
}  // namespace mlperf

#endif  // LOADGEN_SRC_DETAIL_LOG_H_
