// early_stopping.h: the early-stopping criterion of MLPerf Inference (v2.0+).
//
// Model: each query independently meets its latency bound with probability s.
// A run with t over-latency and h under-latency queries is accepted at
// percentile p when a system that only just fails (s = p - tolerance) would
// look at least this good with probability below 1 - confidence, i.e.
//   P[X <= t] < 1 - confidence,  X ~ Binomial(h + t, 1 - (p - tolerance)),
// which is the regularized incomplete beta I_{p-tolerance}(h, t + 1).
//
//   auto es = mlperf::internal::ComputeClosedLoopEarlyStopping(1024, 0.90);
//   // es.ok, es.t == 80: report sorted_latencies[es.estimate_index].
//
// Every function here is pure: no shared state, callable from any thread.
// Cost: MinPassingQueries does O(log n) binomial-tail evaluations of
// O(sqrt(t) + 1) terms each; the Compute* functions add an O(log n) search.
#ifndef LOADGEN_SRC_EARLY_STOPPING_H_
#define LOADGEN_SRC_EARLY_STOPPING_H_

#include <cstdint>

namespace mlperf {
namespace internal {

// Largest query or over-latency count accepted. Far above any real run; it
// keeps every count exactly representable as a double and bounds the cost of
// one call (a tail sum of O(sqrt(count)) terms).
inline constexpr int64_t kEarlyStoppingMaxQueries = int64_t{1} << 40;

// P[X <= at_most] for X ~ Binomial(trials, probability), in double precision
// (relative error around 1e-13 where the result is not tiny). Exposed for
// tests and diagnostics. Sums O(sqrt(trials * p * (1 - p))) terms.
// Throws std::invalid_argument if trials < 0, trials > 2^53 (where counts
// stop being exact doubles) or probability is outside [0, 1].
double BinomialCdf(int64_t at_most, int64_t trials, double probability);

// MinPassing(t): the smallest number h of under-latency queries such that, with
// t over-latency queries, P[X <= t] < 1 - confidence where
// X ~ Binomial(h + t, 1 - (percentile - tolerance)); i.e. I_{p-d}(h, t+1) <
// 1-c. percentile in (0,1), tolerance >= 0 and < percentile, confidence in
// (0,1), 0 <= t <= kEarlyStoppingMaxQueries; otherwise std::invalid_argument
// naming the argument. Throws std::overflow_error if the answer would exceed
// 2^53, which takes percentile - tolerance within roughly (overlatency + 5) *
// 1e-16 of 1.
int64_t MinPassingQueries(int64_t overlatency, double percentile,
                          double tolerance = 0.0, double confidence = 0.99);

// Early stopping for closed-loop scenarios (SingleStream, MultiStream) where
// there is no latency bound: with n queries, find the largest t such that
// MinPassing(t) + t <= n (starting from t = 1). If n < MinPassing(1) + 1 it
// fails. Uses confidence 0.99 and tolerance 0, as the rules do.
struct ClosedLoopEarlyStopping {
  bool ok = false;          // n >= min_queries
  int64_t min_queries = 0;  // MinPassing(1) + 1 (64 for p=0.90, 662 for p=0.99)
  int64_t t = 0;            // when ok: largest t as above (>= 1)
  int64_t estimate_index =
      0;  // when ok: n - t, index into ascending-sorted latencies
};
// queries == 0 gives ok = false. Throws std::invalid_argument if queries < 0,
// queries > kEarlyStoppingMaxQueries or percentile is outside (0, 1).
ClosedLoopEarlyStopping ComputeClosedLoopEarlyStopping(int64_t queries,
                                                       double percentile);

// Early stopping for Server with a latency bound: `overlatency` = number of
// queries with latency strictly greater than the bound; success iff
// queries >= MinPassing(t) + t. Confidence 0.99, tolerance 0.
struct ServerEarlyStopping {
  bool ok = false;
  int64_t overlatency = 0;
  int64_t min_passing = 0;          // MinPassing(overlatency)
  int64_t more_queries_needed = 0;  // when !ok: MinPassing(t) + t - queries
};
// Throws std::invalid_argument unless 0 <= overlatency <= queries <=
// kEarlyStoppingMaxQueries and percentile is in (0, 1).
ServerEarlyStopping ComputeServerEarlyStopping(int64_t queries,
                                               int64_t overlatency,
                                               double percentile);

}  // namespace internal
}  // namespace mlperf

#endif  // LOADGEN_SRC_EARLY_STOPPING_H_
