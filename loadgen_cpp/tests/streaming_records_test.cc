// Streaming mode against exact mode: the same runs on a ManualClock, so
// both modes see the same latencies, and every figure of streaming mode must
// equal exact mode's (counts, min, max, mean, verdict) or lie within
// LatencyHistogram::kRelativeError of it (percentiles, early-stopping
// estimates). A small window forces ids through many generations, and a SUT
// that holds samples back makes stragglers.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "clock.h"
#include "latency_histogram.h"
#include "latency_set.h"
#include "run.h"
#include "test_fixtures.h"

namespace mlperf {
namespace internal {
namespace {

// ---- The histogram on its own.

TEST(LatencyHistogram, BucketsAreContiguousAndNarrow) {
  std::mt19937_64 rng(1);
  for (int k = 0; k < 200000; ++k) {
    const uint64_t v = rng() >> (rng() % 64);
    const size_t b = LatencyHistogram::Bucket(v);
    const uint64_t lo = LatencyHistogram::BucketLow(b);
    const uint64_t w = LatencyHistogram::BucketWidth(b);
    ASSERT_LE(lo, v);
    ASSERT_LT(v - lo, w);
    if (v < 2048) ASSERT_EQ(w, 1u);
    if (v >= 2048) {
      ASSERT_LE(static_cast<double>(w) / static_cast<double>(lo),
                2 * LatencyHistogram::kRelativeError);
    }
    if (b > 0) {
      ASSERT_EQ(LatencyHistogram::BucketLow(b - 1) +
                    LatencyHistogram::BucketWidth(b - 1),
                lo);
    }
  }
}

using Draw = std::function<int64_t(std::mt19937_64&)>;

Draw Uniform() {
  return [](std::mt19937_64& r) {
    return std::uniform_int_distribution<int64_t>(100000, 20000000)(r);
  };
}
Draw Bimodal() {
  return [](std::mt19937_64& r) {
    std::normal_distribution<double> fast(2e6, 1e5), slow(40e6, 4e6);
    const double v = (r() % 10 == 0) ? slow(r) : fast(r);
    return static_cast<int64_t>(std::max(1000.0, v));
  };
}
Draw HeavyTail() {
  return [](std::mt19937_64& r) {
    // Pareto, alpha 1.2, from 500 us: a tail of seconds.
    std::uniform_real_distribution<double> u(0.0, 1.0);
    return static_cast<int64_t>(5e5 / std::pow(1.0 - u(r), 1.0 / 1.2));
  };
}

void ExpectWithin(int64_t streaming, int64_t exact, const std::string& what) {
  const double bound =
      static_cast<double>(exact) * LatencyHistogram::kRelativeError + 1;
  EXPECT_LE(std::abs(static_cast<double>(streaming - exact)), bound)
      << what << ": streaming " << streaming << ", exact " << exact;
}

TEST(LatencyHistogram, PercentilesWithinTheBoundOnKnownDistributions) {
  const std::pair<const char*, Draw> cases[] = {
      {"uniform", Uniform()}, {"bimodal", Bimodal()}, {"heavy", HeavyTail()}};
  for (const auto& [name, draw] : cases) {
    std::mt19937_64 rng(7);
    LatencySet exact;
    LatencySet stream = LatencySet::Streaming();
    const int64_t bound = 15000000;
    stream.Track(bound);
    for (int k = 0; k < 300000; ++k) {
      const int64_t v = draw(rng);
      exact.Add(v);
      stream.Add(v);
    }
    exact.Finish();
    stream.Finish();
    ASSERT_EQ(exact.size(), stream.size());
    EXPECT_EQ(exact.min(), stream.min()) << name;
    EXPECT_EQ(exact.max(), stream.max()) << name;
    EXPECT_EQ(exact.sum(), stream.sum()) << name;
    EXPECT_EQ(exact.CountAbove(bound), stream.CountAbove(bound)) << name;
    for (double p : {0.5, 0.9, 0.95, 0.97, 0.99, 0.999, 0.9999}) {
      ExpectWithin(stream.Percentile(p), exact.Percentile(p),
                   std::string(name) + " p" + std::to_string(p));
      EXPECT_EQ(exact.PercentileAtMost(p, bound),
                stream.PercentileAtMost(p, bound))
          << name << " p" << p;
    }
    // Every rank, for the early-stopping order statistics.
    for (uint64_t rank = 0; rank < exact.size(); rank += 997)
      ExpectWithin(stream.ValueAtRank(rank), exact.ValueAtRank(rank),
                   std::string(name) + " rank " + std::to_string(rank));
  }
}

// ---- Whole runs, exact against streaming.

// Completes each sample after a latency drawn from `draw` (advancing the
// clock). Every `hold_every`-th sample is held back and completed only
// `hold_for` samples later (a straggler); after each completion it also
// completes an id from `dup_back` samples ago again and a made-up id.
class DrawSut : public SystemUnderTest {
 public:
  DrawSut(ManualClock* clock, Draw draw) : clock_(clock), draw_(draw) {}
  const std::string& Name() override { return name_; }
  void IssueQuery(const std::vector<QuerySample>& q) override {
    for (const QuerySample& s : q) {
      ++seen_;
      history_.push_back(s.id);
      if (history_.size() > 4096) history_.pop_front();
      if (hold_every && seen_ % hold_every == 0) {
        // Token runs: half the held samples send their first token now,
        // the others only when released (after they moved to the table).
        if (tokens && seen_ % (2 * hold_every) == 0) FirstToken(s.id);
        held_.push_back({seen_ + hold_for, s.id});
        continue;
      }
      const int64_t lat = draw_(rng_);
      if (tokens) {
        clock_->Advance(lat / 4);
        FirstToken(s.id);
        clock_->Advance(lat - lat / 4);
      } else {
        clock_->Advance(lat);
      }
      Complete(s.id);
    }
    while (!held_.empty() && held_.front().first <= seen_) {
      const ResponseId id = held_.front().second;
      if (tokens && (held_.front().first - hold_for) % (2 * hold_every) != 0)
        FirstToken(id);
      clock_->Advance(1000);
      Complete(id);
      held_.pop_front();
    }
    if (dup_back && history_.size() > dup_back) {
      Complete(history_[history_.size() - 1 - dup_back]);  // a duplicate
      Complete(987654321);                                 // unknown
    }
  }
  void FlushQueries() override {
    for (const auto& h : held_) {
      if (tokens && (h.first - hold_for) % (2 * hold_every) != 0)
        FirstToken(h.second);
      clock_->Advance(1000);
      Complete(h.second);
    }
    held_.clear();
  }
  void Complete(ResponseId id) {
    // The token count from the sample index (ids differ between runs).
    const int64_t index = static_cast<int64_t>(id & ((uint64_t{1} << 40) - 1));
    QuerySampleResponse r(id, 0, 0, tokens ? 2 + index % 50 : 0);
    run->Complete(&r, 1, {});
  }
  void FirstToken(ResponseId id) {
    QuerySampleResponse r(id, 0, 0);
    run->FirstToken(&r, 1, {});
  }

  Run* run = nullptr;
  bool tokens = false;
  uint64_t hold_every = 0;
  uint64_t hold_for = 0;
  size_t dup_back = 0;

 private:
  ManualClock* clock_;
  Draw draw_;
  std::mt19937_64 rng_{42};
  uint64_t seen_ = 0;
  std::deque<ResponseId> history_;
  std::deque<std::pair<uint64_t, ResponseId>> held_;
  std::string name_ = "DrawSut";
};

struct Outcome {
  TestResult result;
  PerformanceResult perf;
};

Outcome RunOnce(TestSettings s, const Draw& draw, const std::string& name,
                uint64_t hold_every = 0, uint64_t hold_for = 0,
                size_t dup_back = 0, size_t qsl_samples = 1000) {
  ManualClock clock;
  DrawSut sut(&clock, draw);
  sut.tokens = s.use_token_latencies;
  sut.hold_every = hold_every;
  sut.hold_for = hold_for;
  sut.dup_back = dup_back;
  TestQsl qsl(qsl_samples, qsl_samples / 2);
  LogSettings log;
  // Tests run in parallel processes (ctest -j): a directory per test.
  const std::string test =
      ::testing::UnitTest::GetInstance()->current_test_info()->name();
  auto dir = std::filesystem::temp_directory_path() /
             ("loadgen_stream_" + test + "_" + name);
  std::filesystem::remove_all(dir);
  log.log_output.outdir = dir.string();
  log.enable_trace = true;
  Run run(&sut, &qsl, s, log, WithoutAuditConfig(), &clock);
  sut.run = &run;
  Outcome o;
  o.result = run.Execute();
  o.perf = o.result.performance.at(0);
  return o;
}

void ExpectStatsAgree(const LatencyStats& st, const LatencyStats& ex,
                      const std::string& what) {
  EXPECT_EQ(st.count, ex.count) << what;
  EXPECT_EQ(st.min_ns, ex.min_ns) << what;
  EXPECT_EQ(st.max_ns, ex.max_ns) << what;
  EXPECT_EQ(st.mean_ns, ex.mean_ns) << what;
  for (size_t i = 0; i < ex.percentile_ns.size(); ++i)
    ExpectWithin(st.percentile_ns[i], ex.percentile_ns[i],
                 what + " percentile " + std::to_string(ex.percentiles[i]));
}

void ExpectRunsAgree(const Outcome& s, const Outcome& e) {
  const PerformanceResult& st = s.perf;
  const PerformanceResult& ex = e.perf;
  EXPECT_EQ(st.record_mode, "streaming");
  EXPECT_EQ(ex.record_mode, "exact");
  EXPECT_EQ(st.latency_relative_error, LatencyHistogram::kRelativeError);
  EXPECT_EQ(st.valid, ex.valid);
  EXPECT_EQ(st.invalid_reasons, ex.invalid_reasons);
  EXPECT_EQ(st.early_stopping_met, ex.early_stopping_met);
  EXPECT_EQ(st.perf_constraints_met, ex.perf_constraints_met);
  EXPECT_EQ(st.queries_issued, ex.queries_issued);
  EXPECT_EQ(st.samples_completed, ex.samples_completed);
  EXPECT_EQ(st.samples_never_completed, ex.samples_never_completed);
  EXPECT_EQ(st.overlatency_query_count, ex.overlatency_query_count);
  EXPECT_EQ(st.final_query_scheduled_s, ex.final_query_scheduled_s);
  EXPECT_EQ(st.final_query_issued_s, ex.final_query_issued_s);
  EXPECT_EQ(st.final_query_done_s, ex.final_query_done_s);
  EXPECT_EQ(st.max_latency_s, ex.max_latency_s);
  EXPECT_EQ(s.result.num_errors, e.result.num_errors);
  ExpectStatsAgree(st.sample_latency, ex.sample_latency, "sample latency");
  ExpectStatsAgree(st.query_latency, ex.query_latency, "query latency");
  ExpectStatsAgree(st.issue_lag, ex.issue_lag, "issue lag");
  ExpectStatsAgree(st.first_token, ex.first_token, "TTFT");
  ExpectStatsAgree(st.time_per_output_token, ex.time_per_output_token, "TPOT");
  EXPECT_EQ(st.token_count, ex.token_count);
  EXPECT_EQ(st.early_stopping_lines.size(), ex.early_stopping_lines.size());
  ExpectWithin(static_cast<int64_t>(st.metric), static_cast<int64_t>(ex.metric),
               "metric");
  ExpectWithin(st.early_stopping_latency_ss, ex.early_stopping_latency_ss,
               "early stopping (SingleStream)");
  ExpectWithin(st.early_stopping_latency_ms, ex.early_stopping_latency_ms,
               "early stopping (99th / MultiStream)");
}

TestSettings Base(TestScenario scenario) {
  TestSettings s;
  s.scenario = scenario;
  s.min_duration_ms = 1000;
  s.min_query_count = 3000;
  s.single_stream_expected_latency_ns = 1000000;
  s.multi_stream_expected_latency_ns = 8000000;
  s.server_target_qps = 100;
  s.server_target_latency_ns = 15000000;
  s.streaming_window_samples = 64;
  return s;
}

TestSettings Mode(TestSettings s, TestSettings::RecordMode m) {
  s.record_mode = m;
  return s;
}

TEST(StreamingRuns, AgreeWithExactOnKnownDistributions) {
  using M = TestSettings::RecordMode;
  const std::pair<const char*, Draw> cases[] = {
      {"uniform", Uniform()}, {"bimodal", Bimodal()}, {"heavy", HeavyTail()}};
  for (TestScenario sc : {TestScenario::SingleStream, TestScenario::MultiStream,
                          TestScenario::Server}) {
    for (const auto& [name, draw] : cases) {
      SCOPED_TRACE(std::string(ToString(sc)) + " " + name);
      const TestSettings s = Base(sc);
      const Outcome e = RunOnce(Mode(s, M::kExact), draw, "e");
      const Outcome st = RunOnce(Mode(s, M::kStreaming), draw, "s");
      ExpectRunsAgree(st, e);
      EXPECT_EQ(st.perf.streaming_from_sample, 0);
      EXPECT_EQ(st.perf.streaming_window, 64u);
      EXPECT_GT(st.perf.samples_issued, 40 * 64);  // many generations
    }
  }
}

TEST(StreamingRuns, StragglersDuplicatesAndUnknownIdsAcrossGenerations) {
  using M = TestSettings::RecordMode;
  for (TestScenario sc : {TestScenario::SingleStream, TestScenario::MultiStream,
                          TestScenario::Server}) {
    SCOPED_TRACE(ToString(sc));
    const TestSettings s = Base(sc);
    // Server: every 50th sample completes 300 samples later (past the
    // 64-sample window). A closed loop waits for each query, so it has no
    // stragglers. Every query re-completes an id 200 samples old (its
    // position reused three times since) and a made-up id.
    const bool server = sc == TestScenario::Server;
    const uint64_t every = server ? 50 : 0;
    const Outcome e =
        RunOnce(Mode(s, M::kExact), Bimodal(), "e", every, 300, 200);
    const Outcome st =
        RunOnce(Mode(s, M::kStreaming), Bimodal(), "s", every, 300, 200);
    ExpectRunsAgree(st, e);
    if (server) EXPECT_GT(st.perf.stragglers, 0);
    EXPECT_EQ(st.perf.samples_never_completed, 0);
    // A duplicate and an unknown id per query once 200 samples are out (the
    // same count as exact mode's, checked above).
    EXPECT_GE(st.result.num_errors, st.perf.queries_issued);
  }
}

TEST(StreamingRuns, TokenLatenciesOfStragglersAndLateFirstTokens) {
  using M = TestSettings::RecordMode;
  TestSettings s = Base(TestScenario::Server);
  s.use_token_latencies = true;
  s.server_ttft_latency = 2000000;
  s.server_tpot_latency = 300000;
  const Outcome e = RunOnce(Mode(s, M::kExact), Bimodal(), "e", 40, 300, 100);
  const Outcome st =
      RunOnce(Mode(s, M::kStreaming), Bimodal(), "s", 40, 300, 100);
  ExpectRunsAgree(st, e);
  EXPECT_GT(st.perf.stragglers, 0);
  // Every completed sample had its first token, except the held ones the
  // duplicate 100 samples back completed early (an error in both modes).
  EXPECT_GT(st.perf.first_token.count, 2900);
  EXPECT_LT(st.perf.first_token.count, st.perf.samples_completed);
}

TEST(StreamingRuns, NeverCompletedSamplesAreCountedInBothModes) {
  using M = TestSettings::RecordMode;
  TestSettings s = Base(TestScenario::Server);
  s.watchdog_timeout_ms = 0;
  s.max_duration_ms = 0;
  // Held samples are released only 10^9 samples later: never, until
  // FlushQueries; a SUT that forgets them entirely is the watchdog's job.
  const Outcome e = RunOnce(Mode(s, M::kExact), Uniform(), "e", 97, 100, 0);
  const Outcome st =
      RunOnce(Mode(s, M::kStreaming), Uniform(), "s", 97, 100, 0);
  ExpectRunsAgree(st, e);
}

TEST(StreamingRuns, AutoSwitchesAtTheBudgetAndStillAgrees) {
  using M = TestSettings::RecordMode;
  TestSettings s = Base(TestScenario::Server);
  s.min_query_count = 1000;   // the settings expect 1000 samples...
  s.min_duration_ms = 30000;  // ...but the run lasts 3000 (100 qps x 30 s)
  s.server_target_qps = 100;
  s.exact_record_budget_bytes = 44 * 1000;  // 1000 samples of exact records
  // Expected 3000 > 1000: streaming from the start.
  Outcome st = RunOnce(Mode(s, M::kAuto), HeavyTail(), "a1", 50, 300, 0);
  const Outcome e = RunOnce(Mode(s, M::kExact), HeavyTail(), "e", 50, 300, 0);
  ExpectRunsAgree(st, e);
  EXPECT_EQ(st.perf.streaming_from_sample, 0);
  // A closed-loop run faster than its expected latency: exact at first,
  // then streaming from sample 1000 on.
  TestSettings c = Base(TestScenario::SingleStream);
  c.single_stream_expected_latency_ns = 1000000000;  // expects 1 s a query
  c.min_query_count = 100;
  c.min_duration_ms = 20000;
  c.exact_record_budget_bytes = 44 * 1000;
  const Outcome ce = RunOnce(Mode(c, M::kExact), Uniform(), "ce", 0, 0, 150);
  const Outcome ca = RunOnce(Mode(c, M::kAuto), Uniform(), "ca", 0, 0, 150);
  ExpectRunsAgree(ca, ce);
  EXPECT_EQ(ca.perf.streaming_from_sample, 1000);
  EXPECT_GT(ca.perf.samples_issued, 1500);
  // Auto mode within the budget stays exact.
  const Outcome small =
      RunOnce(Base(TestScenario::SingleStream), Uniform(), "x");
  EXPECT_EQ(small.perf.record_mode, "exact");
  EXPECT_EQ(small.perf.streaming_from_sample, -1);
}

// Queries larger than the fold's gathering part (4096 samples) fold in
// parts: the figures equal exact mode's, which folds the same way at the
// end, and the counts are whole.
TEST(StreamingRuns, QueriesLargerThanOneFoldPartAgree) {
  using M = TestSettings::RecordMode;
  // MultiStream of 5000 samples a query: each is folded while the next
  // one is issued.
  TestSettings ms = Base(TestScenario::MultiStream);
  ms.multi_stream_samples_per_query = 5000;
  ms.min_query_count = 12;
  ms.min_duration_ms = 0;
  ms.multi_stream_expected_latency_ns = 1000000;
  ms.streaming_window_samples = 8192;
  const Outcome e =
      RunOnce(Mode(ms, M::kExact), Uniform(), "mse", 0, 0, 0, 20000);
  const Outcome st =
      RunOnce(Mode(ms, M::kStreaming), Uniform(), "mss", 0, 0, 0, 20000);
  ExpectRunsAgree(st, e);
  EXPECT_EQ(st.perf.samples_issued, 12u * 5000u);
  EXPECT_EQ(st.perf.query_latency.count, 12u);
  // Offline (always exact): one query of 3 parts and a bit, every sample
  // counted once, none lost at a part's edge.
  TestSettings off = Base(TestScenario::Offline);
  off.offline_expected_qps = 1;
  off.min_duration_ms = 0;
  off.min_query_count = 3 * 4096 + 7;
  const Outcome oe = RunOnce(off, Bimodal(), "oe");
  EXPECT_EQ(oe.perf.sample_latency.count, 3u * 4096u + 7u);
  EXPECT_EQ(oe.perf.samples_completed, 3u * 4096u + 7u);
  EXPECT_EQ(oe.perf.samples_never_completed, 0u);
  EXPECT_LE(oe.perf.sample_latency.min_ns, oe.perf.sample_latency.max_ns);
}

}  // namespace
}  // namespace internal
}  // namespace mlperf
