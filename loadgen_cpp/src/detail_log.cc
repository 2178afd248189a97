#include "detail_log.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>

namespace mlperf {
namespace internal {

void DetailLog::Add(const std::string& key, const std::string& json_value,
                    int64_t now_ns, bool is_error, bool is_warning,
                    const char* file, int line) {
  static const long pid = static_cast<long>(getpid());
  const long tid = static_cast<long>(syscall(SYS_gettid));
  char time_buf[64];
  std::snprintf(time_buf, sizeof(time_buf), "%.6f",
                static_cast<double>(now_ns - origin_ns_) / 1e6);
  std::string rec;
  rec.reserve(256 + json_value.size());
  rec += ":::MLLOG {\"key\": ";
  rec += JsonString(key);
  rec += ", \"value\": ";
  rec += json_value;
  rec += ", \"time_ms\": ";
  rec += time_buf;
  rec +=
      ", \"namespace\": \"mlperf::logging\", \"event_type\": "
      "\"POINT_IN_TIME\", "
      "\"metadata\": {\"is_error\": ";
  rec += JsonBool(is_error);
  rec += ", \"is_warning\": ";
  rec += JsonBool(is_warning);
  rec += ", \"file\": ";
  rec += JsonString(file);
  rec += ", \"line_no\": " + std::to_string(line);
  rec += ", \"pid\": " + std::to_string(pid);
  rec += ", \"tid\": " + std::to_string(tid) + "}}\n";
  MutexLock lock(&mu_);
  buffer_ += rec;
  if (is_error) ++errors_;
  if (is_warning) ++warnings_;
}

std::string DetailLog::Take() {
  MutexLock lock(&mu_);
  std::string out;
  out.swap(buffer_);
  return out;
}

int64_t DetailLog::errors() const {
  MutexLock lock(&mu_);
  return errors_;
}

int64_t DetailLog::warnings() const {
  MutexLock lock(&mu_);
  return warnings_;
}

}  // namespace internal
}  // namespace mlperf
