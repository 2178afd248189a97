#include "run.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <stdexcept>

#include "check.h"
#include "config.h"
#include "issuer.h"
#include "memory_check.h"
#include "renderers.h"
#include "test_modes.h"
#include "version.h"

namespace mlperf {
namespace internal {

Run::Run(SystemUnderTest* sut, QuerySampleLibrary* qsl,
         const TestSettings& settings, const LogSettings& log_settings,
         const RunOptions& options, Clock* clock)
    : sut_(sut),
      qsl_(qsl),
      requested_(settings),
      log_settings_(log_settings),
      options_(options),
      clock_(clock),
      control_(options_, nullptr, &tracker_) {
  if (sut == nullptr) throw std::invalid_argument("StartTest: sut is null");
  if (qsl == nullptr) throw std::invalid_argument("StartTest: qsl is null");
  if (clock_ == nullptr) {
    owned_clock_ = std::make_unique<SteadyClock>();
    clock_ = owned_clock_.get();
  }
  control_.SetClock(clock_);
}

Run::~Run() = default;

void Run::WriteDetail() {
  const std::string text = detail_->Take();
  files_.Write(LogFiles::kDetail, text);
  if (log_settings_.log_output.copy_detail_to_stdout)
    std::cout << text << std::flush;
}

void Run::WriteAccuracyEntries() {
  files_.Write(LogFiles::kAccuracy, accuracy_log_.RenderPending());
}

RunMeasurements Run::RunPhase(const EffectiveSettings& s,
                              const LoadableSet& set, bool accuracy,
                              PeakProbe* probe) {
  IssueContext ctx;
  ctx.sut = sut_;
  ctx.clock = clock_;
  ctx.tracker = &tracker_;
  ctx.control = &control_;
  ctx.accuracy_log = &accuracy_log_;
  ctx.detail = detail_.get();
  ctx.options = &options_;
  ctx.sequence_next = sequence_next_;
  ctx.trace = log_settings_.enable_trace;
  ctx.flush_accuracy_log = [this] { WriteAccuracyEntries(); };
  ctx.probe = probe;
  const uint64_t seq_base = sequence_next_;
  PhaseTimes times;
  RunMeasurements m = IssuePhase(&ctx, s, set, accuracy, &times);
  sequence_next_ = ctx.sequence_next;
  if (log_settings_.enable_trace) {
    TracePhase phase;
    phase.accuracy = accuracy;
    phase.tokens = tracker_.tokens();
    phase.seq_base = seq_base;
    phase.start_ns = times.start_ns;
    phase.end_ns = clock_->NowNs();
    phase.samples = times.samples;
    phase.stride = tracker_.fold()->trace_stride();
    files_.Write(LogFiles::kTrace,
                 RenderTraceEvents(tracker_.fold()->TakeTrace(), phase,
                                   origin_ns_, &trace_events_));
  }
  WriteAccuracyEntries();
  return m;
}

// Everything before the first phase: files, settings, the header records.
void Run::Prepare(uint64_t total, uint64_t perf) {
  origin_ns_ = clock_->NowNs();
  datetime_ = UtcDateTime();
  files_.Open(log_settings_.log_output, datetime_);
  result_.summary_path = files_.path(LogFiles::kSummary);
  result_.detail_path = files_.path(LogFiles::kDetail);
  result_.accuracy_path = files_.path(LogFiles::kAccuracy);
  result_.trace_path = files_.path(LogFiles::kTrace);
  result_.summary_json_path = files_.path(LogFiles::kSummaryJson);
  files_.Write(LogFiles::kAccuracy, AccuracyLog::Opening());
  if (log_settings_.enable_trace)
    files_.Write(LogFiles::kTrace, RenderTraceOpening());
  detail_ = std::make_unique<DetailLog>(origin_ns_);
  control_.SetDetailLog(detail_.get());

  // audit.config, when present, overrides the settings (compliance tests).
  TestSettings effective_request = requested_;
  bool audit_used = false;
  if (!options_.audit_config_filename.empty()) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(options_.audit_config_filename, ec)) {
      ApplyAuditConfig(&effective_request, options_.audit_config_filename,
                       ToString(requested_.scenario));
      audit_used = true;
    }
  }
  ValidateSettings(effective_request, total, perf);
  settings_ = DeriveSettings(effective_request, total, perf);
  CheckRunMemory(settings_, AvailableMemoryBytes());
  if (settings_.use_token_latencies) tracker_.EnableTokens();
  accuracy_log_.Configure(settings_);

  const int64_t t0 = clock_->NowNs();
  detail_->Add("loadgen_version",
               JsonString(std::string(Version()) + " (loadgen)"), t0, false,
               false, "version.cc", 1);
  detail_->Add("loadgen_build_date_local", JsonString(BuildDate()), t0);
  detail_->Add("loadgen_build_date_utc", JsonString(BuildDate()), t0);
  detail_->Add("loadgen_git_commit_date", JsonString(""), t0);
  detail_->Add("loadgen_git_log_message", JsonString(""), t0);
  detail_->Add("loadgen_git_status_message", JsonString(""), t0);
  detail_->Add("loadgen_file_sha1", "{}", t0);
  detail_->Add("test_datetime", JsonString(datetime_), t0);
  if (audit_used) {
    control_.AddWarning("warning_generic_message",
                        "Found Audit Config file (" +
                            options_.audit_config_filename +
                            ") and applied its settings.");
  }
  for (const auto& d : effective_request.config_diagnostics) {
    if (d.is_error) {
      control_.AddError("error_invalid_config", FormatDiagnostic(d));
    } else {
      control_.AddWarning("warning_generic_message", FormatDiagnostic(d));
    }
  }

  const int64_t name_start = clock_->NowNs();
  control_.CallSafely("SystemUnderTest::Name",
                      [&] { sut_name_ = sut_->Name(); });
  const int64_t name_end = clock_->NowNs();
  control_.CallSafely("QuerySampleLibrary::Name",
                      [&] { qsl_name_ = qsl_->Name(); });
  detail_->Add("sut_name", JsonString(sut_name_), name_end);
  detail_->Add("get_sut_name_duration_ns",
               std::to_string(name_end - name_start), name_end);
  detail_->Add("qsl_name", JsonString(qsl_name_), name_end);
  detail_->Add("qsl_reported_total_count", std::to_string(total), name_end);
  detail_->Add("qsl_reported_performance_count", std::to_string(perf),
               name_end);
  LogSettingsRecords(detail_.get(), requested_, settings_, clock_->NowNs());
  WriteDetail();
}

// Everything after the last phase: the closing records and the files.
void Run::Finish() {
  if (control_.Aborting()) {
    result_.aborted = true;
    result_.abort_reason = control_.AbortReason();
    control_.AddError("error_runtime", "Test aborted: " + result_.abort_reason);
  }
  // Late accuracy entries (completions during the tail) and the files.
  WriteAccuracyEntries();
  files_.Write(LogFiles::kAccuracy, accuracy_log_.Closing());
  // Per-sample errors are logged one by one only up to kMaxKeptErrors.
  const int64_t unlogged = std::max<int64_t>(
      0, control_.SampleErrorCount() -
             static_cast<int64_t>(RunControl::kMaxKeptErrors));
  if (unlogged > 0) {
    detail_->Add(
        "generic_message",
        JsonString(std::to_string(unlogged) +
                   " further errors were counted but not logged one by one."),
        clock_->NowNs());
  }
  result_.num_errors = detail_->errors() + unlogged;
  result_.num_warnings = detail_->warnings();
  detail_->Add("num_errors", std::to_string(result_.num_errors),
               clock_->NowNs());
  detail_->Add("num_warnings", std::to_string(result_.num_warnings),
               clock_->NowNs());
  WriteDetail();

  const std::string summary = summary_text_ + RenderSummaryFooter(result_);
  files_.Write(LogFiles::kSummary, summary);
  if (log_settings_.log_output.copy_summary_to_stdout)
    std::cout << summary << std::flush;
  if (log_settings_.enable_trace) {
    files_.Write(LogFiles::kTrace, RenderTraceClosing(trace_events_));
  }
  result_.errors = control_.ErrorMessages();
  files_.WriteSummaryJson(RenderSummaryJson(
      result_, settings_, RunIdentity{datetime_, sut_name_, qsl_name_}));
  files_.Close();
}

TestResult Run::Execute() {
  // Everything that can be checked is checked before any callback or thread.
  const uint64_t total = qsl_->TotalSampleCount();
  const uint64_t perf = qsl_->PerformanceSampleCount();
  ValidateSettings(requested_, total, perf);
  CheckRunMemory(DeriveSettings(requested_, total, perf),
                 AvailableMemoryBytes());
  Prepare(total, perf);

  ModeContext modes;
  modes.run_phase = [this](const EffectiveSettings& s, const LoadableSet& set,
                           bool accuracy, PeakProbe* probe) {
    return RunPhase(s, set, accuracy, probe);
  };
  modes.qsl = qsl_;
  modes.control = &control_;
  modes.detail = detail_.get();
  modes.clock = clock_;
  modes.result = &result_;
  modes.summary_text = &summary_text_;
  modes.sut_name = sut_name_;
  auto performance = [&] {
    result_.performance.push_back(RunPerformanceMode(&modes, settings_, true));
  };
  if (!control_.Aborting()) {
    switch (settings_.mode) {
      case TestMode::SubmissionRun:
        RunAccuracyMode(&modes, settings_);
        WriteDetail();
        if (!control_.Aborting()) performance();
        break;
      case TestMode::AccuracyOnly:
        RunAccuracyMode(&modes, settings_);
        break;
      case TestMode::PerformanceOnly:
        performance();
        break;
      case TestMode::FindPeakPerformance:
        RunFindPeakMode(&modes, settings_);
        break;
    }
  }
  Finish();
  if (control_.HasException()) std::rethrow_exception(control_.exception());
  if (files_.failed()) throw std::runtime_error(files_.error());
  return result_;
}

}  // namespace internal
}  // namespace mlperf
