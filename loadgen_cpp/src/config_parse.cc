// Step 1 of reading a config file: parse, as the reference does, and report
// what it would silently misread (comments, typos, keys under the wrong
// scenario, keys only mlperf.conf may set).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "config_rules.h"
#include "config_text.h"

namespace mlperf {
namespace internal {
namespace cfg {

// ---------------------------------------------------------------------------
// Step 1: parse.
// ---------------------------------------------------------------------------

// Warnings about one `key = value` that the parser accepted: things the
// reference silently ignores or reads differently from what was meant.
namespace {

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
  const std::size_t mid_dot = (last_dot == std::string::npos || last_dot == 0)
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
    const std::string guess =
        ClosestMatch(scenario, {kScenarioNames[0], kScenarioNames[1],
                                kScenarioNames[2], kScenarioNames[3], "*"});
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
        sink->Warning(
            line, key,
            Quote(name) + " is not read by LoadGen; this line has no effect");
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
        sink->Warning(line, key, what + " = " + Quote(value) + " is negative");
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
    const bool negative = value.find('-') != std::string::npos && v != 0;
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
        if (negative ||
            v > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
          sink->Warning(
              line, key,
              what + " must lie in 0.." +
                  std::to_string(std::numeric_limits<int32_t>::max()) + "; " +
                  Quote(value) + " is not read as written");
        }
        break;
      case Kind::kMode:  // reported when applied, as the reference does
      case Kind::kDouble:
        break;
    }
  }
}

}  // namespace

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
        message =
            Quote(key) + " is not a comment: a comment needs a space after '#'";
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
                      "value, " +
                          Quote(value) +
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

}  // namespace cfg
}  // namespace internal
}  // namespace mlperf
