// config_text.h: the config reader's internals shared by its files: text
// helpers for messages and suggestions (config_text.cc), the capped sink of
// diagnostics, and step 1, the parser (config_parse.cc). Step 2, applying
// the parsed entries, and the public functions are in config.cc.
#ifndef LOADGEN_SRC_CONFIG_TEXT_H_
#define LOADGEN_SRC_CONFIG_TEXT_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config.h"
#include "loadgen/test_settings.h"

namespace mlperf {
namespace internal {
namespace cfg {

// The whitespace of the C locale, which is what `istream >> string` splits on.
bool IsSpace(char c);
// Text from a file, made safe to put in a message: at most `max_bytes`.
std::string Printable(std::string_view s, std::size_t max_bytes = 80);
std::string Quote(std::string_view s);
// The candidate closest to `word`, if it is close enough to be a typo.
std::string ClosestMatch(std::string_view word,
                         const std::vector<std::string> &candidates);
// Whether the whole of `s` reads as a number the way the reference accepts.
bool ParsesFullyAsInteger(const std::string &s);
bool ParsesFullyAsNumber(const std::string &s);
uint64_t ReadUnsigned(const std::string &s);
double ReadDouble(const std::string &s);
// The shortest text that reads back as `v`.
std::string FormatDouble(double v);
bool IsScenarioName(std::string_view s);
// Every key FromConfig reads, sorted, unique.
std::vector<std::string> AllKeyNames();

// ---------------------------------------------------------------------------
// Diagnostics, capped per file so that a file of random bytes cannot flood
// the settings with millions of entries.
// ---------------------------------------------------------------------------

class DiagnosticSink {
 public:
  DiagnosticSink(std::vector<ConfigDiagnostic> *out, std::string file,
                 bool quiet_warnings)
      : out_(out), file_(std::move(file)), quiet_warnings_(quiet_warnings) {}
  DiagnosticSink(const DiagnosticSink &) = delete;
  DiagnosticSink &operator=(const DiagnosticSink &) = delete;
  ~DiagnosticSink() {
    if (dropped_ == 0) return;
    ConfigDiagnostic d;
    d.is_error = dropped_error_;
    d.file = file_;
    d.message =
        std::to_string(dropped_) + " more problems in this file are not listed";
    out_->push_back(std::move(d));
  }

  void Error(int line, std::string_view key, std::string message) {
    Add(true, line, key, std::move(message));
  }
  void Warning(int line, std::string_view key, std::string message) {
    if (quiet_warnings_) return;
    Add(false, line, key, std::move(message));
  }

 private:
  void Add(bool is_error, int line, std::string_view key, std::string message) {
    if (count_ >= kMaxDiagnosticsPerFile) {
      ++dropped_;
      dropped_error_ = dropped_error_ || is_error;
      return;
    }
    ++count_;
    ConfigDiagnostic d;
    d.is_error = is_error;
    d.file = file_;
    d.line = line;
    d.key = Printable(key, 200);
    d.message = std::move(message);
    out_->push_back(std::move(d));
  }

  std::vector<ConfigDiagnostic> *out_;
  std::string file_;
  bool quiet_warnings_;
  std::size_t count_ = 0;
  std::size_t dropped_ = 0;
  bool dropped_error_ = false;
};

struct Entry {
  std::string value;  // as written; it parses fully as a number
  int line = 0;
};
using Entries = std::map<std::string, Entry>;

// Step 1: splits `text` into lines and lines into words, filling `entries`
// and reporting what the reference would silently misread. Returns the
// number of malformed lines.
int Parse(const std::string &text, int conf_type, Entries *entries,
          DiagnosticSink *sink);

}  // namespace cfg
}  // namespace internal
}  // namespace mlperf

#endif  // LOADGEN_SRC_CONFIG_TEXT_H_
