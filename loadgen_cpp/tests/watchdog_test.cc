// The watchdog's limit: derived from the settings by default, generous enough
// that a SUT which answers at the end of a long Offline query is not ended.
#include <gtest/gtest.h>

#include <cstdint>

#include "settings_internal.h"

namespace mlperf {
namespace internal {
namespace {

constexpr int64_t kSecondNs = 1000000000;

EffectiveSettings Derived(TestScenario scenario,
                          TestSettings s = TestSettings()) {
  s.scenario = scenario;
  return DeriveSettings(s, 100000, 100000);
}

TEST(Watchdog, ExplicitValueIsUsedAndZeroTurnsItOff) {
  TestSettings s;
  s.watchdog_timeout_ms = 1500;
  EXPECT_EQ(WatchdogTimeoutNs(Derived(TestScenario::Offline, s), 33000),
            1500 * int64_t{1000000});
  s.watchdog_timeout_ms = 0;
  EXPECT_EQ(WatchdogTimeoutNs(Derived(TestScenario::Server, s), 1), 0);
}

TEST(Watchdog, DefaultDerivesFromTheSettings) {
  EXPECT_EQ(TestSettings().watchdog_timeout_ms, kWatchdogFromSettings);
  // Never below the floor, whatever the settings say.
  EXPECT_EQ(WatchdogTimeoutNs(Derived(TestScenario::SingleStream), 1),
            kWatchdogFloorNs);
  // SingleStream: 10 x the expected latency once that exceeds the floor.
  TestSettings slow;
  slow.single_stream_expected_latency_ns = 120.0 * kSecondNs;
  EXPECT_EQ(WatchdogTimeoutNs(Derived(TestScenario::SingleStream, slow), 1),
            1200 * kSecondNs);
  // Server: the target latency counts when it is longer than the gap.
  TestSettings server;
  server.server_target_qps = 1000;
  server.server_target_latency_ns = 300 * kSecondNs;
  EXPECT_EQ(WatchdogTimeoutNs(Derived(TestScenario::Server, server), 1),
            3000 * kSecondNs);
}

TEST(Watchdog, OfflineSutAnsweringAtTheEndOfItsQueryIsNotEnded) {
  // The SUT: three workers each sleep through a third of 33,000
  // samples at 20 ms each, then complete them: 220 s without a completion.
  // At the throughput it states (150 samples/s), the query takes 220 s; the
  // watchdog allows ten times that.
  TestSettings s;
  s.offline_expected_qps = 150;
  const int64_t silent_ns = 11000 * 20 * int64_t{1000000};
  const int64_t limit =
      WatchdogTimeoutNs(Derived(TestScenario::Offline, s), 33000);
  EXPECT_GE(limit, 10 * silent_ns);
  // With the default offline_expected_qps (1) the limit is 33,000 s x 10.
  EXPECT_GE(WatchdogTimeoutNs(Derived(TestScenario::Offline), 33000),
            330000 * kSecondNs);
}

TEST(Watchdog, HugeValuesDoNotOverflow) {
  TestSettings s;
  s.watchdog_timeout_ms = kWatchdogFromSettings - 1;
  EXPECT_GT(WatchdogTimeoutNs(Derived(TestScenario::Offline, s), 1), 0);
  TestSettings tiny_qps;
  tiny_qps.offline_expected_qps = 1e-300;
  EXPECT_GT(
      WatchdogTimeoutNs(Derived(TestScenario::Offline, tiny_qps), 1u << 30), 0);
}

}  // namespace
}  // namespace internal
}  // namespace mlperf
