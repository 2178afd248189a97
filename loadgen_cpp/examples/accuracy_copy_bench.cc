// accuracy_copy_bench.cc: what checking response addresses costs (issue 20).
//
// An AccuracyOnly test of 1M samples (every response is logged, 8 bytes
// each); the SUT completes them from IssueQuery in calls of --batch
// responses. The same test runs with the checked copy (process_vm_readv,
// safe_copy.h) and with plain memcpy, alternating, --repeat times each; it
// prints the median time of the completion calls and of the whole RunTest.
//
//   loadgen_accuracy_copy_bench [--samples N] [--batch B] [--repeat R]
//                               [--layout same|array|pages]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "../src/safe_copy.h"  // SetCheckedCopyForBenchmark (internal)
#include "loadgen.h"
#include "null_qsl.h"

namespace {

using Clock = std::chrono::steady_clock;

class DataSut : public mlperf::SystemUnderTest {
 public:
  // layout: "same" (every response points at one 8-byte buffer), "array"
  // (response k at offset 8k of one array: a batch's output tensor), "pages"
  // (response k on its own 4 KiB page, cycling over 64 MiB: the worst case).
  DataSut(size_t batch, const std::string& layout, size_t samples)
      : batch_(batch), layout_(layout) {
    if (layout == "array") buffer_.assign(samples * 8, 'a');
    if (layout == "pages") buffer_.assign(size_t{64} << 20, 'p');
  }
  const char* DataOf(size_t k) const {
    if (layout_ == "array") return buffer_.data() + 8 * k;
    if (layout_ == "pages") return buffer_.data() + (k * 4096) % buffer_.size();
    return data_;
  }
  const std::string& Name() override { return name_; }
  void IssueQuery(const std::vector<mlperf::QuerySample>& samples) override {
    const auto t0 = Clock::now();
    std::vector<mlperf::QuerySampleResponse> r;
    r.reserve(batch_);
    for (size_t i = 0; i < samples.size(); i += batch_) {
      r.clear();
      const size_t e = std::min(samples.size(), i + batch_);
      for (size_t k = i; k < e; ++k) {
        r.emplace_back(samples[k].id, reinterpret_cast<uintptr_t>(DataOf(k)),
                       8);
      }
      mlperf::QuerySamplesComplete(r.data(), r.size());
    }
    complete_s += std::chrono::duration<double>(Clock::now() - t0).count();
  }
  void FlushQueries() override {}
  double complete_s = 0;

 private:
  std::string name_ = "DataSUT";
  size_t batch_;
  std::string layout_;
  std::vector<char> buffer_;
  const char data_[8] = {'r', 'e', 's', 'p', 'o', 'n', 's', 'e'};
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  size_t samples = 1000000, batch = 1000;
  int repeat = 3;
  std::string layout = "array";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--samples") {
      samples = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (a == "--batch") {
      batch = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (a == "--layout") {
      layout = argv[i + 1];
    } else if (a == "--repeat") {
      repeat = std::atoi(argv[i + 1]);
    } else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  std::vector<double> complete[2], total[2];
  for (int r = 0; r < repeat; ++r) {
    for (int checked = 1; checked >= 0; --checked) {
      mlperf::internal::SetCheckedCopyForBenchmark(checked == 1);
      DataSut sut(batch, layout, samples);
      NullQsl qsl(samples, "Qsl");
      mlperf::TestSettings s;
      s.scenario = mlperf::TestScenario::Offline;
      s.mode = mlperf::TestMode::AccuracyOnly;
      mlperf::LogSettings log;
      log.log_output.outdir = "/tmp/loadgen_accuracy_copy_bench";
      log.enable_trace = false;
      mlperf::RunOptions options;
      options.audit_config_filename = "";
      const auto t0 = Clock::now();
      const mlperf::TestResult res =
          mlperf::RunTest(&sut, &qsl, s, log, options);
      total[checked].push_back(
          std::chrono::duration<double>(Clock::now() - t0).count());
      complete[checked].push_back(sut.complete_s);
      if (res.num_errors != 0 ||
          res.accuracy_samples_completed != static_cast<int64_t>(samples)) {
        std::fprintf(stderr, "unexpected result: %lld errors\n",
                     static_cast<long long>(res.num_errors));
        return 1;
      }
    }
  }
  std::printf(
      "| copy | completion calls (s) | whole accuracy run (s) |\n"
      "|---|---|---|\n");
  std::printf("| memcpy | %.3f | %.3f |\n", Median(complete[0]),
              Median(total[0]));
  std::printf("| process_vm_readv | %.3f | %.3f |\n", Median(complete[1]),
              Median(total[1]));
  std::printf("| checked / memcpy | %.2fx | %.2fx |\n",
              Median(complete[1]) / Median(complete[0]),
              Median(total[1]) / Median(total[0]));
  return 0;
}
