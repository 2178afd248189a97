// The verdict rules of a FindPeakPerformance probe (peak_probe.h) on
// hand-computed cases: FAIL once the full probe's allowance is exceeded,
// PASS once early stopping certifies the percentile and the backlog is not
// heading over the bound, FAIL once the binomial tail is below 1%.
#include "peak_probe.h"

#include <gtest/gtest.h>

#include <string>

namespace mlperf {
namespace internal {
namespace {

using Verdict = PeakProbeDecider::Verdict;
constexpr int64_t kSecond = 1000000000;

EffectiveSettings Probe(double percentile, double min_fraction) {
  EffectiveSettings s;
  s.scenario = TestScenario::Server;
  s.target_qps = 100;
  // A bound far beyond the probe: the backlog test of PASS never objects
  // (tests of that test set their own bound).
  s.target_latency_ns = 1000 * kSecond;
  s.target_latency_percentile = percentile;
  s.requested.server_find_peak_min_probe_fraction = min_fraction;
  return s;
}

TEST(PeakProbe, AllowanceIsTheNearestRankSlack) {
  // 100 queries at the 90th percentile: rank 90, so 10 over the bound put
  // the value at rank 90 over it; 9 do not.
  EXPECT_EQ(PeakProbeDecider::Allowance(100, 0.9), 9);
  EXPECT_EQ(PeakProbeDecider::Allowance(100, 0.99), 0);
  EXPECT_EQ(PeakProbeDecider::Allowance(1000, 0.99), 9);
  EXPECT_EQ(PeakProbeDecider::Allowance(1, 0.99), 0);
}

TEST(PeakProbe, FailsForCertainPastTheAllowanceAtAnyTime) {
  // A full probe of 100 at p90 allows 9; the statistical rules wait for 50
  // issued queries, the certain FAIL does not.
  PeakProbeDecider d(Probe(0.9, 0.5), 100);
  EXPECT_EQ(d.Judge(9, 9, 9, 12, kSecond / 10), Verdict::kUndecided);
  EXPECT_EQ(d.Judge(10, 10, 10, 13, kSecond / 5), Verdict::kFail);
  EXPECT_EQ(d.record().decided_by, "fail");
  EXPECT_FALSE(d.record().passed);
  EXPECT_EQ(d.record().overlatency_queries, 10);
  EXPECT_NE(d.record().reason.find("allows at most 9"), std::string::npos)
      << d.record().reason;
}

TEST(PeakProbe, PassesOnceEarlyStoppingCertifiesThePercentile) {
  // p90, confidence 0.99, none over: 0.9^43 = 0.0108 >= 0.01 but
  // 0.9^44 = 0.0097 < 0.01, so 44 queries pass and 43 do not. The backlog
  // stays at 0 (each query decided when issued).
  PeakProbeDecider d(Probe(0.9, 0.0), 1000);
  for (uint64_t q = 1; q <= 43; ++q) {
    ASSERT_EQ(d.Judge(q, 0, q, q, static_cast<int64_t>(q) * kSecond / 100),
              Verdict::kUndecided)
        << q;
  }
  EXPECT_EQ(d.Judge(44, 0, 44, 44, 44 * kSecond / 100), Verdict::kPass);
  EXPECT_TRUE(d.record().passed);
  EXPECT_EQ(d.record().decided_by, "pass");
  EXPECT_EQ(d.record().decided_queries, 44);
}

TEST(PeakProbe, UndecidedQueriesCountAsOverForPass) {
  // 44 issued with 1 not decided yet: k = 1, and MinPassing(1) + 1 at p90
  // is above 44 (0.9^44 + 44 * 0.1 * 0.9^43 = 0.057), so no PASS.
  PeakProbeDecider d(Probe(0.9, 0.0), 1000);
  EXPECT_EQ(d.Judge(43, 0, 43, 44, 44 * kSecond / 100), Verdict::kUndecided);
}

TEST(PeakProbe, PassWaitsForTheMinimumShareOfTheProbe) {
  // The same 44 clean queries, but a quarter of 1000 must be issued first.
  PeakProbeDecider d(Probe(0.9, 0.25), 1000);
  EXPECT_EQ(d.Judge(44, 0, 44, 44, 44 * kSecond / 100), Verdict::kUndecided);
  EXPECT_EQ(d.Judge(249, 0, 249, 249, 249 * kSecond / 100),
            Verdict::kUndecided);
  EXPECT_EQ(d.Judge(250, 0, 250, 250, 250 * kSecond / 100), Verdict::kPass);
}

TEST(PeakProbe, FailsByTheBinomialBound) {
  // p90 (1 - p = 0.1), 10 decided. X ~ Binomial(10, 0.1):
  // P[X >= 4] = 1 - (0.3487 + 0.3874 + 0.1937 + 0.0574) = 0.0128 >= 0.01;
  // P[X >= 5] = 0.0128 - 0.0112 = 0.0016 < 0.01. A full probe of 1000
  // allows 99, so the certain rule is far off.
  PeakProbeDecider d(Probe(0.9, 0.0), 1000);
  EXPECT_EQ(d.Judge(10, 4, 10, 12, kSecond / 10), Verdict::kUndecided);
  EXPECT_EQ(d.Judge(10, 5, 10, 12, kSecond / 10), Verdict::kFail);
  EXPECT_EQ(d.record().decided_by, "fail");
  EXPECT_NE(d.record().reason.find("Binomial(10, 10%)"), std::string::npos)
      << d.record().reason;
}

TEST(PeakProbe, KeepsUpProjectsTheBacklog) {
  using S = PeakProbeDecider::Snapshot;
  std::string why;
  // 100 queries/s issued, 80/s completed: the backlog grows 10 -> 30 in 1 s,
  // taken 2 sqrt(100) = 20 high for the arrivals' noise: 40/s. At the bound
  // (0.5 s) the backlog would be 80 x 0.5 = 40, reached at
  // 2 + (40 - 30) / 40 = 2.25 s; the full probe of 1000 ends at 10 s, so
  // 7.75 s x 100/s = 775 queries would be over the bound.
  const S then{kSecond, 100, 90};
  const S now{2 * kSecond, 200, 170};
  EXPECT_FALSE(
      PeakProbeDecider::KeepsUp(then, now, 0, 1000, kSecond / 2, 774, &why));
  EXPECT_NE(why.find("775"), std::string::npos) << why;
  EXPECT_TRUE(
      PeakProbeDecider::KeepsUp(then, now, 0, 1000, kSecond / 2, 775, &why));
  // A backlog steady at 10 still grows 20/s with the noise: at 100/s
  // drained the bound is a backlog of 50, reached at 2 + 40 / 20 = 4 s,
  // leaving 600 queries.
  const S steady{2 * kSecond, 200, 190};
  EXPECT_FALSE(
      PeakProbeDecider::KeepsUp(then, steady, 0, 1000, kSecond / 2, 599, &why));
  EXPECT_TRUE(
      PeakProbeDecider::KeepsUp(then, steady, 0, 1000, kSecond / 2, 600, &why));
  // A backlog that fell from 50 to 10 (-40 + 20 for noise) is not growing.
  EXPECT_TRUE(PeakProbeDecider::KeepsUp(S{kSecond, 100, 50}, steady, 0, 1000,
                                        kSecond / 2, 0, &why));
  EXPECT_NE(why.find("not growing"), std::string::npos) << why;
}

TEST(PeakProbe, ABacklogAtTheBoundBlocksPass) {
  // 250 of 1000 issued at p90 in 2.5 s, 240 completed and none over: k = 10
  // and MinPassing(10) + 10 <= 250, so early stopping alone would pass. At
  // half time (1.25 s) the backlog was 2. With a 100 ms bound the SUT's
  // 93.6 queries/s drained put latency at the bound with a backlog of 9.36:
  // the 10 outstanding are there already, so the rest of the full probe
  // would be over it. With a bound of 1000 s the same counts pass.
  // (The statistical rules wait for 250 queries: a quarter of the probe.)
  EffectiveSettings s = Probe(0.9, 0.25);
  for (const int64_t bound : {kSecond / 10, 1000 * kSecond}) {
    s.target_latency_ns = bound;
    PeakProbeDecider d(s, 1000);
    EXPECT_EQ(d.Judge(0, 0, 0, 0, 0), Verdict::kUndecided);
    EXPECT_EQ(d.Judge(123, 0, 123, 125, 125 * kSecond / 100),
              Verdict::kUndecided);
    EXPECT_EQ(d.Judge(240, 0, 240, 250, 250 * kSecond / 100),
              bound == kSecond / 10 ? Verdict::kUndecided : Verdict::kPass)
        << bound;
  }
}

}  // namespace
}  // namespace internal
}  // namespace mlperf
