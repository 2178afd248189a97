#include "query_generator.h"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <stdexcept>

namespace mlperf {
namespace internal {

std::vector<LoadableSet> GenerateLoadableSets(const EffectiveSettings& s,
                                              uint64_t count) {
  const uint64_t n = std::min<uint64_t>(count, s.qsl_total_sample_count);
  std::vector<QuerySampleIndex> samples(n);
  std::iota(samples.begin(), samples.end(), QuerySampleIndex{0});
  std::mt19937 qsl_rng(s.qsl_rng_seed);
  std::shuffle(samples.begin(), samples.end(), qsl_rng);

  const uint64_t set_size = s.performance_sample_count;
  const size_t padding = s.scenario == TestScenario::MultiStream
                             ? static_cast<size_t>(s.samples_per_query - 1)
                             : 0;
  std::vector<LoadableSet> sets;
  for (uint64_t begin = 0; begin < n; begin += set_size) {
    const uint64_t end = std::min(n, begin + set_size);
    LoadableSet ls;
    ls.set.reserve(end - begin + padding);
    ls.set.assign(samples.begin() + begin, samples.begin() + end);
    ls.distribution_end = ls.set.size();
    sets.push_back(std::move(ls));
  }
  for (auto& ls : sets) {
    // Padding repeats the head so any start index has samples_per_query
    // contiguous samples. A set shorter than the padding wraps around.
    for (size_t i = 0; i < padding; ++i) {
      ls.set.push_back(ls.set[i % ls.distribution_end]);
    }
  }
  return sets;
}

namespace {

// Shuffled 0, stride, 2*stride, ... below `end`: drawn now from `rng`.
std::vector<uint32_t> ShuffledStarts(size_t end, size_t stride,
                                     std::mt19937* rng) {
  // The reference shuffles a vector of size_t; std::shuffle's draws depend
  // only on the length, so a narrower element type draws the same numbers.
  std::vector<uint32_t> v;
  v.reserve(end / stride + 1);
  for (size_t i = 0; i < end; i += stride)
    v.push_back(static_cast<uint32_t>(i));
  std::shuffle(v.begin(), v.end(), *rng);
  return v;
}

}  // namespace

QueryGenerator::QueryGenerator(const EffectiveSettings& s, bool accuracy,
                               const LoadableSet& set)
    : s_(s),
      loaded_(set),
      accuracy_(accuracy),
      unbounded_(!accuracy && !s.performance_issue_unique &&
                 (s.scenario == TestScenario::SingleStream ||
                  s.scenario == TestScenario::MultiStream)),
      is_server_(s.scenario == TestScenario::Server),
      samples_per_query_(s.samples_per_query),
      sample_rng_(
          static_cast<std::mt19937::result_type>(s.sample_index_rng_seed)),
      schedule_rng_(
          static_cast<std::mt19937::result_type>(s.schedule_rng_seed)),
      main_dist_(0, static_cast<int>(set.distribution_end) - 1),
      equal_issue_(s.sample_concatenate_permutation && !accuracy),
      exp_dist_(s.target_qps > 0 ? s.target_qps : 1.0) {
  const size_t loaded_size = loaded_.set.size();
  if (accuracy_ && s.scenario == TestScenario::Offline) {
    samples_per_query_ = loaded_.distribution_end;
  }
  // Closed-loop scenarios generate for twice the duration; Server for one.
  const int64_t multiplier = is_server_ ? 1 : 2;
  gen_duration_ns_ = multiplier * s.target_duration_ms * 1000000;
  min_queries_ = s.min_query_count;
  if (accuracy_ || s.performance_issue_unique) {
    gen_duration_ns_ = 0;
    min_queries_ = loaded_size / samples_per_query_;
  }
  const size_t stride = s.scenario == TestScenario::MultiStream
                            ? static_cast<size_t>(samples_per_query_)
                            : 1;
  // The three choosers are built in this order, each drawing from
  // sample_rng_, whether or not it is used later.
  if (accuracy_)
    main_list_ = ShuffledStarts(loaded_.distribution_end, stride, &sample_rng_);
  {
    auto unique =
        ShuffledStarts(loaded_.distribution_end, stride, &sample_rng_);
    if (s.performance_issue_unique) unique_list_ = std::move(unique);
  }
  {
    std::vector<uint32_t> perm(loaded_size);
    std::iota(perm.begin(), perm.end(), 0u);
    for (uint64_t j = 0; j < min_queries_; j += loaded_size) {
      std::shuffle(perm.begin(), perm.end(), sample_rng_);
      if (s.sample_concatenate_permutation) {
        equal_list_.insert(equal_list_.end(), perm.begin(), perm.end());
      }
    }
  }
  if (equal_issue_) {
    if (s.scenario == TestScenario::Offline) {
      if (samples_per_query_ % loaded_size != 0) {
        samples_per_query_ += loaded_size - samples_per_query_ % loaded_size;
      }
    } else if (min_queries_ % loaded_size != 0) {
      min_queries_ += loaded_size - min_queries_ % loaded_size;
    }
  }
  if (!is_server_) {
    // A fixed period: 1/qps seconds truncated to whole nanoseconds.
    period_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(
                     std::chrono::duration<double>(1.0 / s.target_qps))
                     .count();
  }
}

size_t QueryGenerator::DrawMain() {
  if (accuracy_) {
    if (main_pos_ >= main_list_.size()) {
      throw std::logic_error("accuracy sample list exhausted");
    }
    return main_list_[main_pos_++];
  }
  return static_cast<size_t>(main_dist_(sample_rng_));
}

size_t QueryGenerator::DrawUnique() {
  if (unique_pos_ >= unique_list_.size()) {
    throw std::logic_error("unique sample list exhausted");
  }
  return unique_list_[unique_pos_++];
}

size_t QueryGenerator::DrawEqualIssue() {
  if (equal_list_.empty()) throw std::logic_error("equal-issue list empty");
  const size_t v = equal_list_[equal_pos_];
  equal_pos_ = (equal_pos_ + 1) % equal_list_.size();
  return v;
}

bool QueryGenerator::ReferenceEnded() const {
  return !(prev_timestamp_ns_ < gen_duration_ns_ || generated_ < min_queries_);
}

bool QueryGenerator::Next(std::vector<QuerySample>* out,
                          int64_t* scheduled_ns) {
  const bool is_offline = s_.scenario == TestScenario::Offline;
  if (remainder_pending_) {
    // Offline accuracy: the samples left over when the set is not a multiple
    // of the query size, each drawn from the main chooser.
    remainder_pending_ = false;
    const size_t rem = loaded_.set.size() % samples_per_query_;
    out->resize(rem);
    for (auto& q : *out) q.index = loaded_.set[DrawMain()];
    *scheduled_ns = timestamp_ns_;
    ++generated_;
    return true;
  }
  if (ReferenceEnded() && !unbounded_) {
    return false;
  }
  const auto& loaded = loaded_.set;
  const uint64_t spq = samples_per_query_;
  out->resize(spq);
  if (s_.scenario == TestScenario::MultiStream) {
    size_t start = s_.performance_issue_unique ? DrawUnique()
                   : s_.performance_issue_same
                       ? static_cast<size_t>(s_.performance_issue_same_index)
                       : DrawMain();
    for (auto& q : *out) q.index = loaded[start++];
  } else if (is_offline) {
    const size_t n = loaded.size();
    if (s_.performance_issue_same) {
      const QuerySampleIndex same = loaded[s_.performance_issue_same_index];
      for (auto& q : *out) q.index = same;
    } else {
      const size_t repeats = spq / n;
      const size_t rem = spq % n;
      QuerySample* dst = out->data();
      for (size_t r = 0; r < repeats; ++r) {
        for (size_t i = 0; i < n; ++i) dst[r * n + i].index = loaded[i];
        if (s_.sample_concatenate_permutation) {
          std::shuffle(dst + r * n, dst + (r + 1) * n, sample_rng_);
        }
      }
      for (size_t i = 0; i < rem; ++i) dst[repeats * n + i].index = loaded[i];
    }
  } else {
    for (auto& q : *out) {
      const size_t k =
          s_.performance_issue_unique ? DrawUnique()
          : s_.performance_issue_same
              ? static_cast<size_t>(s_.performance_issue_same_index)
          : equal_issue_ ? DrawEqualIssue()
                         : DrawMain();
      q.index = loaded[k];
    }
  }
  *scheduled_ns = timestamp_ns_;
  ++generated_;
  prev_timestamp_ns_ = timestamp_ns_;
  if (is_server_) {
    timestamp_ns_ +=
        std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::duration<double>(exp_dist_(schedule_rng_)))
            .count();
  } else {
    timestamp_ns_ += period_ns_;
  }
  if (equal_issue_ && generated_ >= min_queries_ &&
      prev_timestamp_ns_ < gen_duration_ns_ && !is_offline) {
    min_queries_ += loaded.size();
  }
  if (ReferenceEnded() && accuracy_ && is_offline &&
      loaded.size() % samples_per_query_ != 0) {
    remainder_pending_ = true;
  }
  return true;
}

}  // namespace internal
}  // namespace mlperf
