// Many threads completing at once: duplicates, stale ids of earlier phases,
// and phases that end while completions keep arriving. Run under TSan and
// ASan in CI (.ci/run). The first test is the phase-tag/CAS race: a completer
// that resolved an id of phase p must never claim a slot once phase p+1 has
// reused it.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "completion_gate.h"
#include "completion_tracker.h"
#include "loadgen/loadgen.h"
#include "settings_internal.h"
#include "test_fixtures.h"

namespace mlperf {
namespace internal {
namespace {

constexpr int64_t kPhaseStride = int64_t{1}
                                 << 32;  // done_ns = phase * stride + k

TEST(CompletionStress, StaleAndDuplicateCompletionsNeverLeakIntoTheNextPhase) {
  CompletionTracker tracker;
  constexpr int kThreads = 4;
  constexpr int kPhases = 60;
  constexpr uint64_t kSamples = 512;

  // Ids of the current and all earlier phases, for completers to draw from.
  std::mutex ids_mu;
  std::vector<std::pair<ResponseId, int64_t>> ids;  // id, its phase
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> claimed_total{0};

  std::vector<std::thread> pool;
  for (int t = 0; t < kThreads; ++t) {
    pool.emplace_back([&, t] {
      std::mt19937_64 rng(t);
      std::vector<std::pair<ResponseId, int64_t>> batch;
      while (!stop.load(std::memory_order_relaxed)) {
        batch.clear();
        {
          std::lock_guard<std::mutex> lock(ids_mu);
          if (ids.empty()) continue;
          for (int k = 0; k < 16; ++k) {
            // Mostly recent ids (duplicates included), sometimes stale ones.
            const size_t n = ids.size();
            const size_t i =
                (rng() % 4 == 0)
                    ? rng() % n
                    : n - 1 - rng() % std::min<size_t>(n, kSamples);
            batch.push_back(ids[i]);
          }
          // A garbage id now and then.
          batch.emplace_back(static_cast<ResponseId>(rng()), -1);
        }
        CompletionGate::Pass pass;
        uint64_t done = 0;
        for (const auto& [id, phase] : batch) {
          CompletionTracker::Claimed claimed;
          // The completion time says which phase's id claimed the slot.
          const int64_t stamp = (phase < 0 ? 0 : phase) * kPhaseStride + 1;
          if (tracker.ClaimSample(id, stamp, 0, &claimed) ==
              CompletionTracker::Claim::kOk) {
            ++done;
          }
        }
        tracker.Finish(done);
        claimed_total.fetch_add(done, std::memory_order_relaxed);
      }
    });
  }

  for (int64_t phase = 1; phase <= kPhases; ++phase) {
    tracker.OpenPhase(EffectiveSettings{}, false, 1, 0, 0, Recording{});
    std::vector<QuerySample> q(kSamples);
    for (uint64_t k = 0; k < kSamples; ++k) q[k].index = k;
    tracker.Register(&q, 0, 0, 0, [](uint64_t) { return false; });
    tracker.Publish(kSamples);
    {
      std::lock_guard<std::mutex> lock(ids_mu);
      for (const auto& s : q) ids.emplace_back(s.id, phase);
    }
    // End the phase at a random point while completions keep arriving.
    const auto until = std::chrono::steady_clock::now() +
                       std::chrono::microseconds(200 + phase * 37 % 800);
    while (tracker.completed() < kSamples &&
           std::chrono::steady_clock::now() < until) {
      std::this_thread::yield();
    }
    tracker.ClosePhase();
    const uint64_t completed = tracker.completed();
    uint64_t non_pending = 0;
    std::vector<int64_t> snapshot(kSamples);
    for (uint64_t i = 0; i < kSamples; ++i) {
      const int64_t d = tracker.slot(i).done_ns.load();
      snapshot[i] = d;
      if (IsPending(d)) continue;
      ++non_pending;
      ASSERT_EQ(d / kPhaseStride, phase)
          << "slot " << i << " claimed by an id of phase " << d / kPhaseStride;
    }
    // The counter and the slots agree: each claim counted exactly once.
    ASSERT_EQ(non_pending, completed);
    // Nothing changes once the phase is closed.
    std::this_thread::sleep_for(std::chrono::microseconds(300));
    for (uint64_t i = 0; i < kSamples; ++i) {
      ASSERT_EQ(tracker.slot(i).done_ns.load(), snapshot[i])
          << "slot " << i << " changed after close";
    }
  }
  stop.store(true);
  for (auto& th : pool) th.join();
  EXPECT_GT(claimed_total.load(), 0u);
}

// The same through the public API and a whole Run: threads complete every
// sample twice plus unknown ids, and go on after the test has ended.
class ThreadedSut : public SystemUnderTest {
 public:
  const std::string& Name() override { return name_; }
  void IssueQuery(const std::vector<QuerySample>& samples) override {
    const size_t n = samples.size();
    for (int t = 0; t < 4; ++t) {
      workers_.emplace_back([samples, n, t] {
        for (size_t i = t; i < n; i += 4) {
          QuerySampleResponse r[3] = {{samples[i].id, 0, 0},
                                      {samples[i].id, 0, 0},
                                      {samples[i].id + 7777777, 0, 0}};
          QuerySamplesComplete(r, 3);
        }
        // Stale completions after the end of the phase and the test.
        for (int k = 0; k < 200; ++k) {
          QuerySampleResponse r(samples[k % samples.size()].id, 0, 0);
          QuerySamplesComplete(&r, 1);
        }
      });
    }
  }
  void FlushQueries() override {}
  void Join() {
    for (auto& w : workers_) w.join();
    workers_.clear();
  }

 private:
  std::string name_ = "ThreadedSUT";
  std::vector<std::thread> workers_;
};

TEST(CompletionStress,
     DuplicatesUnknownAndLateIdsFromManyThreadsAreCountedNotFatal) {
  for (int round = 0; round < 3; ++round) {
    ThreadedSut sut;
    TestQsl qsl(64, 64, "SmallQSL");
    TestSettings s = OfflineQueryOf(4000);
    s.watchdog_timeout_ms = 20000;
    LogSettings log = LogsInTemp("loadgen_stress");
    log.enable_trace = false;
    TestResult r = RunTest(&sut, &qsl, s, log, WithoutAuditConfig());
    sut.Join();
    ASSERT_EQ(r.performance.size(), 1u);
    EXPECT_EQ(r.performance[0].samples_completed,
              r.performance[0].samples_issued);
    EXPECT_EQ(r.performance[0].samples_never_completed, 0);
    // Each sample: one duplicate and one unknown id, at least (late ones add
    // more).
    EXPECT_GE(r.num_errors, 2 * r.performance[0].samples_issued);
  }
}

}  // namespace
}  // namespace internal
}  // namespace mlperf

namespace mlperf {
namespace internal {
namespace {

// Streaming mode with a 64-sample window: completers race the issuer, which
// reuses positions as it registers; old ids (reused positions), duplicates
// and garbage arrive all the time. Every sample is counted exactly once,
// and the measurements account for every issued sample.
TEST(CompletionStress, StreamingWindowReuseUnderConcurrentCompletions) {
  CompletionTracker tracker;
  EffectiveSettings s;
  s.scenario = TestScenario::Server;
  Recording rec;
  rec.streaming = true;
  rec.window = 64;
  constexpr uint64_t kSamples = 200000;
  tracker.OpenPhase(s, false, 1, 0, 0, rec);

  std::atomic<uint64_t> published{0};
  std::vector<ResponseId> ids(kSamples);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> claimed_total{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < 3; ++t) {
    pool.emplace_back([&, t] {
      std::mt19937_64 rng(t + 100);
      while (!stop.load(std::memory_order_relaxed)) {
        const uint64_t n = published.load(std::memory_order_acquire);
        if (n == 0) continue;
        CompletionGate::Pass pass;
        uint64_t done = 0;
        for (int k = 0; k < 8; ++k) {
          // Mostly the newest samples; now and then one far behind.
          const uint64_t back = rng() % 8 == 0 ? rng() % n : rng() % 96;
          const uint64_t i = n - 1 - std::min(back, n - 1);
          CompletionTracker::Claimed c;
          if (tracker.ClaimSample(ids[i], 1000 + static_cast<int64_t>(i), 0,
                                  &c) == CompletionTracker::Claim::kOk) {
            ++done;
          }
        }
        CompletionTracker::Claimed c;
        tracker.ClaimSample(static_cast<ResponseId>(rng()), 5, 0, &c);
        tracker.Finish(done);
        claimed_total.fetch_add(done, std::memory_order_relaxed);
      }
    });
  }
  for (uint64_t i = 0; i < kSamples; ++i) {
    std::vector<QuerySample> q(1);
    q[0].index = static_cast<QuerySampleIndex>(i % 1000);
    tracker.Register(&q, i, 0, 0, [](uint64_t) { return false; });
    ids[i] = q[0].id;
    tracker.Publish(i + 1);
    published.store(i + 1, std::memory_order_release);
  }
  // Let the completers finish most of the tail, then close.
  const auto until =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  while (tracker.completed() < kSamples &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::yield();
  }
  stop.store(true);
  for (auto& th : pool) th.join();
  tracker.ClosePhase();
  int64_t last_done = 0;
  RunMeasurements m = tracker.Collect(kSamples, kSamples, &last_done);
  EXPECT_EQ(m.record_mode, "streaming");
  EXPECT_EQ(claimed_total.load(), tracker.completed());
  EXPECT_EQ(m.sample_latencies.size(), tracker.completed());
  EXPECT_EQ(m.sample_latencies.size() + m.samples_never_completed, kSamples);
  EXPECT_GT(m.stragglers, 0u);
}

}  // namespace
}  // namespace internal
}  // namespace mlperf
