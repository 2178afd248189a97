// log_files.h: the five log files of a test. Opening creates the directory;
// every write is checked, and the first failure (a full disk, a file that
// vanished, an I/O error) is kept with its path so the run can report it to
// the caller (Run::Execute throws it once the test has ended).
#ifndef LOADGEN_SRC_LOG_FILES_H_
#define LOADGEN_SRC_LOG_FILES_H_

#include <fstream>
#include <string>

#include "loadgen/test_settings.h"

namespace mlperf {
namespace internal {

class LogFiles {
 public:
  enum Kind { kSummary, kDetail, kAccuracy, kTrace, kSummaryJson, kCount };

  // Creates the directory and opens (truncates) the summary, detail,
  // accuracy and trace files. Throws std::runtime_error naming the path.
  void Open(const LogOutputSettings& out, const std::string& datetime);
  const std::string& path(Kind k) const { return paths_[k]; }

  // Appends and flushes; a failure is recorded (see error()).
  void Write(Kind k, const std::string& text);
  // Writes the whole summary JSON file (a new file each time).
  void WriteSummaryJson(const std::string& text);
  // Closes the streams (flushing what is left), checking for errors.
  void Close();

  bool failed() const { return !error_.empty(); }
  // "cannot write the log file 'path': reason"; empty when all went well.
  const std::string& error() const { return error_; }

 private:
  void Fail(Kind k, const std::string& what);

  std::string paths_[kCount];
  std::ofstream streams_[kSummaryJson];
  std::string error_;
};

}  // namespace internal
}  // namespace mlperf

#endif  // LOADGEN_SRC_LOG_FILES_H_
