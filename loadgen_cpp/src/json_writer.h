// json_writer.h: the one JSON encoder of the library. Every renderer (detail
// records, summary JSON, trace, accuracy log) builds its text with these, so
// escaping and number formats are decided in one place.
#ifndef LOADGEN_SRC_JSON_WRITER_H_
#define LOADGEN_SRC_JSON_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mlperf {
namespace internal {

// A JSON string literal, quotes included.
std::string JsonString(const std::string& s);
// std::ostream's default format (6 significant digits); null for inf/nan.
std::string JsonNumber(double v);
inline std::string JsonBool(bool b) { return b ? "true" : "false"; }
// Upper-case hex of n bytes (the accuracy log's "data").
std::string HexBytes(const uint8_t* p, size_t n);
// [1,2,3] without spaces.
std::string JsonIntList(const std::vector<size_t>& v);
// ["a", "b"].
std::string JsonStringList(const std::vector<std::string>& v);

// Builds one object member by member: {"a": 1, "b": "x"}. `sep` goes
// between members, `open`/`close` around them (for pretty top levels).
class JsonObject {
 public:
  explicit JsonObject(std::string open = "{", std::string sep = ", ",
                      std::string close = "}")
      : text_(std::move(open)),
        sep_(std::move(sep)),
        close_(std::move(close)) {}

  // `json` must already be valid JSON.
  JsonObject& Raw(const std::string& key, const std::string& json);
  JsonObject& Str(const std::string& key, const std::string& v) {
    return Raw(key, JsonString(v));
  }
  JsonObject& Num(const std::string& key, double v) {
    return Raw(key, JsonNumber(v));
  }
  JsonObject& Int(const std::string& key, int64_t v) {
    return Raw(key, std::to_string(v));
  }
  JsonObject& UInt(const std::string& key, uint64_t v) {
    return Raw(key, std::to_string(v));
  }
  JsonObject& Bool(const std::string& key, bool v) {
    return Raw(key, JsonBool(v));
  }
  std::string Close() const { return text_ + close_; }

 private:
  std::string text_;
  std::string sep_;
  std::string close_;
  bool first_ = true;
};

}  // namespace internal
}  // namespace mlperf

#endif  // LOADGEN_SRC_JSON_WRITER_H_
