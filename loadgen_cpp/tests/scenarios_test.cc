// Scenario-level tests of a Run with a deterministic clock: the fake SUTs
// advance a ManualClock, so every latency is known exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "clock.h"
#include "results.h"
#include "run.h"
#include "test_fixtures.h"

namespace mlperf {
namespace internal {
namespace {

class FakeQsl : public TestQsl {
 public:
  FakeQsl(size_t total, size_t perf) : TestQsl(total, perf, "FakeQSL") {}
};

// A SUT that, for each IssueQuery, runs `on_issue` (which may advance the
// clock) and then completes every sample through the run.
class FakeSut : public SystemUnderTest {
 public:
  const std::string& Name() override { return name_; }
  void IssueQuery(const std::vector<QuerySample>& samples) override {
    calls.push_back(samples);
    if (on_issue) on_issue(samples);
    if (complete && run != nullptr) {
      std::vector<QuerySampleResponse> r;
      for (const auto& s : samples) {
        r.emplace_back(s.id, reinterpret_cast<uintptr_t>(&s.index),
                       sizeof(s.index));
      }
      run->Complete(r.data(), r.size(), {});
    }
  }
  void FlushQueries() override { ++flushes; }

  Run* run = nullptr;
  bool complete = true;
  std::function<void(const std::vector<QuerySample>&)> on_issue;
  std::vector<std::vector<QuerySample>> calls;
  int flushes = 0;

 private:
  std::string name_ = "FakeSUT";
};

std::string TempDir(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() / ("loadgen_gtest_" + name);
  std::filesystem::remove_all(p);
  return p.string();
}

// Each IssueQuery call to `sut` takes `ns` of `clock`.
void EachCallTakes(FakeSut* sut, ManualClock* clock, int64_t ns) {
  sut->on_issue = [clock, ns](const std::vector<QuerySample>&) {
    clock->Advance(ns);
  };
}

// `scenario` with the two minimums that every run below sets.
TestSettings Minimums(TestScenario scenario, uint64_t min_duration_ms,
                      uint64_t min_query_count) {
  TestSettings s;
  s.scenario = scenario;
  s.min_duration_ms = min_duration_ms;
  s.min_query_count = min_query_count;
  return s;
}

TestResult RunWith(FakeSut* sut, FakeQsl* qsl, const TestSettings& s,
                   ManualClock* clock, const std::string& name) {
  LogSettings log;
  log.log_output.outdir = TempDir(name);
  log.enable_trace = false;
  Run run(sut, qsl, s, log, WithoutAuditConfig(), clock);
  sut->run = &run;
  return run.Execute();
}

// A run's clock and SUT; the suites below are its aliases.
class ScenarioRun : public ::testing::Test {
 protected:
  TestResult Run(FakeQsl* qsl, const TestSettings& s, const std::string& name) {
    return RunWith(&sut, qsl, s, &clock, name);
  }

  ManualClock clock;
  FakeSut sut;
};
using SingleStream = ScenarioRun;
using MultiStream = ScenarioRun;
using Server = ScenarioRun;
using Offline = ScenarioRun;
using Accuracy = ScenarioRun;

TEST_F(SingleStream, LatencyIsTheSutTimeAndTheRunStopsAtMinDurationAndCount) {
  EachCallTakes(&sut, &clock, 1000000);
  FakeQsl qsl(100, 50);
  TestResult r = Run(&qsl, Minimums(TestScenario::SingleStream, 100, 10), "ss");
  ASSERT_EQ(r.performance.size(), 1u);
  const PerformanceResult& p = r.performance[0];
  // Query k is issued at k ms; the run stops after the query issued at 100 ms.
  EXPECT_EQ(p.queries_issued, 101);
  EXPECT_EQ(p.sample_latency.min_ns, 1000000);
  EXPECT_EQ(p.sample_latency.max_ns, 1000000);
  EXPECT_EQ(p.metric, 1000000);
  EXPECT_TRUE(p.valid);
  EXPECT_NEAR(p.qps_with_loadgen_overhead, 1000.0, 1e-6);
  EXPECT_EQ(sut.flushes, 1);
  for (const auto& call : sut.calls) EXPECT_EQ(call.size(), 1u);
}

TEST_F(SingleStream, TooFewQueriesForEarlyStoppingIsInvalid) {
  EachCallTakes(&sut, &clock, 10000000);
  FakeQsl qsl(100, 50);
  // 11 queries of 10 ms.
  TestResult r =
      Run(&qsl, Minimums(TestScenario::SingleStream, 100, 1), "ss_es");
  const PerformanceResult& p = r.performance[0];
  EXPECT_EQ(p.queries_issued, 11);
  EXPECT_FALSE(p.early_stopping_met);
  EXPECT_FALSE(p.valid);
}

TEST_F(MultiStream, QueryLatencyIsItsSlowestSample) {
  sut.complete = false;
  sut.on_issue = [&](const std::vector<QuerySample>& q) {
    // Sample i of a query completes after (i + 1) ms.
    for (size_t i = 0; i < q.size(); ++i) {
      clock.Advance(1000000);
      QuerySampleResponse resp(q[i].id, 0, 0);
      sut.run->Complete(&resp, 1, {});
    }
  };
  FakeQsl qsl(100, 50);
  TestSettings s = Minimums(TestScenario::MultiStream, 2000, 662);
  s.multi_stream_samples_per_query = 4;
  TestResult r = Run(&qsl, s, "ms");
  const PerformanceResult& p = r.performance[0];
  EXPECT_GE(p.queries_issued, 662);
  for (const auto& call : sut.calls) EXPECT_EQ(call.size(), 4u);
  EXPECT_EQ(p.query_latency.min_ns, 4000000);
  EXPECT_EQ(p.query_latency.max_ns, 4000000);
  EXPECT_EQ(p.sample_latency.min_ns, 1000000);
  EXPECT_EQ(p.sample_latency.max_ns, 4000000);
  EXPECT_EQ(p.metric, 4000000);
  EXPECT_TRUE(p.valid);
}

TEST_F(Server, IssuesAtThePoissonScheduleOfTheSeed) {
  std::vector<int64_t> issue_times;
  sut.on_issue = [&](const std::vector<QuerySample>&) {
    issue_times.push_back(clock.NowNs());
    clock.Advance(100000);  // 100 us of work
  };
  FakeQsl qsl(100, 50);
  TestSettings s = Minimums(TestScenario::Server, 500, 100);
  s.server_target_qps = 1000;
  s.schedule_rng_seed = 42;
  TestResult r = Run(&qsl, s, "server");
  const PerformanceResult& p = r.performance[0];
  // The expected schedule: exponential gaps, truncated to ns.
  std::mt19937 rng(42);
  std::exponential_distribution<double> gap(1000);
  int64_t t = 0, prev = 0;
  std::vector<int64_t> expected;
  while (prev < 500000000 || expected.size() < 100) {
    expected.push_back(t);
    prev = t;
    t += std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::duration<double>(gap(rng)))
             .count();
  }
  ASSERT_EQ(issue_times.size(), expected.size());
  const int64_t start = issue_times[0];
  size_t late = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    // Never early; late only when the previous query overran its gap.
    EXPECT_GE(issue_times[i] - start, expected[i]);
    if (issue_times[i] - start != expected[i]) ++late;
  }
  EXPECT_LT(late, expected.size() / 5);
  EXPECT_EQ(p.queries_issued, static_cast<int64_t>(expected.size()));
  EXPECT_GE(p.sample_latency.min_ns, 100000);
  EXPECT_GE(p.issue_lag.min_ns, 0);
}

TEST_F(Server, CoalescesQueriesWhoseTimeHasPassed) {
  EachCallTakes(&sut, &clock, 5000000);
  FakeQsl qsl(100, 50);
  TestSettings s = Minimums(TestScenario::Server, 200, 10);
  s.server_target_qps = 1000;  // 1 ms apart, 5 ms of work per call
  s.server_coalesce_queries = true;
  TestResult r = Run(&qsl, s, "coalesce");
  const PerformanceResult& p = r.performance[0];
  size_t samples = 0;
  for (const auto& c : sut.calls) samples += c.size();
  EXPECT_EQ(static_cast<int64_t>(samples), p.queries_issued);
  EXPECT_LT(sut.calls.size(), samples / 2);
  EXPECT_EQ(p.samples_completed, p.queries_issued);
}

TEST_F(Offline, OneQueryOfTheSlackedSampleCount) {
  EachCallTakes(&sut, &clock, 2000000000);
  FakeQsl qsl(100, 30);
  TestSettings s = Minimums(TestScenario::Offline, 1000, 24);
  s.offline_expected_qps = 500;
  TestResult r = Run(&qsl, s, "offline");
  ASSERT_EQ(sut.calls.size(), 1u);
  EXPECT_EQ(sut.calls[0].size(), 550u);  // max(24, 1.1 * 1 s * 500)
  // The loaded set repeated in order.
  for (size_t i = 0; i < 550; ++i) {
    EXPECT_EQ(sut.calls[0][i].index, qsl.loads[0][i % 30]);
  }
  const PerformanceResult& p = r.performance[0];
  EXPECT_TRUE(p.valid);
  EXPECT_NEAR(p.samples_per_sec, 275.0, 1e-9);
}

TEST_F(Accuracy, EverySampleOnceInLoadableSets) {
  FakeQsl qsl(40, 16);
  TestSettings s;
  s.mode = TestMode::AccuracyOnly;
  TestResult r = Run(&qsl, s, "accuracy");
  ASSERT_EQ(qsl.loads.size(), 3u);
  EXPECT_EQ(qsl.loads[0].size(), 16u);
  EXPECT_EQ(qsl.loads[1].size(), 16u);
  EXPECT_EQ(qsl.loads[2].size(), 8u);
  std::multiset<QuerySampleIndex> issued;
  for (const auto& c : sut.calls)
    for (const auto& q : c) issued.insert(q.index);
  EXPECT_EQ(issued.size(), 40u);
  for (QuerySampleIndex i = 0; i < 40; ++i) EXPECT_EQ(issued.count(i), 1u);
  EXPECT_EQ(r.accuracy_samples_completed, 40);
  EXPECT_TRUE(r.performance.empty());
}

TEST(Errors, UnknownAndDuplicateIdsAreCountedNotFatal) {
  ManualClock clock;
  FakeSut sut;
  sut.complete = false;
  sut.on_issue = [&](const std::vector<QuerySample>& q) {
    clock.Advance(1000000);
    QuerySampleResponse good(q[0].id, 0, 0);
    sut.run->Complete(&good, 1, {});
    QuerySampleResponse again(q[0].id, 0, 0);  // duplicate
    sut.run->Complete(&again, 1, {});
    QuerySampleResponse bogus(123456789, 0, 0);
    sut.run->Complete(&bogus, 1, {});
    QuerySampleResponse index_not_id(q[0].index, 0, 0);
    sut.run->Complete(&index_not_id, 1, {});
  };
  FakeQsl qsl(100, 50);
  TestSettings s;
  s.min_duration_ms = 10;
  s.min_query_count = 5;
  TestResult r = RunWith(&sut, &qsl, s, &clock, "errors");
  const int64_t queries = r.performance[0].queries_issued;
  EXPECT_EQ(queries, 11);
  EXPECT_GE(r.num_errors, 3 * queries);
  EXPECT_EQ(r.performance[0].samples_completed, queries);
}

TEST(Errors, ExceptionInIssueQueryIsRethrownAfterTheLogs) {
  ManualClock clock;
  FakeSut sut;
  sut.on_issue = [&](const std::vector<QuerySample>&) {
    if (sut.calls.size() == 3) throw std::runtime_error("boom");
    clock.Advance(1000);
  };
  FakeQsl qsl(100, 50);
  TestSettings s;
  s.min_duration_ms = 100;
  EXPECT_THROW(RunWith(&sut, &qsl, s, &clock, "exception"), std::runtime_error);
  // A second run works.
  FakeSut sut2;
  EachCallTakes(&sut2, &clock, 1000000);
  s.min_duration_ms = 10;
  TestResult r = RunWith(&sut2, &qsl, s, &clock, "exception2");
  EXPECT_EQ(r.performance.size(), 1u);
}

TEST(Errors, WatchdogEndsARunWhoseSutStopsAnswering) {
  FakeSut sut;
  sut.complete = false;
  FakeQsl qsl(100, 50);
  // 1.1 * 1 s * 1 qps < 10: the query holds 10.
  TestSettings s = Minimums(TestScenario::Offline, 1000, 10);
  s.watchdog_timeout_ms = 200;
  LogSettings log;
  log.log_output.outdir = TempDir("watchdog");
  internal::Run run(&sut, &qsl, s, log, WithoutAuditConfig());
  sut.run = &run;
  const auto t0 = std::chrono::steady_clock::now();
  TestResult r = run.Execute();
  const auto secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_LT(secs, 5.0);
  EXPECT_TRUE(r.aborted);
  ASSERT_EQ(r.performance.size(), 1u);
  EXPECT_FALSE(r.performance[0].valid);
  EXPECT_EQ(r.performance[0].samples_never_completed, 10);
}

TEST(Settings, InvalidValuesAreRejectedNamingTheField) {
  FakeSut sut;
  FakeQsl qsl(100, 50);
  auto expect_reject = [&](TestSettings s, const std::string& field) {
    ManualClock clock;
    try {
      RunWith(&sut, &qsl, s, &clock, "invalid");
      ADD_FAILURE() << "accepted invalid " << field;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos)
          << e.what();
    }
  };
  TestSettings s;
  s.scenario = TestScenario::Server;
  s.server_target_qps = 0;
  expect_reject(s, "server_target_qps");
  s = TestSettings();
  s.single_stream_target_latency_percentile = 1.0;
  expect_reject(s, "single_stream_target_latency_percentile");
  s = TestSettings();
  s.scenario = TestScenario::MultiStream;
  s.multi_stream_samples_per_query = 0;
  expect_reject(s, "multi_stream_samples_per_query");
  s = TestSettings();
  s.single_stream_expected_latency_ns = 0;
  expect_reject(s, "single_stream_expected_latency_ns");
  s = TestSettings();
  s.performance_issue_same = true;
  s.performance_issue_same_index = 50;
  expect_reject(s, "performance_issue_same_index");
  EXPECT_TRUE(sut.calls.empty());
  EXPECT_TRUE(qsl.loads.empty());
}

TEST(Statistics, PercentilesAreNearestRankOnSortedLatencies) {
  LatencySet v;
  for (int i = 1024; i >= 1; --i) v.Add(i);
  LatencyStats st = ComputeStats(&v);
  EXPECT_EQ(st.min_ns, 1);
  EXPECT_EQ(st.max_ns, 1024);
  EXPECT_EQ(st.mean_ns, 512);  // integer mean of 1..1024 = 512.5 -> 512
  EXPECT_EQ(st.percentile_ns[1],
            922);  // sorted[floor(1024 * 0.9)] = sorted[921]
  EXPECT_EQ(st.percentile_ns[5], 1023);  // sorted[1022]
  LatencySet empty;
  EXPECT_EQ(ComputeStats(&empty).count, 0);
}

}  // namespace
}  // namespace internal
}  // namespace mlperf
