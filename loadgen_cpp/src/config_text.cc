// Text helpers of the config reader: messages, suggestions, numbers.
#include "config_text.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "config_rules.h"

namespace mlperf {
namespace internal {
namespace cfg {

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
std::string Printable(std::string_view s, std::size_t max_bytes) {
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
      d[i][j] =
          std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
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
double ReadDouble(const std::string &s) {
  return std::strtod(s.c_str(), nullptr);
}

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

}  // namespace cfg
}  // namespace internal
}  // namespace mlperf
