#include "accuracy_log.h"

#include <algorithm>

#include "json_writer.h"
#include "safe_copy.h"

namespace mlperf {
namespace internal {

void AccuracyLog::Configure(const EffectiveSettings& s) {
  draw_ = s.accuracy_log_probability > 0 || s.accuracy_log_sampling_target > 0;
  tokens_ = s.use_token_latencies;
  offline_ = s.scenario == TestScenario::Offline;
  max_response_bytes_ = s.requested.max_response_bytes;
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

namespace {

std::string TooLarge(size_t size, uint64_t limit) {
  return "its size, " + std::to_string(size) +
         " bytes, is over max_response_bytes (" + std::to_string(limit) + ")";
}

}  // namespace

std::string AccuracyLog::Add(uint64_t seq_id, uint32_t qsl_index,
                             const uint8_t* data, size_t size,
                             int64_t n_tokens) {
  // A null address means "no data", as before: an empty entry.
  const size_t n = data == nullptr ? 0 : size;
  if (n > max_response_bytes_) return TooLarge(n, max_response_bytes_);
  MutexLock lock(&mu_);
  Entry e;
  e.seq_id = seq_id;
  e.qsl_index = qsl_index;
  e.offset = bytes_.size();
  e.size = n;
  e.n_tokens = n_tokens;
  if (n > 0) {
    bytes_.resize(e.offset + n);
    std::string err = CopyFromSut(bytes_.data() + e.offset, data, n);
    if (!err.empty()) {
      bytes_.resize(e.offset);  // the other responses' bytes are kept
      return err;
    }
  }
  entries_.push_back(e);
  return "";
}

void AccuracyLog::AddBatch(
    const std::vector<Item>& items,
    std::vector<std::pair<size_t, std::string>>* errors) {
  std::vector<const void*> src;
  std::vector<size_t> sizes;
  std::vector<size_t> which;  // index in `items` of each range to copy
  src.reserve(items.size());
  sizes.reserve(items.size());
  which.reserve(items.size());
  size_t total = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& it = items[i];
    const size_t n = it.data == nullptr ? 0 : it.size;
    if (n > max_response_bytes_) {
      errors->emplace_back(i, TooLarge(n, max_response_bytes_));
      continue;
    }
    src.push_back(it.data);
    sizes.push_back(n);
    which.push_back(i);
    total += n;
  }
  std::vector<std::string> why;
  MutexLock lock(&mu_);
  const size_t base = bytes_.size();
  bytes_.resize(base + total);
  GatherFromSut(bytes_.data() + base, src.data(), sizes.data(), src.size(),
                &why);
  size_t out = base;  // the ranges that were copied lie back to back
  for (size_t k = 0; k < which.size(); ++k) {
    if (!why[k].empty()) {
      errors->emplace_back(which[k], why[k]);
      continue;
    }
    const Item& it = items[which[k]];
    entries_.push_back(
        Entry{it.seq_id, it.qsl_index, out, sizes[k], it.n_tokens});
    out += sizes[k];
  }
  bytes_.resize(out);  // the other responses' bytes are kept
}

std::string AccuracyLog::AddFirstToken(uint64_t seq_id, const uint8_t* data,
                                       size_t size) {
  const size_t n = data == nullptr ? 0 : size;
  if (n > max_response_bytes_) return TooLarge(n, max_response_bytes_);
  std::vector<uint8_t> copy(n);
  if (n > 0) {
    std::string err = CopyFromSut(copy.data(), data, n);
    if (!err.empty()) return err;
  }
  std::string hex = HexBytes(copy.data(), n);
  MutexLock lock(&mu_);
  token_hex_.emplace_back(seq_id, std::move(hex));
  return "";
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
