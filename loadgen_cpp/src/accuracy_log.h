// accuracy_log.h: which responses go to mlperf_log_accuracy.json, and their
// entries. The sampler draws once per generated sample, on the issuing
// thread, as the reference does (accuracy samples included, so a
// SubmissionRun's performance part samples the same responses); completers
// add entries under a lock; the StartTest thread renders them after each
// phase.
#ifndef LOADGEN_SRC_ACCURACY_LOG_H_
#define LOADGEN_SRC_ACCURACY_LOG_H_

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "settings_internal.h"
#include "thread_annotations.h"

namespace mlperf {
namespace internal {

class AccuracyLog {
 public:
  // ---- The issuing thread.
  void Configure(const EffectiveSettings& s);
  // Before a phase: the performance-mode sampling probability and offset.
  void BeginPhase(const EffectiveSettings& s, bool accuracy);
  // One draw per generated sample; true when its response is logged.
  bool Draw(bool accuracy) {
    bool logged = accuracy;
    if (draw_) {
      double v = dist_(rng_) + offset_;
      if (v >= 1.0) v -= 1.0;
      if (!accuracy && v <= probability_) logged = true;
    }
    return logged;
  }

  // ---- Completers (any thread). The bytes are copied from an address the
  // SUT gave (safe_copy.h): both return "" or why they could not be read
  // (then nothing is logged for that response).
  std::string Add(uint64_t seq_id, uint32_t qsl_index, const uint8_t* data,
                  size_t size, int64_t n_tokens) LG_EXCLUDES(mu_);
  // Many responses at once (one call's logged responses): the copy takes a
  // system call per 1024 responses rather than one each. `errors` receives
  // (index into `items`, why) for each response that could not be logged.
  struct Item {
    uint64_t seq_id;
    uint32_t qsl_index;
    const uint8_t* data;
    size_t size;
    int64_t n_tokens;
  };
  void AddBatch(const std::vector<Item>& items,
                std::vector<std::pair<size_t, std::string>>* errors)
      LG_EXCLUDES(mu_);
  std::string AddFirstToken(uint64_t seq_id, const uint8_t* data, size_t size)
      LG_EXCLUDES(mu_);

  // ---- The StartTest thread: the JSON text of the entries added since the
  // last call (to append to the file), and the file's ends.
  std::string RenderPending() LG_EXCLUDES(mu_);
  static const char* Opening() { return "[\n"; }
  std::string Closing() const { return first_entry_ ? "]\n" : "\n]\n"; }

 private:
  struct Entry {
    uint64_t seq_id;
    uint32_t qsl_index;
    uint64_t offset;
    uint64_t size;
    int64_t n_tokens;
  };

  // Sampling (issuing thread). Default-seeded, as the reference's.
  bool draw_ = false;
  uint64_t max_response_bytes_ = uint64_t{1} << 30;
  bool tokens_ = false;
  bool offline_ = false;
  double probability_ = 0;
  double offset_ = 0;
  std::mt19937 rng_;
  std::uniform_real_distribution<double> dist_{0.0, 1.0};

  Mutex mu_;
  std::vector<Entry> entries_ LG_GUARDED_BY(mu_);
  std::vector<uint8_t> bytes_ LG_GUARDED_BY(mu_);
  std::vector<std::pair<uint64_t, std::string>> token_hex_
      LG_GUARDED_BY(mu_);  // seq -> hex

  bool first_entry_ = true;  // the StartTest thread
};

}  // namespace internal
}  // namespace mlperf

#endif  // LOADGEN_SRC_ACCURACY_LOG_H_
