#include "log_files.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace mlperf {
namespace internal {

namespace {

std::string ErrnoText() {
  return errno != 0 ? std::string(std::strerror(errno))
                    : std::string("I/O error");
}

}  // namespace

void LogFiles::Open(const LogOutputSettings& o, const std::string& datetime) {
  std::error_code ec;
  if (!o.outdir.empty()) std::filesystem::create_directories(o.outdir, ec);
  if (ec) {
    throw std::runtime_error("cannot create the log directory '" + o.outdir +
                             "': " + ec.message());
  }
  auto path = [&](const char* kind, const char* ext) {
    std::string p = o.outdir + "/" + o.prefix;
    if (o.prefix_with_datetime) p += datetime + "_";
    return p + kind + o.suffix + ext;
  };
  paths_[kSummary] = path("summary", ".txt");
  paths_[kDetail] = path("detail", ".txt");
  paths_[kAccuracy] = path("accuracy", ".json");
  paths_[kTrace] = path("trace", ".json");
  paths_[kSummaryJson] = path("summary", ".json");
  for (int k = 0; k < kSummaryJson; ++k) {
    errno = 0;
    streams_[k].open(paths_[k],
                     std::ios::out | std::ios::trunc | std::ios::binary);
    if (!streams_[k].good()) {
      throw std::runtime_error("cannot open the log file '" + paths_[k] +
                               "': " + ErrnoText());
    }
  }
}

void LogFiles::Fail(Kind k, const std::string& what) {
  if (error_.empty())
    error_ = "cannot write the log file '" + paths_[k] + "': " + what;
}

void LogFiles::Write(Kind k, const std::string& text) {
  std::ofstream& f = streams_[k];
  if (!f.is_open()) return;
  errno = 0;
  f << text;
  f.flush();
  if (!f.good()) Fail(k, ErrnoText());
}

void LogFiles::WriteSummaryJson(const std::string& text) {
  errno = 0;
  std::ofstream f(paths_[kSummaryJson],
                  std::ios::out | std::ios::trunc | std::ios::binary);
  if (!f.good()) return Fail(kSummaryJson, ErrnoText());
  f << text;
  f.flush();
  if (!f.good()) return Fail(kSummaryJson, ErrnoText());
  f.close();
  if (f.fail()) Fail(kSummaryJson, ErrnoText());
}

void LogFiles::Close() {
  for (int k = 0; k < kSummaryJson; ++k) {
    if (!streams_[k].is_open()) continue;
    errno = 0;
    streams_[k].close();
    if (streams_[k].fail()) Fail(static_cast<Kind>(k), ErrnoText());
  }
}

}  // namespace internal
}  // namespace mlperf
