#include "test_modes.h"

#include <chrono>
#include <cmath>
#include <iostream>

#include "json_writer.h"
#include "renderers.h"

namespace mlperf {
namespace internal {

namespace {

void Note(ModeContext* ctx, const std::string& text) {
  ctx->detail->Add("generic_message", JsonString(text), ctx->clock->NowNs());
}

void Report(ModeContext* ctx, const PerformanceResult& r,
            const EffectiveSettings& s) {
  *ctx->summary_text += FormatSummary(r, s, ctx->sut_name);
  LogResultRecords(ctx->detail, r, s, ctx->clock->NowNs());
}

}  // namespace

void RunAccuracyMode(ModeContext* ctx, const EffectiveSettings& s) {
  Note(ctx, "Starting accuracy mode");
  RunControl* control = ctx->control;
  for (const auto& set : GenerateLoadableSets(s, s.accuracy_sample_count)) {
    if (control->Aborting()) break;
    ctx->detail->Add("loaded_qsl_set", JsonIntList(set.set),
                     ctx->clock->NowNs());
    if (!control->CallSafely("QuerySampleLibrary::LoadSamplesToRam",
                             [&] { ctx->qsl->LoadSamplesToRam(set.set); })) {
      break;
    }
    RunMeasurements m = ctx->run_phase(s, set, /*accuracy=*/true);
    ctx->result->accuracy_samples_issued +=
        static_cast<int64_t>(m.samples_issued);
    ctx->result->accuracy_samples_completed +=
        static_cast<int64_t>(m.samples_issued - m.samples_never_completed);
    control->CallSafely("QuerySampleLibrary::UnloadSamplesFromRam",
                        [&] { ctx->qsl->UnloadSamplesFromRam(set.set); });
  }
  ctx->result->has_accuracy = true;
}

PerformanceResult RunPerformanceMode(ModeContext* ctx,
                                     const EffectiveSettings& s, bool report) {
  Note(ctx, "Starting performance mode");
  RunControl* control = ctx->control;
  auto sets = GenerateLoadableSets(s, s.performance_sample_count);
  const LoadableSet& set = sets.front();
  ctx->detail->Add("loaded_qsl_set", JsonIntList(set.set), ctx->clock->NowNs());
  PerformanceResult r;
  r.scenario = ToString(s.scenario);
  if (!control->CallSafely("QuerySampleLibrary::LoadSamplesToRam",
                           [&] { ctx->qsl->LoadSamplesToRam(set.set); })) {
    r.invalid_reasons.push_back("The test was aborted: " +
                                control->AbortReason());
    return r;
  }
  // print_timestamps: wall-clock bounds of the timed part, for power
  // measurement tooling (same lines as the reference prints).
  const auto wall_start = std::chrono::system_clock::now();
  const int64_t perf_start_ns = RealNowNs();
  if (s.print_timestamps) {
    std::cout << "Loadgen :: Perf mode start. system_clock Timestamp = "
              << std::chrono::system_clock::to_time_t(wall_start) << "\n"
              << std::flush;
  }
  RunMeasurements m = ctx->run_phase(s, set, /*accuracy=*/false);
  if (s.print_timestamps) {
    std::cout << "Loadgen :: Perf mode stop. system_clock Timestamp = "
              << std::chrono::system_clock::to_time_t(
                     std::chrono::system_clock::now())
              << "\n"
              << "Loadgen :: PerfClock Perf duration = "
              << (RealNowNs() - perf_start_ns) / 1000000 << "ms\n"
              << std::flush;
  }
  control->CallSafely("QuerySampleLibrary::UnloadSamplesFromRam",
                      [&] { ctx->qsl->UnloadSamplesFromRam(set.set); });
  r = Summarize(&m);
  if (control->Aborting()) {
    r.valid = false;
    r.invalid_reasons.push_back("The test was aborted: " +
                                control->AbortReason());
  }
  if (report) Report(ctx, r, s);
  return r;
}

namespace {
std::string Field(const EffectiveSettings& s) {
  return "target_qps : " + StreamString(s.target_qps);
}
}  // namespace

PeakSearch FindPeak(const EffectiveSettings& base,
                    const PerformanceResult& base_result, const Probe& probe,
                    const std::function<void(const std::string&)>& note,
                    const std::function<bool()>& aborting) {
  PeakSearch out;
  EffectiveSettings lower = base;
  PerformanceResult lower_r = base_result;
  const double step = base.requested.server_find_peak_qps_boundary_step_size;
  EffectiveSettings upper;
  // Widen geometrically until a probe fails.
  while (true) {
    upper = WithTargetQps(lower, lower.target_qps * (1.0 + step));
    note("FindBoundaries: Checking fields [" + Field(lower) + ", " +
         Field(upper) + ")");
    PerformanceResult ur = probe(upper);
    if (aborting()) return out;
    if (!ur.perf_constraints_met) break;
    lower = upper;
    lower_r = ur;
  }
  note("FindPeakPerformance: Found boundaries: [" + Field(lower) + ", " +
       Field(upper) + ")");
  // Bisect until the bounds agree to the requested decimals.
  const double scale =
      std::pow(10.0, base.requested.server_find_peak_qps_decimals_of_precision);
  while (std::floor(lower.target_qps * scale) + 1 <
         std::floor(upper.target_qps * scale)) {
    EffectiveSettings mid =
        WithTargetQps(lower, (lower.target_qps + upper.target_qps) / 2.0);
    note("FindPeakPerformanceBinarySearch: Testing the mid value of bounds [" +
         Field(lower) + ", " + Field(upper) + "): " + Field(mid));
    PerformanceResult mr = probe(mid);
    if (aborting()) return out;
    if (mr.perf_constraints_met) {
      lower = mid;
      lower_r = mr;
    } else {
      upper = mid;
    }
  }
  note("FindPeakPerformance: Found peak performance field: " + Field(lower));
  out.finished = true;
  out.peak = lower;
  out.peak_result = lower_r;
  return out;
}

void RunFindPeakMode(ModeContext* ctx, const EffectiveSettings& base) {
  Note(ctx, "Starting FindPeakPerformance mode");
  Note(ctx, "FindPeakPerformance: Check validity of the base settings field: " +
                Field(base));
  PerformanceResult base_r = RunPerformanceMode(ctx, base, false);
  ctx->result->performance.push_back(base_r);
  if (ctx->control->Aborting()) return;
  if (!base_r.perf_constraints_met) {
    ctx->control->AddError(
        "error_runtime",
        "FindPeakPerformance: Initial lower bound does not satisfy "
        "performance constraints, msg: Reduce target QPS to improve latency.");
    Report(ctx, base_r, base);
    return;
  }
  const PeakSearch peak = FindPeak(
      base, base_r,
      [ctx](const EffectiveSettings& s) {
        PerformanceResult r = RunPerformanceMode(ctx, s, false);
        ctx->result->performance.push_back(r);
        return r;
      },
      [ctx](const std::string& text) { Note(ctx, text); },
      [ctx] { return ctx->control->Aborting(); });
  if (!peak.finished) return;
  ctx->result->peak_qps = peak.peak.target_qps;
  Report(ctx, peak.peak_result, peak.peak);
}

}  // namespace internal
}  // namespace mlperf
