// null_sut.cc: a native SUT and QSL (null_qsl.h) that do no work, run
// through LoadGen.
//
// It answers every sample at once from IssueQuery, so what it measures is
// LoadGen's own overhead; it is also the smallest complete example of the
// C++ API. It uses only the reference-compatible headers and spellings
// (#include "loadgen.h", mlperf::StartTest's arguments), plus the extension
// mlperf::RunTest, which returns the verdict as data.
//
//   loadgen_null_sut Server --qps 2000 --duration-ms 1000 --outdir logs
//
// It prints the wall time of the RunTest call ("wall_s:") and, on Linux, the
// process's peak resident memory ("peak_rss_kib:"), which is what
// benchmarks/loadgen/bench.py reads besides the logs.
//
// Exit status: 0 when the test ran (whatever its verdict; with
// --require-valid, only when it was VALID), 1 when LoadGen refused to run or
// failed, 2 for a bad command line, 3 for an INVALID result under
// --require-valid.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "loadgen.h"
#include "null_qsl.h"
#include "query_sample_library.h"
#include "system_under_test.h"
#include "test_settings.h"

namespace {

// Completes each sample as soon as it is issued, with no response data.
class NullSut : public mlperf::SystemUnderTest {
 public:
  // Responses are handed over in batches of at most this many, so the
  // buffer stays small however large a query is (an Offline query holds
  // every sample of the test): the SUT's memory is then constant and the
  // growth of the process with the sample count is LoadGen's own.
  static constexpr size_t kMaxBatch = size_t{1} << 16;

  const std::string& Name() override { return name_; }

  void IssueQuery(const std::vector<mlperf::QuerySample>& samples) override {
    // IssueQuery is never called concurrently (system_under_test.h), so one
    // reused buffer is safe and keeps allocation off the issue path.
    for (size_t begin = 0; begin < samples.size(); begin += kMaxBatch) {
      const size_t end = std::min(samples.size(), begin + kMaxBatch);
      responses_.clear();
      for (size_t i = begin; i < end; ++i) {
        responses_.emplace_back(samples[i].id, /*data=*/0, /*size=*/0);
      }
      mlperf::QuerySamplesComplete(responses_.data(), responses_.size());
    }
  }

  void FlushQueries() override {}

 private:
  std::string name_ = "NullSUT";
  std::vector<mlperf::QuerySampleResponse> responses_;
};

struct Options {
  mlperf::TestScenario scenario = mlperf::TestScenario::SingleStream;
  mlperf::TestMode mode = mlperf::TestMode::PerformanceOnly;
  size_t count = 1024;
  double qps = 1000;
  uint64_t duration_ms = 1000;
  uint64_t min_queries = 100;
  std::string outdir = ".";
  std::string user_conf;
  std::string model = "null";
  bool require_valid = false;
  bool trace = true;
  mlperf::TestSettings::RecordMode record_mode =
      mlperf::TestSettings::RecordMode::kAuto;
  uint64_t record_budget_mb = 0;  // 0: the default
};

constexpr char kUsage[] =
    "usage: loadgen_null_sut SCENARIO [options]\n"
    "  SCENARIO            SingleStream | MultiStream | Server | Offline\n"
    "  --mode MODE         performance (default) | accuracy | submission\n"
    "  --count N           samples in the QSL (default 1024)\n"
    "  --qps X             Server target qps and Offline expected qps "
    "(default 1000)\n"
    "  --duration-ms N     minimum test duration (default 1000)\n"
    "  --min-queries N     minimum query count (default 100)\n"
    "  --outdir DIR        where the logs go (default .)\n"
    "  --user-conf PATH    apply a user.conf after the options above\n"
    "  --model NAME        the model name looked up in --user-conf "
    "(default null)\n"
    "  --no-trace          leave mlperf_log_trace.json empty\n"
    "  --record-mode MODE  auto (default) | exact | streaming: how latencies\n"
    "                      are recorded (docs/design.md, Bounded memory)\n"
    "  --record-budget-mb N  auto mode's budget for exact records\n"
    "  --require-valid     exit 3 unless the result is VALID\n";

[[noreturn]] void UsageError(const std::string& message) {
  std::fprintf(stderr, "loadgen_null_sut: %s (see --help)\n", message.c_str());
  std::exit(2);
}

template <typename T>
T ParseNumber(const std::string& flag, const std::string& text) {
  try {
    size_t used = 0;
    T value;
    if constexpr (std::is_floating_point_v<T>) {
      value = static_cast<T>(std::stod(text, &used));
    } else {
      if (!text.empty() && text[0] == '-') throw std::invalid_argument(text);
      value = static_cast<T>(std::stoull(text, &used));
    }
    if (used != text.size()) throw std::invalid_argument(text);
    return value;
  } catch (const std::exception&) {
    UsageError(flag + " needs a non-negative number, not '" + text + "'");
  }
}

Options ParseArgs(int argc, char** argv) {
  static const std::map<std::string, mlperf::TestScenario> kScenarios = {
      {"SingleStream", mlperf::TestScenario::SingleStream},
      {"MultiStream", mlperf::TestScenario::MultiStream},
      {"Server", mlperf::TestScenario::Server},
      {"Offline", mlperf::TestScenario::Offline}};
  static const std::map<std::string, mlperf::TestMode> kModes = {
      {"performance", mlperf::TestMode::PerformanceOnly},
      {"accuracy", mlperf::TestMode::AccuracyOnly},
      {"submission", mlperf::TestMode::SubmissionRun}};

  Options o;
  bool have_scenario = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (arg == "--require-valid") {
      o.require_valid = true;
      continue;
    }
    if (arg == "--no-trace") {
      o.trace = false;
      continue;
    }
    if (arg.rfind("--", 0) == 0) {
      if (i + 1 >= argc) UsageError(arg + " needs a value");
      const std::string value = argv[++i];
      if (arg == "--mode") {
        auto it = kModes.find(value);
        if (it == kModes.end()) UsageError("unknown mode '" + value + "'");
        o.mode = it->second;
      } else if (arg == "--count") {
        o.count = ParseNumber<size_t>(arg, value);
      } else if (arg == "--qps") {
        o.qps = ParseNumber<double>(arg, value);
      } else if (arg == "--duration-ms") {
        o.duration_ms = ParseNumber<uint64_t>(arg, value);
      } else if (arg == "--min-queries") {
        o.min_queries = ParseNumber<uint64_t>(arg, value);
      } else if (arg == "--outdir") {
        o.outdir = value;
      } else if (arg == "--user-conf") {
        o.user_conf = value;
      } else if (arg == "--model") {
        o.model = value;
      } else if (arg == "--record-mode") {
        using M = mlperf::TestSettings::RecordMode;
        static const std::map<std::string, M> kRecordModes = {
            {"auto", M::kAuto},
            {"exact", M::kExact},
            {"streaming", M::kStreaming}};
        auto it = kRecordModes.find(value);
        if (it == kRecordModes.end())
          UsageError("unknown record mode '" + value + "'");
        o.record_mode = it->second;
      } else if (arg == "--record-budget-mb") {
        o.record_budget_mb = ParseNumber<uint64_t>(arg, value);
      } else {
        UsageError("unknown option '" + arg + "'");
      }
      continue;
    }
    if (have_scenario) UsageError("unexpected argument '" + arg + "'");
    auto it = kScenarios.find(arg);
    if (it == kScenarios.end()) UsageError("unknown scenario '" + arg + "'");
    o.scenario = it->second;
    have_scenario = true;
  }
  if (!have_scenario) UsageError("the scenario is missing");
  return o;
}

// The peak resident set of this program in KiB, or -1 where unknown. It
// reads VmHWM rather than getrusage's ru_maxrss, which on Linux keeps the
// high-water mark of the process that spawned this one across exec.
long long PeakRssKib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmHWM:") {
      long long kib = -1;
      status >> kib;
      return kib;
    }
    status.ignore(1 << 20, '\n');
  }
  return -1;
}

const char* ScenarioName(mlperf::TestScenario s) {
  constexpr const char* kNames[] = {"SingleStream", "MultiStream", "Server",
                                    "Offline"};
  return kNames[static_cast<int>(s)];
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = ParseArgs(argc, argv);

  mlperf::TestSettings settings;
  settings.scenario = o.scenario;
  settings.mode = o.mode;
  settings.server_target_qps = o.qps;
  settings.offline_expected_qps = o.qps;
  settings.min_duration_ms = o.duration_ms;
  settings.min_query_count = o.min_queries;
  settings.record_mode = o.record_mode;
  if (o.record_budget_mb != 0)
    settings.exact_record_budget_bytes = o.record_budget_mb << 20;
  if (!o.user_conf.empty() &&
      settings.FromConfig(o.user_conf, o.model, ScenarioName(o.scenario)) !=
          0) {
    std::fprintf(stderr, "loadgen_null_sut: could not apply %s\n",
                 o.user_conf.c_str());
    return 1;
  }

  mlperf::LogSettings log_settings;
  log_settings.log_output.outdir = o.outdir;
  log_settings.enable_trace = o.trace;

  NullSut sut;
  NullQsl qsl(o.count);
  mlperf::TestResult result;
  const auto t0 = std::chrono::steady_clock::now();
  try {
    // The reference's equivalent, without the returned result:
    //   mlperf::StartTest(&sut, &qsl, settings, log_settings);
    result = mlperf::RunTest(&sut, &qsl, settings, log_settings);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "loadgen_null_sut: %s\n", e.what());
    return 1;
  }
  const std::chrono::duration<double> wall =
      std::chrono::steady_clock::now() - t0;

  std::printf("scenario: %s\n", ScenarioName(o.scenario));
  std::printf("wall_s: %.6f\n", wall.count());
  if (const long long kib = PeakRssKib(); kib >= 0) {
    std::printf("peak_rss_kib: %lld\n", kib);
  }
  bool valid = !result.aborted;
  if (result.has_accuracy) {
    std::printf("accuracy samples: %lld issued, %lld completed\n",
                static_cast<long long>(result.accuracy_samples_issued),
                static_cast<long long>(result.accuracy_samples_completed));
  }
  for (const mlperf::PerformanceResult& p : result.performance) {
    std::printf("result: %s  %s = %g  (%lld samples)\n",
                p.valid ? "VALID" : "INVALID", p.metric_name.c_str(), p.metric,
                static_cast<long long>(p.samples_completed));
    std::printf("records: %s (from sample %lld, %lld stragglers)\n",
                p.record_mode.c_str(),
                static_cast<long long>(p.streaming_from_sample),
                static_cast<long long>(p.stragglers));
    for (const std::string& reason : p.invalid_reasons) {
      std::printf("  invalid: %s\n", reason.c_str());
    }
  }
  if (!result.performance.empty())
    valid = valid && result.performance.back().valid;
  if (result.aborted) std::printf("aborted: %s\n", result.abort_reason.c_str());
  std::printf("errors: %lld\n", static_cast<long long>(result.num_errors));
  std::printf("summary: %s\n", result.summary_path.c_str());
  if (o.require_valid && !valid) return 3;
  return 0;
}
