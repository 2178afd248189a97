// query_generator.h: turns the seeds into loadable sets, sample choices and
// the schedule, drawing from std::mt19937 exactly as the reference LoadGen
// does (docs/design.md, "Same seeds, same query stream"), but lazily: each
// query is made when the issuer asks for it.
#ifndef LOADGEN_SRC_QUERY_GENERATOR_H_
#define LOADGEN_SRC_QUERY_GENERATOR_H_

#include <cstdint>
#include <random>
#include <vector>

#include "loadgen/query_sample.h"
#include "settings_internal.h"

namespace mlperf {
namespace internal {

// Samples loaded together. `set` includes the MultiStream padding (a copy of
// its first samples_per_query - 1 entries); `distribution_end` is the count
// without it.
struct LoadableSet {
  std::vector<QuerySampleIndex> set;
  size_t distribution_end = 0;
};

// Shuffles 0..min(count, qsl total)-1 with mt19937(qsl_rng_seed) and cuts the
// result into sets of performance_sample_count samples.
std::vector<LoadableSet> GenerateLoadableSets(const EffectiveSettings& s,
                                              uint64_t count);

class QueryGenerator {
 public:
  // `accuracy`: generate the accuracy-mode stream (every sample of `set` once).
  QueryGenerator(const EffectiveSettings& s, bool accuracy,
                 const LoadableSet& set);

  // Makes the next query: fills out->index for each of its samples (ids are
  // left for the caller) and its scheduled offset from the start of issuing.
  // Returns false at the end of the stream. The stream ends where the
  // reference's pre-generated list ends, except in SingleStream and
  // MultiStream performance runs, where it goes on (the issuer decides when
  // to stop) so a SUT faster than expected never runs out of queries.
  bool Next(std::vector<QuerySample>* out, int64_t* scheduled_ns);

  // How many queries Next has produced.
  uint64_t generated_queries() const { return generated_; }
  // Samples per query of this stream (Offline: the size of its query).
  uint64_t samples_per_query() const { return samples_per_query_; }
  // The running timestamp after the last query (the reference's
  // generated_query_duration).
  int64_t next_timestamp_ns() const { return timestamp_ns_; }

 private:
  size_t DrawMain();
  size_t DrawUnique();
  size_t DrawEqualIssue();
  bool ReferenceEnded() const;

  const EffectiveSettings& s_;
  const LoadableSet& loaded_;
  const bool accuracy_;
  const bool unbounded_;
  const bool is_server_;
  uint64_t samples_per_query_;
  int64_t gen_duration_ns_;
  uint64_t min_queries_;
  std::mt19937 sample_rng_;
  std::mt19937 schedule_rng_;
  std::vector<uint32_t> main_list_;  // accuracy mode: shuffled starts
  size_t main_pos_ = 0;
  std::uniform_int_distribution<int> main_dist_;
  std::vector<uint32_t> unique_list_;  // kept only when it is used
  size_t unique_pos_ = 0;
  std::vector<uint32_t> equal_list_;  // kept only when it is used
  size_t equal_pos_ = 0;
  bool equal_issue_;
  std::exponential_distribution<double> exp_dist_;
  int64_t period_ns_ = 0;
  int64_t timestamp_ns_ = 0;
  int64_t prev_timestamp_ns_ = 0;
  uint64_t generated_ = 0;
  bool remainder_pending_ = false;
};

}  // namespace internal
}  // namespace mlperf

#endif  // LOADGEN_SRC_QUERY_GENERATOR_H_
