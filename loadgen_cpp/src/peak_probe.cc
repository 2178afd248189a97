#include "peak_probe.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <sstream>

#include "early_stopping.h"

namespace mlperf {
namespace internal {

namespace {

// The rules' confidence, as in early_stopping.cc.
constexpr double kConfidence = 0.99;

std::string Percent(double p) {
  std::ostringstream os;
  os << p * 100;
  return os.str();
}

std::string Sci(double v) {
  std::ostringstream os;
  os.precision(3);
  os << v;
  return os.str();
}

}  // namespace

uint64_t FullProbeQueries(const EffectiveSettings& s, const LoadableSet& set) {
  QueryGenerator gen(s, /*accuracy=*/false, set);
  std::vector<QuerySample> q;
  int64_t sched = 0;
  uint64_t n = 0;
  while ((s.max_query_count == 0 || n < s.max_query_count) &&
         gen.Next(&q, &sched)) {
    ++n;
  }
  return n;
}

int64_t PeakProbeDecider::Allowance(uint64_t n, double p) {
  if (n == 0) return 0;
  // The verdict's rule (LatencySet::PercentileAtMost): the value at rank
  // floor(n p) is within the bound iff fewer than n - rank values exceed it.
  uint64_t rank = static_cast<uint64_t>(static_cast<double>(n) * p);
  if (rank >= n) rank = n - 1;
  return static_cast<int64_t>(n - rank) - 1;
}

PeakProbeDecider::PeakProbeDecider(const EffectiveSettings& s,
                                   uint64_t full_queries)
    : percentile_(s.target_latency_percentile),
      bound_ns_(s.target_latency_ns),
      full_queries_(std::max<uint64_t>(full_queries, 1)),
      allowance_(Allowance(full_queries_, percentile_)),
      min_statistical_(std::max<uint64_t>(
          1, static_cast<uint64_t>(
                 std::ceil(s.requested.server_find_peak_min_probe_fraction *
                           static_cast<double>(full_queries_))))),
      samples_per_query_(std::max<uint64_t>(1, s.samples_per_query)) {
  record_.target_qps = s.target_qps;
  record_.full_probe_queries = static_cast<int64_t>(full_queries_);
  snapshot_stride_ = std::max<uint64_t>(1, full_queries_ / 512);
  snapshots_.reserve(600);
}

bool PeakProbeDecider::KeepsUp(const Snapshot& then, const Snapshot& now,
                               int64_t first_ns, uint64_t full_queries,
                               int64_t bound_ns, int64_t spare,
                               std::string* why) {
  const double dt = static_cast<double>(now.now_ns - then.now_ns);
  const double elapsed = static_cast<double>(now.now_ns - first_ns);
  if (dt <= 0 || elapsed <= 0 || now.issued == 0) {
    *why = "no time has passed to measure the backlog's trend";
    return false;
  }
  const auto backlog = [](const Snapshot& x) {
    return static_cast<double>(x.issued - std::min(x.issued, x.completed));
  };
  const double b1 = backlog(now);
  const double b0 = backlog(then);
  const double drain = static_cast<double>(now.completed - then.completed) / dt;
  // The arrivals in the window are Poisson: their count's standard
  // deviation is its square root, so the growth is taken two of them high.
  const double noise =
      2.0 * std::sqrt(std::max(1.0, static_cast<double>(now.issued) -
                                        static_cast<double>(then.issued)));
  const double growth = (b1 - b0 + noise) / dt;  // queries per ns
  const double rate = static_cast<double>(now.issued) / elapsed;
  const double end = static_cast<double>(full_queries) / rate;
  const double at_bound = drain * static_cast<double>(bound_ns);
  const std::string trend = "the backlog went from " + Sci(b0) + " to " +
                            Sci(b1) + " queries in " + Sci(dt / 1e9) + " s (+" +
                            Sci(noise) + " for noise)";
  if (growth <= 0) {
    *why = trend + ": not growing";
    return true;
  }
  const double cross = elapsed + std::max(0.0, (at_bound - b1) / growth);
  const double after = std::max(0.0, (end - cross) * rate);
  *why = trend + "; at that pace latency reaches the bound (a backlog of " +
         Sci(at_bound) + ") " + Sci(cross / 1e9) +
         " s into the probe, leaving " + Sci(after) +
         " queries over the bound in the full probe, which allows " +
         std::to_string(spare) + " more";
  return after <= static_cast<double>(spare);
}

int64_t PeakProbeDecider::MinPassing(uint64_t overlatency) {
  if (overlatency >= min_passing_.size())
    min_passing_.resize(overlatency + 1, -1);
  int64_t& v = min_passing_[overlatency];
  if (v < 0)
    v = MinPassingQueries(static_cast<int64_t>(overlatency), percentile_);
  return v;
}

PeakProbeDecider::Snapshot PeakProbeDecider::HalfwaySnapshot(
    int64_t now_ns) const {
  const int64_t half = first_ns_ + (now_ns - first_ns_) / 2;
  auto it = std::upper_bound(
      snapshots_.begin(), snapshots_.end(), half,
      [](int64_t t, const Snapshot& x) { return t < x.now_ns; });
  if (it == snapshots_.begin()) return Snapshot{first_ns_, 0, 0};
  return *std::prev(it);
}

PeakProbeDecider::Verdict PeakProbeDecider::Check(
    const CompletionTracker& tracker, uint64_t issued, int64_t now_ns) {
  if (!usable_) return Verdict::kUndecided;
  if (!tracker.AdvanceDecided(&cursor_, now_ns, bound_ns_, &over_)) {
    usable_ = false;
    return Verdict::kUndecided;
  }
  return Judge(cursor_, over_, tracker.completed() / samples_per_query_, issued,
               now_ns);
}

PeakProbeDecider::Verdict PeakProbeDecider::Judge(uint64_t decided,
                                                  uint64_t over,
                                                  uint64_t completed,
                                                  uint64_t issued,
                                                  int64_t now_ns) {
  cursor_ = decided;
  over_ = over;
  if (first_ns_ < 0) first_ns_ = now_ns;
  const Snapshot here{now_ns, issued, std::min(completed, issued)};
  if (issued % snapshot_stride_ == 0) snapshots_.push_back(here);
  const auto decide = [&](bool pass, const std::string& reason) {
    record_.passed = pass;
    record_.decided_by = pass ? "pass" : "fail";
    record_.reason = reason;
    record_.decided_queries = static_cast<int64_t>(cursor_);
    record_.overlatency_queries = static_cast<int64_t>(over_);
    return pass ? Verdict::kPass : Verdict::kFail;
  };
  const std::string pct = Percent(percentile_);

  // FAIL, certain: no continuation can bring the count back.
  if (static_cast<int64_t>(over_) > allowance_) {
    return decide(false, std::to_string(over_) +
                             " queries over the latency bound (completed "
                             "over it, or outstanding past it); a full probe "
                             "of " +
                             std::to_string(full_queries_) +
                             " queries allows at most " +
                             std::to_string(allowance_) + " at the " + pct +
                             "th percentile");
  }
  if (issued < min_statistical_) return Verdict::kUndecided;

  // PASS: early stopping certifies the percentile even if every query not
  // yet decided ends over the bound. MinPassing(k) + k > k / (1 - p), so
  // counts below that need no evaluation.
  const uint64_t undecided = issued - std::min(issued, cursor_);
  const uint64_t k = over_ + undecided;
  if (static_cast<double>(issued) * (1.0 - percentile_) >
      static_cast<double>(k)) {
    const int64_t needed = MinPassing(k) + static_cast<int64_t>(k);
    std::string trend;
    if (static_cast<int64_t>(issued) >= needed &&
        KeepsUp(HalfwaySnapshot(now_ns), here, first_ns_, full_queries_,
                bound_ns_, allowance_ - static_cast<int64_t>(over_), &trend)) {
      return decide(
          true, "early stopping certifies the " + pct + "th percentile with " +
                    std::to_string(issued) + " queries issued and at most " +
                    std::to_string(k) + " over the bound (" +
                    std::to_string(over_) + " over, " +
                    std::to_string(undecided) + " not decided yet; " +
                    std::to_string(needed) +
                    " queries are needed), and the SUT keeps up: " + trend);
    }
  }

  // FAIL, binomial: P[X >= t] only grows with n for a fixed t, so the test
  // can only newly succeed when t has grown.
  if ((!binomial_tested_ || over_ > last_binomial_over_) && over_ > 0 &&
      static_cast<double>(over_) >
          static_cast<double>(cursor_) * (1.0 - percentile_)) {
    binomial_tested_ = true;
    last_binomial_over_ = over_;
    const double tail =
        1.0 - BinomialCdf(static_cast<int64_t>(over_) - 1,
                          static_cast<int64_t>(cursor_), 1.0 - percentile_);
    if (tail < 1.0 - kConfidence) {
      return decide(
          false, std::to_string(over_) + " of " + std::to_string(cursor_) +
                     " decided queries over the latency bound: "
                     "P[X >= " +
                     std::to_string(over_) + "] = " + Sci(tail) +
                     " < 0.01 for X ~ Binomial(" + std::to_string(cursor_) +
                     ", " + Percent(1.0 - percentile_) + "%), so the " + pct +
                     "th percentile is over the bound with 99% "
                     "confidence");
    }
  }
  return Verdict::kUndecided;
}

}  // namespace internal
}  // namespace mlperf
