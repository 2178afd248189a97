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
    RunMeasurements m = ctx->run_phase(s, set, /*accuracy=*/true, nullptr);
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
                                     const EffectiveSettings& s, bool report,
                                     PeakProbe* probe) {
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
  RunMeasurements m = ctx->run_phase(s, set, /*accuracy=*/false, probe);
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
                    const ProbeOutcome& base_outcome, const Probe& probe,
                    const std::function<void(const std::string&)>& note,
                    const std::function<bool()>& aborting) {
  PeakSearch out;
  EffectiveSettings lower = base;
  PerformanceResult lower_r = base_outcome.result;
  const double step = base.requested.server_find_peak_qps_boundary_step_size;
  EffectiveSettings upper;
  // Widen geometrically until a probe fails.
  while (true) {
    upper = WithTargetQps(lower, lower.target_qps * (1.0 + step));
    note("FindBoundaries: Checking fields [" + Field(lower) + ", " +
         Field(upper) + ")");
    ProbeOutcome uo = probe(upper);
    if (aborting()) return out;
    if (!uo.passed) break;
    lower = upper;
    lower_r = std::move(uo.result);
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
    ProbeOutcome mo = probe(mid);
    if (aborting()) return out;
    if (mo.passed) {
      lower = mid;
      lower_r = std::move(mo.result);
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

namespace {

// One probe: a performance run at s.target_qps that stops once decided; its
// result and record go into the test's result, a line into the detail log.
ProbeOutcome RunProbe(ModeContext* ctx, const EffectiveSettings& s) {
  PeakProbe rec;
  rec.target_qps = s.target_qps;
  const int64_t t0 = ctx->clock->NowNs();
  PerformanceResult r = RunPerformanceMode(ctx, s, false, &rec);
  rec.seconds = static_cast<double>(ctx->clock->NowNs() - t0) / 1e9;
  rec.queries_issued = r.queries_issued;
  rec.queries_completed = r.samples_completed;  // Server: a sample a query
  const std::string pct = StreamString(s.target_latency_percentile * 100);
  if (rec.decided_by.empty()) {
    rec.decided_by = "duration";
    rec.passed = r.perf_constraints_met && !ctx->control->Aborting();
    rec.decided_queries = r.queries_issued;
    rec.overlatency_queries = r.overlatency_query_count;
    rec.reason = std::string(r.early_end_reason.empty()
                                 ? "ran its full duration"
                                 : "ended early (" + r.early_end_reason + ")") +
                 ": the " + pct + "th percentile latency is " +
                 (r.perf_constraints_met ? "within" : "over") + " the bound";
  } else {
    r.invalid_reasons.insert(
        r.invalid_reasons.begin(),
        "A peak-search probe, not an official performance run: it stopped "
        "once its verdict was decided (" +
            std::string(rec.passed ? "PASS" : "FAIL") + ": " + rec.reason +
            ").");
  }
  ctx->detail->Add(
      "generic_message",
      JsonString("FindPeakPerformance probe " +
                 std::to_string(ctx->result->peak_probes.size()) + ": " +
                 Field(s) + ": " + (rec.passed ? "PASS" : "FAIL") +
                 ", decided by " + rec.decided_by + " after " +
                 std::to_string(rec.queries_issued) + " of " +
                 std::to_string(rec.full_probe_queries) + " queries, " +
                 FixedString(rec.seconds, 3) + " s: " + rec.reason),
      ctx->clock->NowNs());
  ctx->result->performance.push_back(r);
  ctx->result->peak_probes.push_back(rec);
  return ProbeOutcome{std::move(r), rec.passed};
}

}  // namespace

void RunFindPeakMode(ModeContext* ctx, const EffectiveSettings& base) {
  Note(ctx, "Starting FindPeakPerformance mode");
  const TestSettings& t = base.requested;
  const bool early = t.server_find_peak_stop_early && !base.use_token_latencies;
  Note(ctx,
       std::string("FindPeakPerformance: peak-search probes are not official "
                   "performance runs; run PerformanceOnly at the peak for a "
                   "result. ") +
           (early ? "Each probe stops once its verdict is decided: FAIL as "
                    "soon as more queries are over the latency bound than a "
                    "full probe allows; after " +
                        StreamString(t.server_find_peak_min_probe_fraction *
                                     100) +
                        "% of a full probe's queries, PASS once early "
                        "stopping certifies the percentile, or FAIL once the "
                        "binomial bound does."
                  : "Each probe runs its full duration."));
  Note(ctx, "FindPeakPerformance: Check validity of the base settings field: " +
                Field(base));
  const ProbeOutcome base_o = RunProbe(ctx, base);
  if (ctx->control->Aborting()) return;
  if (!base_o.passed) {
    ctx->control->AddError(
        "error_runtime",
        "FindPeakPerformance: Initial lower bound does not satisfy "
        "performance constraints, msg: Reduce target QPS to improve latency.");
    Report(ctx, base_o.result, base);
    return;
  }
  const PeakSearch peak = FindPeak(
      base, base_o,
      [ctx](const EffectiveSettings& s) { return RunProbe(ctx, s); },
      [ctx](const std::string& text) { Note(ctx, text); },
      [ctx] { return ctx->control->Aborting(); });
  if (!peak.finished) return;
  ctx->result->peak_qps = peak.peak.target_qps;
  Report(ctx, peak.peak_result, peak.peak);
}

}  // namespace internal
}  // namespace mlperf
