// config.cc: TestSettings::FromConfig and the config helpers of config.h.
//
// Reading a file has two steps, as in the reference LoadGen:
//  1. Parse: every line is split into whitespace-separated words and read as
//     `key = value`. Values are kept as written, keyed by the full key; a
//     later line replaces an earlier one. A malformed line makes the whole
//     file count as bad (-EINVAL) and nothing of it is applied.
//  2. Apply: for each setting (kRules, in the reference's order) the value is
//     looked up as model.scenario.key, *.scenario.key, model.*.key, *.*.key
//     and converted with strtoull / strtod at that point, so that odd values
//     ("1.5" for an integer, "-1", "010") end up exactly as the reference
//     would store them.
// Diagnostics are gathered along the way; they never change what is applied.

#include "config.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "settings_internal.h"

namespace mlperf {
namespace internal {

extern const char kMlperfConfBytes[];  // generated from src/mlperf.conf

const char kBuiltinConfName[] = "mlperf.conf (built-in)";

const char *BuiltinMlperfConf() { return kMlperfConfBytes; }

namespace {

constexpr const char *kScenarioNames[] = {"SingleStream", "MultiStream",
                                          "Server", "Offline"};

// ---------------------------------------------------------------------------
// The settings FromConfig reads, in the order it applies them. The order
// matters twice: use_token_latencies comes before ttft/tpot_latency and
// infer_token_latencies before token_latency_scaling_factor, because those
// are only read when the flag is set (by this file or an earlier one).
// ---------------------------------------------------------------------------

enum class Kind {
  kUnsigned,  // uint64 = strtoull(value) * multiplier (wrapping)
  kDouble,    // double = strtod(value) * multiplier
  kFlagOne,   // bool = (strtoull(value) == 1)
  kFlagSet,   // bool = (strtoull(value) != 0)
  kMode,      // TestMode from 0..3; other values are reported and ignored
  kInt32,     // uint64 = (int32) strtoull(value): the reference's int() cast
};

struct Rule {
  const char *key;       // the last part of model.scenario.key
  const char *scenario;  // looked up under this scenario; null: the argument
  Kind kind;
  double multiplier;     // 1e6: ms to ns; 0.01: percent to fraction
  const char *field;     // the TestSettings member, for explanations
  uint64_t TestSettings::*u64;
  double TestSettings::*f64;
  bool TestSettings::*flag;
  bool builtin_only;              // honoured from the built-in file only
  bool TestSettings::*only_if;    // read only while this flag is true
};

constexpr Rule Unsigned(const char *key, const char *scenario,
                        uint64_t TestSettings::*m, const char *field,
                        double multiplier = 1, bool builtin_only = false,
                        bool TestSettings::*only_if = nullptr) {
  return Rule{key,     scenario, Kind::kUnsigned, multiplier, field, m,
              nullptr, nullptr,  builtin_only,    only_if};
}
constexpr Rule Double(const char *key, const char *scenario,
                      double TestSettings::*m, const char *field,
                      double multiplier = 1, bool builtin_only = false) {
  return Rule{key, scenario, Kind::kDouble, multiplier, field,
              nullptr, m, nullptr, builtin_only, nullptr};
}
constexpr Rule Flag(const char *key, const char *scenario, Kind kind,
                    bool TestSettings::*m, const char *field,
                    bool builtin_only = false) {
  return Rule{key,     scenario, kind, 1, field, nullptr,
              nullptr, m,        builtin_only, nullptr};
}

constexpr double kMsToNs = 1000.0 * 1000.0;
constexpr double kPercent = 0.01;
using TS = TestSettings;

constexpr Rule kRules[] = {
    {"mode", nullptr, Kind::kMode, 1, "mode", nullptr, nullptr, nullptr, false,
     nullptr},
    // Only from the built-in mlperf.conf.
    Unsigned("qsl_rng_seed", nullptr, &TS::qsl_rng_seed, "qsl_rng_seed", 1,
             true),
    Unsigned("sample_index_rng_seed", nullptr, &TS::sample_index_rng_seed,
             "sample_index_rng_seed", 1, true),
    Unsigned("schedule_rng_seed", nullptr, &TS::schedule_rng_seed,
             "schedule_rng_seed", 1, true),
    Double("accuracy_log_probability", nullptr, &TS::accuracy_log_probability,
           "accuracy_log_probability", kPercent, true),
    Flag("test05", nullptr, Kind::kFlagOne, &TS::test05, "test05", true),
    Unsigned("test05_qsl_rng_seed", nullptr, &TS::test05_qsl_rng_seed,
             "test05_qsl_rng_seed", 1, true),
    Unsigned("test05_sample_index_rng_seed", nullptr,
             &TS::test05_sample_index_rng_seed, "test05_sample_index_rng_seed",
             1, true),
    Unsigned("test05_schedule_rng_seed", nullptr,
             &TS::test05_schedule_rng_seed, "test05_schedule_rng_seed", 1,
             true),
    // Token latencies.
    Flag("use_token_latencies", nullptr, Kind::kFlagOne,
         &TS::use_token_latencies, "use_token_latencies"),
    Unsigned("ttft_latency", "Server", &TS::server_ttft_latency,
             "server_ttft_latency", kMsToNs, false, &TS::use_token_latencies),
    Unsigned("tpot_latency", "Server", &TS::server_tpot_latency,
             "server_tpot_latency", kMsToNs, false, &TS::use_token_latencies),
    Flag("infer_token_latencies", nullptr, Kind::kFlagOne,
         &TS::infer_token_latencies, "infer_token_latencies"),
    Unsigned("token_latency_scaling_factor", nullptr,
             &TS::token_latency_scaling_factor, "token_latency_scaling_factor",
             1, false, &TS::infer_token_latencies),
    // Latency targets.
    Double("target_latency_percentile", "SingleStream",
           &TS::single_stream_target_latency_percentile,
           "single_stream_target_latency_percentile", kPercent),
    Double("target_latency_percentile", "MultiStream",
           &TS::multi_stream_target_latency_percentile,
           "multi_stream_target_latency_percentile", kPercent),
    Unsigned("samples_per_query", "MultiStream",
             &TS::multi_stream_samples_per_query,
             "multi_stream_samples_per_query"),
    Double("target_latency_percentile", "Server",
           &TS::server_target_latency_percentile,
           "server_target_latency_percentile", kPercent),
    Unsigned("target_latency", "Server", &TS::server_target_latency_ns,
             "server_target_latency_ns", kMsToNs),
    // Issue modes.
    Flag("performance_issue_unique", nullptr, Kind::kFlagSet,
         &TS::performance_issue_unique, "performance_issue_unique"),
    Flag("performance_issue_same", nullptr, Kind::kFlagSet,
         &TS::performance_issue_same, "performance_issue_same"),
    Unsigned("performance_issue_same_index", nullptr,
             &TS::performance_issue_same_index, "performance_issue_same_index"),
    Flag("sample_concatenate_permutation", nullptr, Kind::kFlagOne,
         &TS::sample_concatenate_permutation,
         "sample_concatenate_permutation"),
    Flag("coalesce_queries", "Server", Kind::kFlagSet,
         &TS::server_coalesce_queries, "server_coalesce_queries"),
    {"max_async_queries", "Server", Kind::kInt32, 1, "server_max_async_queries",
     &TS::server_max_async_queries, nullptr, nullptr, false, nullptr},
    // Run length and sample counts.
    Unsigned("min_duration", nullptr, &TS::min_duration_ms, "min_duration_ms"),
    Unsigned("max_duration", nullptr, &TS::max_duration_ms, "max_duration_ms"),
    Unsigned("min_query_count", nullptr, &TS::min_query_count,
             "min_query_count"),
    Unsigned("max_query_count", nullptr, &TS::max_query_count,
             "max_query_count"),
    Unsigned("performance_sample_count_override", nullptr,
             &TS::performance_sample_count_override,
             "performance_sample_count_override"),
    Unsigned("accuracy_sample_count_override", nullptr,
             &TS::accuracy_sample_count_override,
             "accuracy_sample_count_override"),
    // Expected latencies and rates (hints for query generation).
    Double("target_latency", "SingleStream",
           &TS::single_stream_expected_latency_ns,
           "single_stream_expected_latency_ns", kMsToNs),
    Double("target_latency", "MultiStream",
           &TS::multi_stream_expected_latency_ns,
           "multi_stream_expected_latency_ns", kMsToNs),
    Double("target_qps", "Server", &TS::server_target_qps, "server_target_qps"),
    Double("target_qps", "Offline", &TS::offline_expected_qps,
           "offline_expected_qps"),
    Flag("print_timestamps", nullptr, Kind::kFlagSet, &TS::print_timestamps,
         "print_timestamps"),
    // Audit (TEST01) sampling.
    Unsigned("accuracy_log_rng_seed", nullptr, &TS::accuracy_log_rng_seed,
             "accuracy_log_rng_seed"),
    Unsigned("accuracy_log_sampling_target", nullptr,
             &TS::accuracy_log_sampling_target, "accuracy_log_sampling_target"),
};

// Keys the official mlperf.conf writes although LoadGen never reads them.
constexpr const char *kUnreadKeys[] = {"target_duration"};

// ---------------------------------------------------------------------------
// Small text helpers.
// ---------------------------------------------------------------------------

// The whitespace of the C locale, which is what `istream >> string` splits on.
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
         c == '\r';
}

// Text from a file, made safe to put in a message: at most `max_bytes`
// bytes, anything outside printable ASCII written as \xNN.
std::string Printable(std::string_view s, std::size_t max_bytes = 80) {
  std::string out;
  const std::size_t n = std::min(s.size(), max_bytes);
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (s.size() > max_bytes) out += "...";
  return out;
}

std::string Quote(std::string_view s) { return "'" + Printable(s) + "'"; }

char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Edit distance counting insertions, deletions, substitutions and swaps of
// neighbours as one step each, ignoring case. Only called on short words.
std::size_t EditDistance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1,
                                          std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = Lower(a[i - 1]) == Lower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1,
                          d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && Lower(a[i - 1]) == Lower(b[j - 2]) &&
          Lower(a[i - 2]) == Lower(b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

// The candidate closest to `word`, if it is close enough to be a typo.
std::string ClosestMatch(std::string_view word,
                         const std::vector<std::string> &candidates) {
  if (word.empty() || word.size() > 64) return "";
  std::string best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  for (const std::string &c : candidates) {
    const std::size_t dist = EditDistance(word, c);
    if (dist < best_distance) {
      best_distance = dist;
      best = c;
    }
  }
  const std::size_t allowed = word.size() <= 4 ? 1 : (word.size() <= 8 ? 2 : 3);
  return best_distance <= allowed ? best : "";
}

// Whether the whole of `s` reads as a number the way the reference accepts
// it: strtoul with base 0 (sign, 0x, leading 0 for octal) or else strtod
// (decimal or hex floats, inf, nan). A NUL byte inside never passes.
bool ParsesFullyAsInteger(const std::string &s) {
  if (s.empty()) return false;
  char *end = nullptr;
  (void)std::strtoul(s.c_str(), &end, 0);
  return end == s.c_str() + s.size();
}
bool ParsesFullyAsNumber(const std::string &s) {
  if (ParsesFullyAsInteger(s)) return true;
  if (s.empty()) return false;
  char *end = nullptr;
  (void)std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

uint64_t ReadUnsigned(const std::string &s) {
  return std::strtoull(s.c_str(), nullptr, 0);
}
double ReadDouble(const std::string &s) { return std::strtod(s.c_str(), nullptr); }

// The shortest text that reads back as `v`: plain decimals when that is
// short ("10000000", "0.999"), else with an exponent ("1e+300").
std::string FormatDouble(double v) {
  char buf[512];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  if (r.ec == std::errc() && r.ptr - buf <= 24) return std::string(buf, r.ptr);
  r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}

bool IsScenarioName(std::string_view s) {
  for (const char *name : kScenarioNames) {
    if (s == name) return true;
  }
  return false;
}

std::vector<std::string> AllKeyNames() {
  std::vector<std::string> keys;
  for (const Rule &r : kRules) keys.emplace_back(r.key);
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

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
    d.message = std::to_string(dropped_) +
                " more problems in this file are not listed";
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
  void Add(bool is_error, int line, std::string_view key,
           std::string message) {
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

// ---------------------------------------------------------------------------
// Step 1: parse.
// ---------------------------------------------------------------------------

struct Entry {
  std::string value;  // as written; it parses fully as a number
  int line = 0;
};
using Entries = std::map<std::string, Entry>;

// Warnings about one `key = value` that the parser accepted: things the
// reference silently ignores or reads differently from what was meant.
void CheckEntry(const std::string &key, const std::string &value, int line,
                int conf_type, DiagnosticSink *sink) {
  if (!key.empty() && key[0] == '#') {
    sink->Warning(line, key,
                  Quote(key) +
                      " is read as a key, not as a comment (it would only "
                      "match a model whose name starts with '#'); a comment "
                      "needs a space after '#'");
    return;
  }
  const std::size_t last_dot = key.rfind('.');
  const std::size_t mid_dot =
      (last_dot == std::string::npos || last_dot == 0)
          ? std::string::npos
          : key.rfind('.', last_dot - 1);
  if (mid_dot == std::string::npos) {
    sink->Warning(line, key,
                  "key " + Quote(key) +
                      " is not of the form model.scenario.key; it never "
                      "matches and is ignored");
    return;
  }
  const std::string scenario = key.substr(mid_dot + 1, last_dot - mid_dot - 1);
  const std::string name = key.substr(last_dot + 1);

  if (scenario != "*" && !IsScenarioName(scenario)) {
    const std::string guess = ClosestMatch(
        scenario, {kScenarioNames[0], kScenarioNames[1], kScenarioNames[2],
                   kScenarioNames[3], "*"});
    sink->Warning(line, key,
                  "unknown scenario " + Quote(scenario) +
                      (guess.empty() ? "" : " (did you mean " + guess + "?)") +
                      "; this line never matches");
    return;
  }

  std::vector<const Rule *> rules;  // the settings this name may set
  for (const Rule &r : kRules) {
    if (name == r.key) rules.push_back(&r);
  }
  if (rules.empty()) {
    for (const char *unread : kUnreadKeys) {
      if (name == unread) {
        sink->Warning(line, key,
                      Quote(name) +
                          " is not read by LoadGen; this line has no effect");
        return;
      }
    }
    std::string guess;
    for (const Rule &r : kRules) {  // a TestSettings member name used as key
      if (name == r.field) {
        guess = r.scenario ? std::string(r.scenario) + "." + r.key : r.key;
        break;
      }
    }
    if (guess.empty()) guess = ClosestMatch(name, AllKeyNames());
    sink->Warning(line, key,
                  "unknown key " + Quote(name) +
                      (guess.empty() ? "" : " (did you mean " + guess + "?)") +
                      "; this line is ignored");
    return;
  }

  if (rules.front()->builtin_only && conf_type != kConfBuiltin) {
    sink->Warning(line, key,
                  Quote(name) +
                      " may only be set by the built-in mlperf.conf; this "
                      "line is ignored (the reference LoadGen ignores it "
                      "too)");
    return;
  }

  // A name read only under fixed scenarios, written under another one.
  const Rule *rule = nullptr;  // the setting this line feeds, if one
  bool any_scenario = false;
  std::vector<std::string> read_under_list;
  for (const Rule *r : rules) {
    if (r->scenario == nullptr) {
      any_scenario = true;
      rule = r;
      continue;
    }
    read_under_list.emplace_back(r->scenario);
    if (scenario == r->scenario) rule = r;
  }
  std::string read_under;  // "A", "A and B", "A, B and C"
  for (std::size_t i = 0; i < read_under_list.size(); ++i) {
    if (i > 0) read_under += i + 1 == read_under_list.size() ? " and " : ", ";
    read_under += read_under_list[i];
  }
  if (!any_scenario && scenario != "*" && rule == nullptr) {
    sink->Warning(line, key,
                  Quote(name) + " is only read under " + read_under +
                      "; this line has no effect");
    return;
  }

  // The value, against every setting it may feed.
  std::vector<const Rule *> targets;
  if (rule != nullptr && scenario != "*") {
    targets.push_back(rule);
  } else {
    targets = rules;
  }
  for (const Rule *r : targets) {
    const std::string what =
        r->scenario ? std::string(r->scenario) + "." + r->key : r->key;
    if (r->kind == Kind::kDouble) {
      const double v = ReadDouble(value);
      if (!std::isfinite(v)) {
        sink->Warning(line, key,
                      what + " = " + Quote(value) + " is not a finite number");
      } else if (r->multiplier == kPercent && !(v > 0 && v < 100)) {
        sink->Warning(line, key,
                      what + " is a percentile, between 0 and 100; " +
                          Quote(value) + " is outside that range");
      } else if (v < 0) {
        sink->Warning(line, key,
                      what + " = " + Quote(value) + " is negative");
      }
      continue;
    }
    const uint64_t v = ReadUnsigned(value);
    if (!ParsesFullyAsInteger(value)) {
      sink->Warning(line, key,
                    what + " takes an integer; " + Quote(value) +
                        " is read as " + std::to_string(v));
      continue;
    }
    const bool negative =
        value.find('-') != std::string::npos && v != 0;
    switch (r->kind) {
      case Kind::kFlagOne:
      case Kind::kFlagSet:
        if (v > 1) {
          const bool read_as = r->kind == Kind::kFlagSet;
          sink->Warning(line, key,
                        what + " expects 0 or 1; " + Quote(value) +
                            " is read as " + (read_as ? "1 (on)" : "0 (off)"));
        }
        break;
      case Kind::kUnsigned:
        if (negative) {
          sink->Warning(line, key,
                        what + " cannot be negative; " + Quote(value) +
                            " is read as " + std::to_string(v));
        } else if (r->multiplier > 1 &&
                   v > std::numeric_limits<uint64_t>::max() /
                           static_cast<uint64_t>(r->multiplier)) {
          sink->Warning(line, key,
                        what + " = " + Quote(value) +
                            " ms is too large to hold in nanoseconds; it "
                            "wraps around");
        }
        break;
      case Kind::kInt32:
        if (negative || v > static_cast<uint64_t>(
                                std::numeric_limits<int32_t>::max())) {
          sink->Warning(line, key,
                        what + " must lie in 0.." +
                            std::to_string(
                                std::numeric_limits<int32_t>::max()) +
                            "; " + Quote(value) + " is not read as written");
        }
        break;
      case Kind::kMode:  // reported when applied, as the reference does
      case Kind::kDouble:
        break;
    }
  }
}

// Splits `text` into lines and lines into words, filling `entries`. Returns
// the number of malformed lines.
int Parse(const std::string &text, int conf_type, Entries *entries,
          DiagnosticSink *sink) {
  int errors = 0;
  int line_number = 0;
  std::size_t pos = 0;
  std::vector<std::string_view> words;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    const std::string_view line(text.data() + pos, eol - pos);
    pos = eol + 1;
    ++line_number;

    words.clear();
    for (std::size_t i = 0; i < line.size();) {
      while (i < line.size() && IsSpace(line[i])) ++i;
      const std::size_t start = i;
      while (i < line.size() && !IsSpace(line[i])) ++i;
      if (i > start) words.push_back(line.substr(start, i - start));
    }
    if (words.empty() || words[0] == "#") continue;

    const std::string key(words[0]);
    const bool hash_key = key[0] == '#';
    if (words.size() == 1) {
      sink->Warning(line_number, key,
                    hash_key ? Quote(key) +
                                   " is not a comment; a comment needs a "
                                   "space after '#'"
                             : "key " + Quote(key) +
                                   " has no ' = value'; the line is ignored" +
                                   (key.find('=') != std::string::npos
                                        ? " (write spaces around '=')"
                                        : ""));
      continue;
    }
    if (words[1] == "#") {
      sink->Warning(line_number, key,
                    "key " + Quote(key) +
                        " has no ' = value' before the comment; the line is "
                        "ignored");
      continue;
    }
    if (words[1] != "=") {
      ++errors;
      std::string message;
      if (hash_key) {
        message = Quote(key) +
                  " is not a comment: a comment needs a space after '#'";
      } else if (words[1][0] == '=') {
        message = "expected 'key = value' with spaces around '='; found " +
                  Quote(words[1]) + " after the key";
      } else {
        message = "expected '=' after the key " + Quote(key) + ", found " +
                  Quote(words[1]);
      }
      sink->Error(line_number, key, message);
      continue;
    }
    if (words.size() == 2) {
      sink->Warning(line_number, key,
                    "key " + Quote(key) + " has no value; the line is ignored");
      continue;
    }
    // Every word after '=' is a value and must be a number; the last wins.
    for (std::size_t w = 2; w < words.size(); ++w) {
      const std::string value(words[w]);
      if (!ParsesFullyAsNumber(value)) {
        ++errors;
        if (value[0] == '#') {
          sink->Error(line_number, key,
                      "a comment must be on a line of its own; after a "
                      "value, " + Quote(value) +
                          " is read as another value, which is not a number");
        } else {
          sink->Error(line_number, key,
                      "value " + Quote(value) + " of " + Quote(key) +
                          " is neither an integer nor a number");
        }
        break;
      }
      if (w > 2) {
        sink->Warning(line_number, key,
                      "more than one value after '='; " + Quote(value) +
                          " replaces " + Quote(words[w - 1]));
      }
      auto it = entries->find(key);
      if (it == entries->end()) {
        CheckEntry(key, value, line_number, conf_type, sink);
        entries->emplace(key, Entry{value, line_number});
        continue;
      }
      if (it->second.line != line_number) {
        sink->Warning(line_number, key,
                      Quote(key) + " was already set on line " +
                          std::to_string(it->second.line) +
                          "; this line replaces it");
        CheckEntry(key, value, line_number, conf_type, sink);
      }
      it->second = Entry{value, line_number};
    }
  }
  return errors;
}

// ---------------------------------------------------------------------------
// Step 2: apply.
// ---------------------------------------------------------------------------

using Origins = std::map<std::string, ConfigSource>;

const std::pair<const std::string, Entry> *Lookup(const Entries &entries,
                                                  const std::string &model,
                                                  const std::string &scenario,
                                                  const std::string &key) {
  const std::string candidates[] = {
      model + "." + scenario + "." + key,
      "*." + scenario + "." + key,
      model + ".*." + key,
      "*.*." + key,
  };
  for (const std::string &c : candidates) {
    auto it = entries.find(c);
    if (it != entries.end()) return &*it;
  }
  return nullptr;
}

void Apply(const Entries &entries, const std::string &model,
           const std::string &scenario, int conf_type,
           const std::string &file_label, TestSettings *s, Origins *origins,
           DiagnosticSink *sink) {
  for (const Rule &r : kRules) {
    if (r.builtin_only && conf_type != kConfBuiltin) continue;
    if (r.only_if != nullptr && !(s->*r.only_if)) continue;
    const auto *found =
        Lookup(entries, model, r.scenario ? r.scenario : scenario, r.key);
    if (found == nullptr) continue;
    const std::string &value = found->second.value;
    switch (r.kind) {
      case Kind::kUnsigned:
        // Unsigned arithmetic wraps, as the reference's does.
        s->*r.u64 = ReadUnsigned(value) * static_cast<uint64_t>(r.multiplier);
        break;
      case Kind::kDouble:
        s->*r.f64 = ReadDouble(value) * r.multiplier;
        break;
      case Kind::kFlagOne:
        s->*r.flag = ReadUnsigned(value) == 1;
        break;
      case Kind::kFlagSet:
        s->*r.flag = ReadUnsigned(value) != 0;
        break;
      case Kind::kInt32: {
        // The low 32 bits as a signed int, widened back to 64 bits.
        const uint64_t low = ReadUnsigned(value) & 0xffffffffu;
        const int64_t as_int = low >= 0x80000000u
                                   ? static_cast<int64_t>(low) - (int64_t{1} << 32)
                                   : static_cast<int64_t>(low);
        s->*r.u64 = static_cast<uint64_t>(as_int);
        break;
      }
      case Kind::kMode: {
        const uint64_t v = ReadUnsigned(value);
        if (v > 3) {
          sink->Error(found->second.line, found->first,
                      "mode must be 0 (SubmissionRun), 1 (AccuracyOnly), 2 "
                      "(PerformanceOnly) or 3 (FindPeakPerformance); " +
                          Quote(value) + " is ignored");
          continue;
        }
        s->mode = static_cast<TestMode>(v);
        break;
      }
    }
    if (origins != nullptr) {
      ConfigSource &src = (*origins)[r.field];
      src.field = r.field;
      src.file = file_label;
      src.line = found->second.line;
      src.key = Printable(found->first, 200);
      src.written_value = value;
    }
  }
}

int ApplyText(TestSettings *s, const std::string &text,
              const std::string &file_label, const std::string &model,
              const std::string &scenario, int conf_type, Origins *origins) {
  // The built-in file is ours and tested: only errors could be news there.
  DiagnosticSink sink(&s->config_diagnostics, file_label,
                      /*quiet_warnings=*/conf_type == kConfBuiltin);
  Entries entries;
  if (Parse(text, conf_type, &entries, &sink) != 0) return -EINVAL;
  Apply(entries, model, scenario, conf_type, file_label, s, origins, &sink);
  return 0;
}

// Reads a whole file into `text`. Returns 0, -ENOENT (cannot open) or
// -EINVAL (too large); a directory reads as empty, as in the reference.
int ReadConfigFile(const std::string &path, std::string *text,
                   std::vector<ConfigDiagnostic> *diagnostics) {
  auto report = [&](bool is_error, std::string message) {
    ConfigDiagnostic d;
    d.is_error = is_error;
    d.file = path;
    d.message = std::move(message);
    diagnostics->push_back(std::move(d));
  };
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) {
    const int err = errno;
    report(true, std::string("cannot open the file") +
                     (err != 0 ? std::string(": ") + std::strerror(err) : ""));
    return -ENOENT;
  }
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    report(false, "is a directory; nothing was read");
    return 0;
  }
  text->clear();
  char buffer[1 << 16];
  while (in) {
    in.read(buffer, sizeof(buffer));
    const std::streamsize got = in.gcount();
    if (got <= 0) break;
    if (text->size() + static_cast<std::size_t>(got) > kMaxConfigFileBytes) {
      report(true, "the file is larger than " +
                       std::to_string(kMaxConfigFileBytes >> 20) +
                       " MiB; it was not read");
      text->clear();
      return -EINVAL;
    }
    text->append(buffer, static_cast<std::size_t>(got));
  }
  return 0;
}

int FromConfigImpl(TestSettings *s, const std::string &path,
                   const std::string &model, const std::string &scenario,
                   int conf_type, Origins *origins) {
  const std::string label =
      conf_type == kConfBuiltin ? std::string(kBuiltinConfName) : path;
  if (!IsScenarioName(scenario)) {
    ConfigDiagnostic d;
    d.is_error = false;
    d.file = label;
    d.message = "the scenario " + Quote(scenario) +
                " is not SingleStream, MultiStream, Server or Offline; keys "
                "written under a scenario name will not match it";
    s->config_diagnostics.push_back(std::move(d));
  }
  if (conf_type == kConfUser) {
    if (!s->builtin_config_applied) {
      s->builtin_config_applied = true;
      ApplyText(s, BuiltinMlperfConf(), kBuiltinConfName, model, scenario,
                kConfBuiltin, origins);
    } else {
      ConfigDiagnostic d;
      d.is_error = true;
      d.file = path;
      d.message =
          "Multiple conf files are used. This is not valid for official "
          "submission.";
      s->config_diagnostics.push_back(std::move(d));
    }
  }
  if (conf_type == kConfBuiltin) {
    return ApplyText(s, BuiltinMlperfConf(), kBuiltinConfName, model, scenario,
                     kConfBuiltin, origins);
  }
  std::string text;
  const int rc = ReadConfigFile(path, &text, &s->config_diagnostics);
  if (rc != 0) return rc;
  return ApplyText(s, text, path, model, scenario, conf_type, origins);
}

// ---------------------------------------------------------------------------
// Every TestSettings field, for explanations.
// ---------------------------------------------------------------------------

struct FieldView {
  const char *name;
  std::string (*format)(const TestSettings &);
};

#define LOADGEN_FIELD(member, formatter)                    \
  FieldView {                                               \
    #member, [](const TestSettings &s) -> std::string {     \
      return formatter(s.member);                           \
    }                                                       \
  }

std::string FormatU64(uint64_t v) { return std::to_string(v); }
std::string FormatInt(int v) { return std::to_string(v); }
std::string FormatBool(bool v) { return v ? "true" : "false"; }
std::string FormatMode(TestMode m) { return ToString(m); }
std::string FormatScenario(TestScenario s) { return ToString(s); }

const FieldView kFields[] = {
    LOADGEN_FIELD(scenario, FormatScenario),
    LOADGEN_FIELD(mode, FormatMode),
    LOADGEN_FIELD(single_stream_expected_latency_ns, FormatDouble),
    LOADGEN_FIELD(single_stream_target_latency_percentile, FormatDouble),
    LOADGEN_FIELD(multi_stream_expected_latency_ns, FormatDouble),
    LOADGEN_FIELD(multi_stream_target_latency_percentile, FormatDouble),
    LOADGEN_FIELD(multi_stream_samples_per_query, FormatU64),
    LOADGEN_FIELD(server_target_qps, FormatDouble),
    LOADGEN_FIELD(server_target_latency_ns, FormatU64),
    LOADGEN_FIELD(server_target_latency_percentile, FormatDouble),
    LOADGEN_FIELD(server_coalesce_queries, FormatBool),
    LOADGEN_FIELD(server_find_peak_qps_decimals_of_precision, FormatInt),
    LOADGEN_FIELD(server_find_peak_qps_boundary_step_size, FormatDouble),
    LOADGEN_FIELD(server_max_async_queries, FormatU64),
    LOADGEN_FIELD(server_num_issue_query_threads, FormatU64),
    LOADGEN_FIELD(offline_expected_qps, FormatDouble),
    LOADGEN_FIELD(sample_concatenate_permutation, FormatBool),
    LOADGEN_FIELD(min_duration_ms, FormatU64),
    LOADGEN_FIELD(max_duration_ms, FormatU64),
    LOADGEN_FIELD(min_query_count, FormatU64),
    LOADGEN_FIELD(max_query_count, FormatU64),
    LOADGEN_FIELD(qsl_rng_seed, FormatU64),
    LOADGEN_FIELD(sample_index_rng_seed, FormatU64),
    LOADGEN_FIELD(schedule_rng_seed, FormatU64),
    LOADGEN_FIELD(accuracy_log_rng_seed, FormatU64),
    LOADGEN_FIELD(accuracy_log_probability, FormatDouble),
    LOADGEN_FIELD(accuracy_log_sampling_target, FormatU64),
    LOADGEN_FIELD(test05, FormatBool),
    LOADGEN_FIELD(test05_qsl_rng_seed, FormatU64),
    LOADGEN_FIELD(test05_sample_index_rng_seed, FormatU64),
    LOADGEN_FIELD(test05_schedule_rng_seed, FormatU64),
    LOADGEN_FIELD(print_timestamps, FormatBool),
    LOADGEN_FIELD(performance_issue_unique, FormatBool),
    LOADGEN_FIELD(performance_issue_same, FormatBool),
    LOADGEN_FIELD(performance_issue_same_index, FormatU64),
    LOADGEN_FIELD(performance_sample_count_override, FormatU64),
    LOADGEN_FIELD(accuracy_sample_count_override, FormatU64),
    LOADGEN_FIELD(use_token_latencies, FormatBool),
    LOADGEN_FIELD(server_ttft_latency, FormatU64),
    LOADGEN_FIELD(server_tpot_latency, FormatU64),
    LOADGEN_FIELD(infer_token_latencies, FormatBool),
    LOADGEN_FIELD(token_latency_scaling_factor, FormatU64),
    LOADGEN_FIELD(watchdog_timeout_ms, FormatU64),
};

#undef LOADGEN_FIELD

}  // namespace

std::string ConfigSource::Where() const {
  if (file.empty()) return "default";
  return file + ":" + std::to_string(line);
}

int ApplyConfigText(TestSettings *settings, const std::string &text,
                    const std::string &file_label, const std::string &model,
                    const std::string &scenario, int conf_type) {
  return ApplyText(settings, text, file_label, model, scenario, conf_type,
                   nullptr);
}

int ApplyAuditConfig(TestSettings *settings, const std::string &path,
                     const std::string &scenario) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return -ENOENT;
  return FromConfigImpl(settings, path, "*", scenario, kConfAudit, nullptr);
}

ConfigExplanation ExplainConfig(const std::string &user_conf_path,
                                const std::string &model,
                                const std::string &scenario,
                                const std::string &audit_config_path) {
  ConfigExplanation ex;
  Origins origins;
  if (user_conf_path.empty()) {
    ex.user_conf_rc = FromConfigImpl(&ex.settings, "", model, scenario,
                                     kConfBuiltin, &origins);
  } else {
    ex.user_conf_rc = FromConfigImpl(&ex.settings, user_conf_path, model,
                                     scenario, kConfUser, &origins);
  }
  if (!audit_config_path.empty()) {
    struct stat st;
    ex.audit_config_rc =
        ::stat(audit_config_path.c_str(), &st) != 0
            ? -ENOENT
            : FromConfigImpl(&ex.settings, audit_config_path, "*", scenario,
                             kConfAudit, &origins);
  }
  for (const FieldView &f : kFields) {
    ConfigSource src;
    auto it = origins.find(f.name);
    if (it != origins.end()) src = it->second;
    src.field = f.name;
    src.value = f.format(ex.settings);
    ex.fields.push_back(std::move(src));
  }
  return ex;
}

std::vector<std::string> KnownConfigKeys() { return AllKeyNames(); }

std::string FormatDiagnostic(const ConfigDiagnostic &d) {
  const std::string where = d.file + (d.line > 0 ? ":" + std::to_string(d.line) : std::string());
  return where + ": " + (d.key.empty() ? "" : d.key + ": ") + d.message;
}

}  // namespace internal

int TestSettings::FromConfig(const std::string &path, const std::string &model,
                             const std::string &scenario, int conf_type) {
  const std::size_t before = config_diagnostics.size();
  const int rc = internal::FromConfigImpl(this, path, model, scenario, conf_type, nullptr);
  // The reference is silent here, so a typo would go unnoticed until the
  // detail log is read: say it now, one line per problem.
  for (std::size_t i = before; i < config_diagnostics.size(); ++i) {
    std::cerr << "loadgen: " << (config_diagnostics[i].is_error ? "error" : "warning") << ": "
              << internal::FormatDiagnostic(config_diagnostics[i]) << "\n";
  }
  return rc;
}

}  // namespace mlperf
