#include "issuer.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "check.h"
#include "peak_probe.h"

namespace mlperf {
namespace internal {

namespace {

// Stops issuing before the minimums are met: `reason` is the run's
// early_end_reason and, as the reference logs it, an error_runtime record
// with `details`.
void EndEarly(RunControl* control, RunMeasurements* m,
              const std::string& reason, const std::string& details) {
  m->early_end_reason = reason;
  control->AddError("error_runtime", "IssueQueryThread 0 Ending early: " +
                                         reason + ". " + details);
}

// The pace of one scenario. Next() fetches the next query and waits until it
// may be issued; Coalesce() may merge further due queries into the same
// IssueQuery call; EndsAfter() applies the scenario's own end rule after
// each call (the limits common to all scenarios are applied by IssuePhase).
class Pacing {
 public:
  Pacing(IssueContext* ctx, const EffectiveSettings& s, QueryGenerator* gen,
         int64_t start)
      : ctx_(ctx), s_(s), gen_(gen), start_(start) {}
  virtual ~Pacing() = default;

  // Sets *scheduled_ns (the latency origin) and *now_ns (the issue time).
  // False: stop issuing (end of the stream, an abort, a failed wait).
  virtual bool Next(std::vector<QuerySample>* query, uint64_t samples_so_far,
                    int64_t* scheduled_ns, int64_t* now_ns) = 0;
  // Appends queries that are already due to `query`, registering each with
  // `reg(query, scheduled_ns)`; returns how many queries the call holds.
  using RegisterFn = std::function<void(std::vector<QuerySample>*, int64_t)>;
  virtual uint64_t Coalesce(std::vector<QuerySample>* query, int64_t now_ns,
                            const RegisterFn& reg) {
    return 1;
  }
  // The default (SingleStream, MultiStream, Offline): both minimums met.
  virtual bool EndsAfter(uint64_t queries, int64_t duration_ns,
                         RunMeasurements*) {
    if (queries >= s_.min_query_count &&
        duration_ns >= s_.target_duration_ms * 1000000) {
      ctx_->detail->Add(
          "generic_message",
          JsonString(
              "Ending naturally: Minimum query count and test duration met."),
          ctx_->clock->NowNs());
      return true;
    }
    return false;
  }
  // Frees what the pacing holds once issuing has ended.
  virtual void Release() {}

 protected:
  // `sched_rel` (the query's scheduled time from the start): where wanted.
  bool Generate(std::vector<QuerySample>* q, int64_t* sched_rel = nullptr) {
    int64_t unused = 0;
    if (sched_rel == nullptr) sched_rel = &unused;
    bool more = false;
    if (!ctx_->control->CallSafely("query generation",
                                   [&] { more = gen_->Next(q, sched_rel); })) {
      return false;
    }
    return more;
  }

  IssueContext* ctx_;
  const EffectiveSettings& s_;
  QueryGenerator* gen_;
  const int64_t start_;
};

// SingleStream, MultiStream: the next query once the previous one completed.
class ClosedLoopPacing final : public Pacing {
 public:
  ClosedLoopPacing(IssueContext* ctx, const EffectiveSettings& s,
                   QueryGenerator* gen, int64_t start, const WaitLimits& limits)
      : Pacing(ctx, s, gen, start), limits_(limits) {}
  bool Next(std::vector<QuerySample>* query, uint64_t samples_so_far,
            int64_t* scheduled_ns, int64_t* now_ns) override {
    if (!Generate(query)) return false;
    if (samples_so_far > 0 &&
        !ctx_->control->WaitForCompleted(samples_so_far, false, limits_)) {
      return false;
    }
    *now_ns = ctx_->clock->NowNs();
    *scheduled_ns = *now_ns;
    return true;
  }

 private:
  const WaitLimits limits_;
};

// Offline: its one query at once.
class OfflinePacing final : public Pacing {
 public:
  using Pacing::Pacing;
  bool Next(std::vector<QuerySample>* query, uint64_t, int64_t* scheduled_ns,
            int64_t* now_ns) override {
    if (!Generate(query)) return false;
    *scheduled_ns = start_;
    *now_ns = ctx_->clock->NowNs();
    return true;
  }
};

// Server: each query at its scheduled time; with server_coalesce_queries,
// every query already due joins the call (each keeps its own scheduled time
// as its latency origin).
class ServerPacing final : public Pacing {
 public:
  using Pacing::Pacing;
  bool Next(std::vector<QuerySample>* query, uint64_t, int64_t* scheduled_ns,
            int64_t* now_ns) override {
    int64_t sched_rel = 0;
    if (have_stash_) {
      query->swap(stash_);
      sched_rel = stash_sched_rel_;
      have_stash_ = false;
    } else if (!Generate(query, &sched_rel)) {
      return false;
    }
    const int64_t sched_abs = start_ + sched_rel;
    RunControl* control = ctx_->control;
    // Sleep in slices so the poll hook and aborts are served.
    while (true) {
      const int64_t now = ctx_->clock->NowNs();
      if (now >= sched_abs || control->Aborting()) break;
      const int64_t slice = ctx_->options->poll_interval_ms * 1000000;
      ctx_->clock->SleepUntilNs(std::min(sched_abs, now + slice));
      control->PollIfDue();
    }
    if (control->Aborting()) return false;
    *scheduled_ns = sched_abs;
    *now_ns = ctx_->clock->NowNs();
    return true;
  }
  uint64_t Coalesce(std::vector<QuerySample>* query, int64_t now_ns,
                    const RegisterFn& reg) override {
    if (!s_.requested.server_coalesce_queries) return 1;
    uint64_t in_call = 1;
    std::vector<QuerySample> next;
    int64_t next_rel = 0;
    while (Generate(&next, &next_rel)) {
      if (start_ + next_rel > now_ns) {
        stash_.swap(next);
        stash_sched_rel_ = next_rel;
        have_stash_ = true;
        break;
      }
      reg(&next, start_ + next_rel);
      query->insert(query->end(), next.begin(), next.end());
      ++in_call;
    }
    return in_call;
  }
  bool EndsAfter(uint64_t queries, int64_t, RunMeasurements* m) override {
    if (s_.max_async_queries == 0) return false;
    const uint64_t outstanding = queries - ctx_->tracker->completed();
    if (outstanding <= s_.max_async_queries) return false;
    EndEarly(ctx_->control, m, "Too many outstanding queries",
             "issued " + std::to_string(queries) + " outstanding " +
                 std::to_string(outstanding));
    return true;
  }
  void Release() override { std::vector<QuerySample>().swap(stash_); }

 private:
  std::vector<QuerySample> stash_;  // the first query not yet due
  int64_t stash_sched_rel_ = 0;
  bool have_stash_ = false;
};

// The samples the settings make a performance phase issue at least (the
// reference pre-generates this many), for choosing how to record them.
uint64_t ExpectedSamples(const EffectiveSettings& s, uint64_t spq) {
  const double by_time =
      s.target_qps * static_cast<double>(s.min_duration_ms) / 1000.0;
  const double queries =
      std::max(static_cast<double>(s.min_query_count), by_time);
  const double samples = queries * static_cast<double>(spq);
  return samples >= 1.8e19 ? ~uint64_t{0} : static_cast<uint64_t>(samples);
}

}  // namespace

RunMeasurements IssuePhase(IssueContext* ctx, const EffectiveSettings& s,
                           const LoadableSet& set, bool accuracy,
                           PhaseTimes* times) {
  CompletionTracker* tracker = ctx->tracker;
  RunControl* control = ctx->control;
  DetailLog* detail = ctx->detail;
  Clock* clock = ctx->clock;
  RunMeasurements m;

  ctx->accuracy_log->BeginPhase(s, accuracy);
  QueryGenerator gen(s, accuracy, set);
  const uint64_t spq = gen.samples_per_query();
  std::string record_warning;
  Recording recording =
      ChooseRecording(s, accuracy, ExpectedSamples(s, spq), &record_warning);
  recording.trace = ctx->trace;
  if (!record_warning.empty())
    control->AddWarning("warning_generic_message", record_warning);

  // A peak-search probe decides its verdict as it runs (Server latency
  // bound only: token latencies have two bounds, so those probes run their
  // full duration).
  std::unique_ptr<PeakProbeDecider> decider;
  if (ctx->probe != nullptr && !accuracy) {
    const uint64_t full = FullProbeQueries(s, set);
    ctx->probe->full_probe_queries = static_cast<int64_t>(full);
    if (s.scenario == TestScenario::Server && !s.use_token_latencies &&
        s.requested.server_find_peak_stop_early) {
      decider = std::make_unique<PeakProbeDecider>(s, full);
    }
  }

  uint64_t queries = 0;
  uint64_t samples = 0;
  const int64_t start = clock->NowNs();
  tracker->OpenPhase(s, accuracy, spq, ctx->sequence_next, start, recording);
  const auto power_begin = std::chrono::system_clock::now();
  control->RestartPollTimer();
  WaitLimits limits;
  limits.phase_start_real_ns = RealNowNs();
  limits.max_duration_ms = accuracy ? 0 : s.max_duration_ms;
  limits.watchdog_ns = WatchdogTimeoutNs(s, 1);

  std::unique_ptr<Pacing> pacing;
  switch (s.scenario) {
    case TestScenario::SingleStream:
    case TestScenario::MultiStream:
      pacing = std::make_unique<ClosedLoopPacing>(ctx, s, &gen, start, limits);
      break;
    case TestScenario::Server:
      pacing = std::make_unique<ServerPacing>(ctx, s, &gen, start);
      break;
    case TestScenario::Offline:
      pacing = std::make_unique<OfflinePacing>(ctx, s, &gen, start);
      break;
  }
  AccuracyLog* acc = ctx->accuracy_log;
  auto logged = [acc, accuracy](uint64_t) { return acc->Draw(accuracy); };

  std::vector<QuerySample> query;
  uint64_t first = 0;
  int64_t issue_ns = 0;  // one clock read per query
  const Pacing::RegisterFn register_due = [&](std::vector<QuerySample>* next,
                                              int64_t sched) {
    tracker->Register(next, first + query.size(), sched, issue_ns, logged);
  };
  while (!control->Aborting()) {
    int64_t sched_abs = 0;
    int64_t now = 0;
    if (!pacing->Next(&query, samples, &sched_abs, &now)) break;
    first = samples;
    issue_ns = now;
    tracker->Register(&query, first, sched_abs, issue_ns, logged);
    const uint64_t queries_in_call =
        pacing->Coalesce(&query, now, register_due);
    samples += query.size();
    ctx->sequence_next += query.size();
    tracker->Publish(samples);
    control->CallSafely("SystemUnderTest::IssueQuery",
                        [&] { ctx->sut->IssueQuery(query); });
    queries += queries_in_call;
    if (ctx->flush_accuracy_log && tracker->streaming() &&
        (queries & 0xFFFF) < queries_in_call)
      ctx->flush_accuracy_log();
    if (accuracy) {
      control->PollIfDue();
      continue;
    }
    const int64_t duration_ns = now - start;
    if (pacing->EndsAfter(queries, duration_ns, &m)) break;
    if (s.max_query_count != 0 && queries >= s.max_query_count) {
      EndEarly(control, &m, "Max query count reached",
               "query_count " + std::to_string(queries));
      break;
    }
    if (s.max_duration_ms != 0 && duration_ns > s.max_duration_ms * 1000000) {
      EndEarly(control, &m, "Max test duration reached",
               "duration_ns " + std::to_string(duration_ns));
      break;
    }
    if (decider != nullptr) {
      const auto verdict = decider->Check(*tracker, queries, clock->NowNs());
      if (verdict != PeakProbeDecider::Verdict::kUndecided) {
        const bool pass = verdict == PeakProbeDecider::Verdict::kPass;
        m.early_end_reason = std::string("Peak-search probe decided: ") +
                             (pass ? "PASS" : "FAIL");
        detail->Add("generic_message",
                    JsonString("Ending early: peak-search probe decided " +
                               std::string(pass ? "PASS" : "FAIL") + " after " +
                               std::to_string(queries) +
                               " queries: " + decider->record().reason),
                    clock->NowNs());
        break;
      }
    }
    control->PollIfDue();
  }
  if (decider != nullptr) {
    *ctx->probe = decider->record();
    if (!decider->usable()) {
      detail->Add("generic_message",
                  JsonString("Peak-search probe: the latency records fell a "
                             "streaming window behind; it ran its full "
                             "duration."),
                  clock->NowNs());
    }
  }

  // The SUT has had the samples; free the query (Offline: 16 B per sample)
  // before the tail wait and the measurements allocate.
  std::vector<QuerySample>().swap(query);
  pacing->Release();
  detail->Add("generated_query_count", std::to_string(gen.generated_queries()),
              clock->NowNs());
  detail->Add("generated_samples_per_query", std::to_string(spq),
              clock->NowNs());
  detail->Add("generated_query_duration",
              std::to_string(gen.next_timestamp_ns()), clock->NowNs());

  // A SUT whose callback threw may be broken: don't call it again. After
  // other aborts (watchdog, AbortTest) it is still told to flush.
  if (!control->Aborting() || !control->HasException()) {
    control->CallSafely("SystemUnderTest::FlushQueries",
                        [&] { ctx->sut->FlushQueries(); });
  }
  // Wait for the tail.
  limits.watchdog_ns = WatchdogTimeoutNs(s, samples);
  control->WaitForCompleted(samples, true, limits);
  // The reference reports its logger's contention counters here; our
  // recorder has no slot swapping or retries, so they are always 0.
  for (const char* k : {"logger_swap_request_slots_retry_count",
                        "logger_swap_request_slots_retry_retry_count",
                        "logger_swap_request_slots_retry_reencounter_count",
                        "logger_start_reading_entries_retry_count",
                        "logger_tls_total_log_cas_fail_count",
                        "logger_tls_total_swap_buffers_slot_retry_count"}) {
    detail->Add(k, "0", clock->NowNs());
  }

  tracker->ClosePhase();
  int64_t max_done = start;
  const std::string early_end_reason = m.early_end_reason;
  m = tracker->Collect(queries, samples, &max_done);
  m.early_end_reason = early_end_reason;
  {
    // Power measurement window: from the start of issuing to the last
    // completion, in wall-clock time.
    const auto power_end =
        power_begin +
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::nanoseconds(max_done - start));
    detail->Add("power_begin", JsonString(PowerTime(power_begin)),
                clock->NowNs());
    detail->Add("power_end", JsonString(PowerTime(power_end)), clock->NowNs());
  }
  times->start_ns = start;
  times->samples = samples;
  if (tracker->tokens() && !accuracy) {
    const MeasurementFold& fold = *tracker->fold();
    for (const auto& [i, nt] : fold.few_token_examples()) {
      control->AddSampleError("Sample " +
                              std::to_string(tracker->seq_base() + i) +
                              " reported n_tokens = " + std::to_string(nt) +
                              " (token latencies need at least 2).");
    }
    const uint64_t more =
        fold.few_token_samples() - fold.few_token_examples().size();
    if (more > 0) {
      control->AddSampleError(std::to_string(more) +
                              " more samples reported fewer than 2 tokens.");
    }
  }
  if (m.samples_never_completed > 0) {
    control->AddError("error_runtime",
                      std::to_string(m.samples_never_completed) +
                          " issued samples never completed.");
  }
  return m;
}

}  // namespace internal
}  // namespace mlperf
