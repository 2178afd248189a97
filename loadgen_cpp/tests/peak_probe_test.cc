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
  s.target_latency_ns = kSecond / 2;
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
  EXPECT_EQ(d.Judge(9, 9, 12, kSecond / 10), Verdict::kUndecided);
  EXPECT_EQ(d.Judge(10, 10, 13, kSecond / 5), Verdict::kFail);
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
    ASSERT_EQ(d.Judge(q, 0, q, static_cast<int64_t>(q) * kSecond / 100),
              Verdict::kUndecided)
        << q;
  }
  EXPECT_EQ(d.Judge(44, 0, 44, 44 * kSecond / 100), Verdict::kPass);
  EXPECT_TRUE(d.record().passed);
  EXPECT_EQ(d.record().decided_by, "pass");
  EXPECT_EQ(d.record().decided_queries, 44);
}

TEST(PeakProbe, UndecidedQueriesCountAsOverForPass) {
  // 44 issued with 1 not decided yet: k = 1, and MinPassing(1) + 1 at p90
  // is above 44 (0.9^44 + 44 * 0.1 * 0.9^43 = 0.057), so no PASS.
  PeakProbeDecider d(Probe(0.9, 0.0), 1000);
  EXPECT_EQ(d.Judge(43, 0, 44, 44 * kSecond / 100), Verdict::kUndecided);
}

TEST(PeakProbe, PassWaitsForTheMinimumShareOfTheProbe) {
  // The same 44 clean queries, but a quarter of 1000 must be issued first.
  PeakProbeDecider d(Probe(0.9, 0.25), 1000);
  EXPECT_EQ(d.Judge(44, 0, 44, 44 * kSecond / 100), Verdict::kUndecided);
  EXPECT_EQ(d.Judge(249, 0, 249, 249 * kSecond / 100), Verdict::kUndecided);
  EXPECT_EQ(d.Judge(250, 0, 250, 250 * kSecond / 100), Verdict::kPass);
}

TEST(PeakProbe, FailsByTheBinomialBound) {
  // p90 (1 - p = 0.1), 10 decided. X ~ Binomial(10, 0.1):
  // P[X >= 4] = 1 - (0.3487 + 0.3874 + 0.1937 + 0.0574) = 0.0128 >= 0.01;
  // P[X >= 5] = 0.0128 - 0.0112 = 0.0016 < 0.01. A full probe of 1000
  // allows 99, so the certain rule is far off.
  PeakProbeDecider d(Probe(0.9, 0.0), 1000);
  EXPECT_EQ(d.Judge(10, 4, 12, kSecond / 10), Verdict::kUndecided);
  EXPECT_EQ(d.Judge(10, 5, 12, kSecond / 10), Verdict::kFail);
  EXPECT_EQ(d.record().decided_by, "fail");
  EXPECT_NE(d.record().reason.find("Binomial(10, 10%)"), std::string::npos)
      << d.record().reason;
}

TEST(PeakProbe, KeepsUpProjectsTheBacklog) {
  using S = PeakProbeDecider::Snapshot;
  std::string why;
  // 100 queries/s issued, 80/s decided: the backlog grows 10 -> 30 in 1 s
  // (20/s). At the bound (0.5 s) the backlog would be 80 x 0.5 = 40, reached
  // at 2 + (40 - 30) / 20 = 2.5 s; the full probe of 1000 ends at 10 s, so
  // 7.5 s x 100/s = 750 queries would be over the bound.
  const S then{kSecond, 100, 90};
  const S now{2 * kSecond, 200, 170};
  EXPECT_FALSE(
      PeakProbeDecider::KeepsUp(then, now, 0, 1000, kSecond / 2, 749, &why));
  EXPECT_NE(why.find("750"), std::string::npos) << why;
  EXPECT_TRUE(
      PeakProbeDecider::KeepsUp(then, now, 0, 1000, kSecond / 2, 750, &why));
  // A backlog that stays at 10 keeps up whatever the allowance.
  EXPECT_TRUE(PeakProbeDecider::KeepsUp(then, S{2 * kSecond, 200, 190}, 0, 1000,
                                        kSecond / 2, 0, &why));
  EXPECT_NE(why.find("not growing"), std::string::npos) << why;
}

TEST(PeakProbe, AGrowingBacklogBlocksPass) {
  // 250 of 1000 issued at p90 with 10 outstanding: k = 10 and
  // MinPassing(10) + 10 <= 250, so early stopping alone would pass. With a
  // 100 ms bound, 96 queries/s drained put latency at the bound with a
  // backlog of 9.6: the backlog that grew from 0 to 10 is there already, so
  // most of the full probe would be over it. A backlog that was 10 at half
  // time too is not growing, and passes.
  EffectiveSettings s = Probe(0.9, 0.0);
  s.target_latency_ns = kSecond / 10;
  PeakProbeDecider growing(s, 1000);
  EXPECT_EQ(growing.Judge(0, 0, 0, 0), Verdict::kUndecided);
  EXPECT_EQ(growing.Judge(240, 0, 250, 250 * kSecond / 100),
            Verdict::kUndecided);
  PeakProbeDecider steady(s, 1000);
  EXPECT_EQ(steady.Judge(0, 0, 0, 0), Verdict::kUndecided);
  EXPECT_EQ(steady.Judge(115, 0, 125, 125 * kSecond / 100),
            Verdict::kUndecided);
  EXPECT_EQ(steady.Judge(240, 0, 250, 250 * kSecond / 100), Verdict::kPass);
  EXPECT_NE(steady.record().reason.find("not growing"), std::string::npos)
      << steady.record().reason;
}

}  // namespace
}  // namespace internal
}  // namespace mlperf
