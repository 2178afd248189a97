#include "accuracy_log.h"

#include <algorithm>

#include "json_writer.h"

namespace mlperf {
namespace internal {

void AccuracyLog::Configure(const EffectiveSettings& s) {
  draw_ = s.accuracy_log_probability > 0 || s.accuracy_log_sampling_target > 0;
  tokens_ = s.use_token_latencies;
  offline_ = s.scenario == TestScenario::Offline;
}

void AccuracyLog::BeginPhase(const EffectiveSettings& s, bool accuracy) {
  probability_ = s.accuracy_log_probability;
  offset_ = 0;
  if (accuracy) return;
  std::mt19937 offset_rng(
      static_cast<std::mt19937::result_type>(s.accuracy_log_rng_seed));
  offset_ = std::uniform_real_distribution<double>(0.0, 1.0)(offset_rng);
  uint64_t expected = static_cast<uint64_t>(
      s.target_qps * static_cast<double>(s.min_duration_ms) / 1000);
  uint64_t minimum = s.min_query_count * s.samples_per_query;
  if (s.scenario != TestScenario::Offline) {
    expected *= s.samples_per_query;
  } else {
    minimum = s.min_sample_count;
  }
  expected = std::max(expected, minimum);
  if (s.accuracy_log_sampling_target > 0) {
    probability_ = static_cast<double>(s.accuracy_log_sampling_target) /
                   static_cast<double>(expected);
  }
}

void AccuracyLog::Add(uint64_t seq_id, uint32_t qsl_index, const uint8_t* data,
                      size_t size, int64_t n_tokens) {
  MutexLock lock(&mu_);
  Entry e;
  e.seq_id = seq_id;
  e.qsl_index = qsl_index;
  e.offset = bytes_.size();
  e.size = data == nullptr ? 0 : size;
  e.n_tokens = n_tokens;
  if (size > 0 && data != nullptr)
    bytes_.insert(bytes_.end(), data, data + size);
  entries_.push_back(e);
}

void AccuracyLog::AddFirstToken(uint64_t seq_id, const uint8_t* data,
                                size_t size) {
  std::string hex = HexBytes(data, data ? size : 0);
  MutexLock lock(&mu_);
  token_hex_.emplace_back(seq_id, std::move(hex));
}

std::string AccuracyLog::RenderPending() {
  std::vector<Entry> entries;
  std::vector<uint8_t> bytes;
  std::vector<std::pair<uint64_t, std::string>> token_hex;
  {
    MutexLock lock(&mu_);
    entries.swap(entries_);
    bytes.swap(bytes_);
    token_hex.swap(token_hex_);
  }
  std::sort(token_hex.begin(), token_hex.end());
  auto token_for = [&](uint64_t seq) -> const std::string* {
    auto it = std::lower_bound(token_hex.begin(), token_hex.end(),
                               std::make_pair(seq, std::string()));
    if (it != token_hex.end() && it->first == seq) return &it->second;
    return nullptr;
  };
  std::string out;
  for (const auto& e : entries) {
    if (!first_entry_) out += ",\n";
    first_entry_ = false;
    out += "{ \"seq_id\" : " + std::to_string(e.seq_id) +
           ", \"qsl_idx\" : " + std::to_string(e.qsl_index) +
           ", \"data\" : \"" + HexBytes(bytes.data() + e.offset, e.size) + "\"";
    if (tokens_) {
      if (!offline_) {
        const std::string* th = token_for(e.seq_id);
        out += ", \"token_data\" : \"" + (th ? *th : std::string()) + "\"";
      }
      out += ", \"token_count\" : " + std::to_string(e.n_tokens);
    }
    out += " }";
  }
  return out;
}

}  // namespace internal
}  // namespace mlperf
