// Tests for early_stopping.h. Expected integers come from the test vectors in
// the project's rules digest (spec/mlperf-rules.md, section 4), which were
// produced by the reference implementation and cross-checked against scipy.
#include "early_stopping.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace mlperf {
namespace internal {
namespace {

// P[X <= k] by summing every mass in long double from lgamma: slow and
// cancellation-prone for large n, but independent of the implementation and
// accurate for the small n used here.
long double NaiveBinomialCdf(int64_t k, int64_t n, long double p) {
  long double sum = 0;
  for (int64_t i = 0; i <= k && i <= n; ++i) {
    const long double log_mass =
        std::lgamma(static_cast<long double>(n + 1)) -
        std::lgamma(static_cast<long double>(i + 1)) -
        std::lgamma(static_cast<long double>(n - i + 1)) + i * std::log(p) +
        (n - i) * std::log1p(-p);
    sum += std::exp(log_mass);
  }
  return sum;
}

// MinPassing(t) + t for t = 0 .. first value above max_total, by calling
// MinPassingQueries once per t.
std::vector<int64_t> MinTotals(double percentile, int64_t max_total) {
  std::vector<int64_t> totals;
  for (int64_t t = 0;; ++t) {
    totals.push_back(MinPassingQueries(t, percentile) + t);
    if (totals.back() > max_total) return totals;
  }
}

// The reference's linear walk: fail below MinPassing(1) + 1, else walk
// t = 2, 3, ... until queries < MinPassing(t) + t and report t - 1.
// Returns 0 for a failure. `totals` must run past `queries`.
int64_t LinearWalkT(const std::vector<int64_t>& totals, int64_t queries) {
  if (queries < totals[1]) return 0;
  int64_t t = 2;
  while (queries >= totals[t]) ++t;
  return t - 1;
}

struct TableRow {
  double percentile;
  std::vector<int64_t> min_passing;  // at kTableT
};
const std::vector<int64_t> kTableT = {0, 1, 2, 3, 5, 10, 20, 50, 100, 1000};

TEST(MinPassingQueriesTest, MatchesEveryRulesTableEntry) {
  const std::vector<TableRow> rows = {
      {0.90, {44, 63, 79, 94, 122, 187, 305, 631, 1146, 9722}},
      {0.95, {90, 129, 163, 195, 254, 388, 636, 1322, 2404, 20483}},
      {0.97, {152, 218, 275, 329, 428, 657, 1077, 2243, 4082, 34831}},
      {0.99, {459, 661, 836, 998, 1302, 2000, 3284, 6848, 12471, 106569}},
      {0.999,
       {4603, 6635, 8401, 10039, 13100, 20130, 33077, 69008, 125726, 1075032}},
  };
  for (const TableRow& row : rows) {
    for (size_t i = 0; i < kTableT.size(); ++i) {
      EXPECT_EQ(MinPassingQueries(kTableT[i], row.percentile),
                row.min_passing[i])
          << "p = " << row.percentile << ", t = " << kTableT[i];
    }
  }
}

TEST(MinPassingQueriesTest, EqualsLinearScanOverHWithTheSameCdf) {
  for (double percentile : {0.5, 0.9, 0.99}) {
    for (int64_t t = 0; t <= 25; ++t) {
      int64_t h = 0;
      while (BinomialCdf(t, h + t, 1.0 - percentile) >= 0.01) ++h;
      EXPECT_EQ(MinPassingQueries(t, percentile), h)
          << "p = " << percentile << ", t = " << t;
    }
  }
}

TEST(MinPassingQueriesTest, HonoursToleranceAndConfidence) {
  // Tolerance d only shifts the success probability to p - d.
  EXPECT_EQ(MinPassingQueries(10, 0.95, 0.05), MinPassingQueries(10, 0.90));
  // Lower confidence needs fewer passing queries; t = 0 has the closed form
  // smallest h with 0.9^h < 0.1, i.e. h = 22.
  EXPECT_EQ(MinPassingQueries(0, 0.9, 0.0, 0.9), 22);
  EXPECT_LT(MinPassingQueries(10, 0.9, 0.0, 0.9), MinPassingQueries(10, 0.9));
  // Confidence below 1/2 must still give the smallest passing h.
  for (int64_t t : {1, 7, 40}) {
    int64_t h = 0;
    while (BinomialCdf(t, h + t, 0.1) >= 0.7) ++h;
    EXPECT_EQ(MinPassingQueries(t, 0.9, 0.0, 0.3), h) << "t = " << t;
  }
}

TEST(MinPassingQueriesTest, IsNondecreasingInOverlatency) {
  int64_t previous = 0;
  for (int64_t t = 0; t <= 400; ++t) {
    const int64_t h = MinPassingQueries(t, 0.999);
    EXPECT_GE(h, previous) << "t = " << t;
    previous = h;
  }
}

TEST(MinPassingQueriesTest, HandlesTheLargestOverlatency) {
  const int64_t t = kEarlyStoppingMaxQueries;
  const int64_t h = MinPassingQueries(t, 0.9);
  // h / (h + t) must sit just above 0.9: by about 2.3 standard deviations.
  const double fraction = static_cast<double>(h) / static_cast<double>(h + t);
  EXPECT_GT(fraction, 0.9);
  EXPECT_LT(fraction, 0.9 + 1e-5);
}

TEST(MinPassingQueriesTest, PercentileNearOneIsFiniteOrOverflowError) {
  // 1 - 1e-15: h = smallest h with (1 - 1e-15)^h < 0.01, about 4.6e15.
  const int64_t h0 = MinPassingQueries(0, 1.0 - 1e-15);
  EXPECT_NEAR(static_cast<double>(h0), -std::log(0.01) / 1e-15, 1e13);
  // With 100 failures the answer is ~1e17, past 2^53: refused, not wrong.
  EXPECT_THROW(MinPassingQueries(100, 1.0 - 1e-15), std::overflow_error);
}

TEST(MinPassingQueriesTest, RejectsInvalidArgumentsNamingThem) {
  const auto message = [](auto&& call) -> std::string {
    try {
      call();
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "no exception";
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_NE(message([] { MinPassingQueries(-1, 0.9); }).find("overlatency"),
            std::string::npos);
  EXPECT_NE(message([] {
              MinPassingQueries(kEarlyStoppingMaxQueries + 1, 0.9);
            }).find("overlatency"),
            std::string::npos);
  for (double bad : {0.0, 1.0, -0.5, 1.5, nan}) {
    const std::string what = message([&] { MinPassingQueries(1, bad); });
    EXPECT_NE(what.find("percentile"), std::string::npos) << what;
  }
  EXPECT_NE(message([] { MinPassingQueries(1, 1.5); }).find("1.5"),
            std::string::npos);
  for (double bad : {-0.01, 0.9, 0.95, nan}) {
    const std::string what = message([&] { MinPassingQueries(1, 0.9, bad); });
    EXPECT_NE(what.find("tolerance"), std::string::npos) << what;
  }
  for (double bad : {0.0, 1.0, nan}) {
    const std::string what =
        message([&] { MinPassingQueries(1, 0.9, 0.0, bad); });
    EXPECT_NE(what.find("confidence"), std::string::npos) << what;
  }
}

TEST(BinomialCdfTest, MatchesRulesCheckValues) {
  // I_0.99(661, 2) = P[Binomial(662, 0.01) <= 1], and I_0.99(660, 2).
  EXPECT_NEAR(BinomialCdf(1, 662, 0.01), 0.0099140, 5e-8);
  EXPECT_NEAR(BinomialCdf(1, 661, 0.01), 0.0100010, 5e-8);
}

TEST(BinomialCdfTest, MatchesNaiveSumForSmallTrials) {
  for (int64_t n : {1, 2, 7, 30, 100, 400}) {
    for (double p : {0.001, 0.01, 0.1, 0.5, 0.9, 0.999}) {
      for (int64_t k = 0; k <= n; k += (n > 40 ? 7 : 1)) {
        const long double expected = NaiveBinomialCdf(k, n, p);
        const double actual = BinomialCdf(k, n, p);
        if (expected < 1e-300L) continue;  // below double's range
        EXPECT_NEAR(actual / static_cast<double>(expected), 1.0, 1e-11)
            << "k = " << k << ", n = " << n << ", p = " << p;
      }
    }
  }
}

TEST(BinomialCdfTest, HandlesDegenerateArguments) {
  EXPECT_EQ(BinomialCdf(-1, 10, 0.5), 0.0);
  EXPECT_EQ(BinomialCdf(10, 10, 0.5), 1.0);
  EXPECT_EQ(BinomialCdf(0, 0, 0.5), 1.0);
  EXPECT_EQ(BinomialCdf(3, 10, 0.0), 1.0);
  EXPECT_EQ(BinomialCdf(3, 10, 1.0), 0.0);
  EXPECT_THROW(BinomialCdf(3, -1, 0.5), std::invalid_argument);
  EXPECT_THROW(BinomialCdf(3, 10, 1.5), std::invalid_argument);
}

TEST(BinomialCdfTest, MatchesFortyDigitReferenceForLargeTrials) {
  // References: the same tail summed in 40-digit arithmetic (mpmath, top
  // mass from loggamma) for the same double probabilities, rounded to 20
  // digits. Near-threshold values as MinPassing sees them, up to 1e7 trials.
  struct Case {
    int64_t at_most;
    int64_t trials;
    double probability;
    double expected;
  };
  const std::vector<Case> cases = {
      {1, 662, 0.01, 0.0099139856454593692013},
      {1, 661, 0.01, 0.010000967746517899885},
      {1000, 10722, 0.1, 0.0099739174997248815469},
      {50, 6898, 0.01, 0.0099745083596106794207},
      {1000, 1076032, 0.001, 0.009999649328823159895},
      {249000, 2500000, 0.1, 0.017511174715046134995},
      {99400, 10000000, 0.01, 0.028279355063164192743},
  };
  for (const Case& c : cases) {
    EXPECT_NEAR(BinomialCdf(c.at_most, c.trials, c.probability) / c.expected,
                1.0, 1e-12)
        << "k = " << c.at_most << ", n = " << c.trials;
  }
}

TEST(BinomialCdfTest, TailsSummedFromEitherEndAgree) {
  // P[X <= k] for p equals 1 - P[Y <= n - k - 1] for Y with 1 - p; below
  // the mean the first is a lower-tail sum and the second an upper-tail one.
  // (k stays within ~3 sd of the mean so 1 - (...) keeps its digits.)
  const int64_t n = 10'000'000;
  for (int64_t k : {99'000, 99'400, 99'999, 100'300}) {
    const double direct = BinomialCdf(k, n, 0.01);
    const double mirrored = 1.0 - BinomialCdf(n - k - 1, n, 0.99);
    EXPECT_NEAR(direct / mirrored, 1.0, 1e-9) << "k = " << k;
  }
}

struct ClosedLoopCase {
  int64_t queries;
  int64_t t;  // 0: fails
};

void ExpectClosedLoop(double percentile,
                      const std::vector<ClosedLoopCase>& cases) {
  for (const ClosedLoopCase& c : cases) {
    const ClosedLoopEarlyStopping es =
        ComputeClosedLoopEarlyStopping(c.queries, percentile);
    if (c.t == 0) {
      EXPECT_FALSE(es.ok) << "p = " << percentile << ", n = " << c.queries;
    } else {
      EXPECT_TRUE(es.ok) << "p = " << percentile << ", n = " << c.queries;
      EXPECT_EQ(es.t, c.t) << "p = " << percentile << ", n = " << c.queries;
      EXPECT_EQ(es.estimate_index, c.queries - c.t);
    }
  }
}

TEST(ClosedLoopEarlyStoppingTest, MatchesRulesVectorsAtP90) {
  EXPECT_EQ(ComputeClosedLoopEarlyStopping(1, 0.90).min_queries, 64);
  ExpectClosedLoop(0.90, {{63, 0},
                          {64, 1},
                          {100, 3},
                          {459, 31},
                          {662, 48},
                          {1000, 78},
                          {1024, 80},
                          {10000, 930},
                          {24576, 2348},
                          {100000, 9779},
                          {270336, 26670}});
}

TEST(ClosedLoopEarlyStoppingTest, MatchesRulesVectorsAtP99) {
  EXPECT_EQ(ComputeClosedLoopEarlyStopping(1, 0.99).min_queries, 662);
  ExpectClosedLoop(0.99, {{661, 0},
                          {662, 1},
                          {1000, 2},
                          {1024, 3},
                          {10000, 77},
                          {24576, 209},
                          {100000, 927},
                          {270336, 2583}});
}

TEST(ClosedLoopEarlyStoppingTest, MatchesRulesVectorsAtP999) {
  EXPECT_EQ(ComputeClosedLoopEarlyStopping(1, 0.999).min_queries, 6636);
  ExpectClosedLoop(0.999, {{6635, 0},
                           {6636, 1},
                           {10000, 2},
                           {24576, 13},
                           {100000, 77},
                           {270336, 232}});
}

TEST(ClosedLoopEarlyStoppingTest, EstimateForLatencies1To1024IsIndex944) {
  // Rules example: latencies 1..1024 ns at p90 report sorted[944] = 945 ns.
  const ClosedLoopEarlyStopping es = ComputeClosedLoopEarlyStopping(1024, 0.9);
  ASSERT_TRUE(es.ok);
  EXPECT_EQ(es.estimate_index, 944);
}

TEST(ClosedLoopEarlyStoppingTest, EqualsLinearWalkForEveryQueryCountTo3000) {
  const std::vector<int64_t> totals = MinTotals(0.9, 3000);
  for (int64_t n = 1; n <= 3000; ++n) {
    const ClosedLoopEarlyStopping es = ComputeClosedLoopEarlyStopping(n, 0.9);
    const int64_t expected_t = LinearWalkT(totals, n);
    EXPECT_EQ(es.ok, expected_t > 0) << "n = " << n;
    EXPECT_EQ(es.min_queries, totals[1]) << "n = " << n;
    if (expected_t > 0) {
      EXPECT_EQ(es.t, expected_t) << "n = " << n;
      EXPECT_EQ(es.estimate_index, n - expected_t) << "n = " << n;
    }
  }
}

TEST(ClosedLoopEarlyStoppingTest, EqualsLinearWalkForSampledCountsAtP99) {
  const int64_t max_n = 60000;
  const std::vector<int64_t> totals = MinTotals(0.99, max_n);
  std::vector<int64_t> samples;
  for (int64_t n = 1; n <= max_n; n += 97) samples.push_back(n);
  // The boundaries, where an off-by-one would show.
  for (size_t t = 1; t < totals.size() && totals[t] <= max_n; ++t) {
    samples.push_back(totals[t] - 1);
    samples.push_back(totals[t]);
  }
  for (int64_t n : samples) {
    const ClosedLoopEarlyStopping es = ComputeClosedLoopEarlyStopping(n, 0.99);
    const int64_t expected_t = LinearWalkT(totals, n);
    EXPECT_EQ(es.ok, expected_t > 0) << "n = " << n;
    if (expected_t > 0) EXPECT_EQ(es.t, expected_t) << "n = " << n;
  }
}

void ExpectPlausibleForLargeRun(int64_t queries, double percentile) {
  const ClosedLoopEarlyStopping es =
      ComputeClosedLoopEarlyStopping(queries, percentile);
  ASSERT_TRUE(es.ok);
  const double fraction =
      static_cast<double>(es.t) / static_cast<double>(queries);
  EXPECT_NEAR(fraction, 1.0 - percentile, 0.01 * (1.0 - percentile));
  // The defining property, checked directly at t and t + 1.
  EXPECT_LE(MinPassingQueries(es.t, percentile) + es.t, queries);
  EXPECT_GT(MinPassingQueries(es.t + 1, percentile) + es.t + 1, queries);
  EXPECT_EQ(es.estimate_index, queries - es.t);
}

TEST(ClosedLoopEarlyStoppingTest, HandlesTwoAndAHalfMillionQueriesAtP90) {
  ExpectPlausibleForLargeRun(2'500'000, 0.90);
}

TEST(ClosedLoopEarlyStoppingTest, HandlesTenMillionQueriesAtP99) {
  ExpectPlausibleForLargeRun(10'000'000, 0.99);
}

TEST(ClosedLoopEarlyStoppingTest, ZeroQueriesFailsAndNegativeThrows) {
  const ClosedLoopEarlyStopping es = ComputeClosedLoopEarlyStopping(0, 0.9);
  EXPECT_FALSE(es.ok);
  EXPECT_EQ(es.min_queries, 64);
  EXPECT_EQ(es.t, 0);
  EXPECT_THROW(ComputeClosedLoopEarlyStopping(-1, 0.9), std::invalid_argument);
  EXPECT_THROW(
      ComputeClosedLoopEarlyStopping(kEarlyStoppingMaxQueries + 1, 0.9),
      std::invalid_argument);
  EXPECT_THROW(ComputeClosedLoopEarlyStopping(100, 1.0), std::invalid_argument);
  EXPECT_THROW(ComputeClosedLoopEarlyStopping(100, 0.0), std::invalid_argument);
}

// The largest over-latency count with which `queries` still passes.
int64_t MaxPassingOverlatency(int64_t queries, double percentile) {
  int64_t t = -1;
  while (t + 1 <= queries &&
         ComputeServerEarlyStopping(queries, t + 1, percentile).ok) {
    ++t;
  }
  return t;
}

TEST(ServerEarlyStoppingTest, MatchesRulesMaxOverlatencyVectors) {
  EXPECT_EQ(MaxPassingOverlatency(1000, 0.99), 2);
  EXPECT_EQ(MaxPassingOverlatency(10000, 0.99), 77);
  EXPECT_EQ(MaxPassingOverlatency(100000, 0.99), 927);
  EXPECT_EQ(MaxPassingOverlatency(270336, 0.99), 2583);
  EXPECT_EQ(MaxPassingOverlatency(1000, 0.999), -1);  // always fails
  EXPECT_EQ(MaxPassingOverlatency(10000, 0.999), 2);
  EXPECT_EQ(MaxPassingOverlatency(100000, 0.999), 77);
  EXPECT_EQ(MaxPassingOverlatency(270336, 0.999), 232);
}

TEST(ServerEarlyStoppingTest, ReportsMinPassingAndQueriesStillNeeded) {
  const ServerEarlyStopping fail = ComputeServerEarlyStopping(1000, 0, 0.999);
  EXPECT_FALSE(fail.ok);
  EXPECT_EQ(fail.overlatency, 0);
  EXPECT_EQ(fail.min_passing, 4603);
  EXPECT_EQ(fail.more_queries_needed, 3603);

  const ServerEarlyStopping fail2 = ComputeServerEarlyStopping(1000, 3, 0.99);
  EXPECT_FALSE(fail2.ok);
  EXPECT_EQ(fail2.min_passing, 998);
  EXPECT_EQ(fail2.more_queries_needed, 1);

  const ServerEarlyStopping pass = ComputeServerEarlyStopping(1001, 3, 0.99);
  EXPECT_TRUE(pass.ok);
  EXPECT_EQ(pass.overlatency, 3);
  EXPECT_EQ(pass.min_passing, 998);
  EXPECT_EQ(pass.more_queries_needed, 0);
}

TEST(ServerEarlyStoppingTest, ZeroQueriesFailsAndBadCountsThrow) {
  const ServerEarlyStopping es = ComputeServerEarlyStopping(0, 0, 0.99);
  EXPECT_FALSE(es.ok);
  EXPECT_EQ(es.more_queries_needed, 459);
  EXPECT_THROW(ComputeServerEarlyStopping(-1, 0, 0.99), std::invalid_argument);
  EXPECT_THROW(ComputeServerEarlyStopping(10, -1, 0.99), std::invalid_argument);
  EXPECT_THROW(ComputeServerEarlyStopping(10, 11, 0.99), std::invalid_argument);
  EXPECT_THROW(ComputeServerEarlyStopping(10, 1, 1.5), std::invalid_argument);
}

TEST(ServerEarlyStoppingTest, AllOverlatencyAtLargeCountFailsQuickly) {
  // Every query late: the tail evaluations run far from the mean.
  const int64_t n = 50'000'000;
  const ServerEarlyStopping es = ComputeServerEarlyStopping(n, n, 0.99);
  EXPECT_FALSE(es.ok);
  EXPECT_GT(es.min_passing, 99 * (n - 1));
  EXPECT_EQ(es.more_queries_needed, es.min_passing);
}

}  // namespace
}  // namespace internal
}  // namespace mlperf
