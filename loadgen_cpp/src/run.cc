#include "run.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "config.h"
#include "version.h"

namespace mlperf {
namespace internal {

namespace {

constexpr int kIndexBits = 40;
constexpr uint64_t kIndexMask = (uint64_t{1} << kIndexBits) - 1;
constexpr uint64_t kMaxTag = (uint64_t{1} << 23) - 1;
constexpr int64_t kMaxDurationGraceNs = 1000000000;  // 1 s after max_duration
constexpr int64_t kAbortGraceNs = 500000000;         // drain after an abort
constexpr size_t kMaxKeptErrors = 100;

// Phase tags are unique within the process so a stale id from an earlier
// phase or test is recognised. Wraps after 8M phases, skipping 0.
uint64_t NextPhaseTag() {
  static std::atomic<uint64_t> next{1};
  uint64_t t = next.fetch_add(1, std::memory_order_relaxed) % kMaxTag;
  return t == 0 ? 1 : t;
}

// Wall time for the safety timers (watchdog, abort grace, polling): these
// must advance even when a test injects a manual clock.
int64_t RealNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string UtcDateTime() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string PowerTime(std::chrono::system_clock::time_point tp) {
  std::time_t t = std::chrono::system_clock::to_time_t(tp);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%m-%d-%Y %H:%M:%S", &tm);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      tp.time_since_epoch())
                      .count() % 1000;
  char out[48];
  std::snprintf(out, sizeof(out), "%s.%03d", buf, static_cast<int>(ms));
  return out;
}

std::string Hex(const uint8_t* p, size_t n) {
  static const char* kDigits = "0123456789ABCDEF";
  std::string s(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    s[2 * i] = kDigits[p[i] >> 4];
    s[2 * i + 1] = kDigits[p[i] & 15];
  }
  return s;
}

std::string JsonIntList(const std::vector<QuerySampleIndex>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(v[i]);
  }
  return s + "]";
}

}  // namespace

Run::Run(SystemUnderTest* sut, QuerySampleLibrary* qsl,
         const TestSettings& settings, const LogSettings& log_settings,
         const RunOptions& options, Clock* clock)
    : sut_(sut),
      qsl_(qsl),
      requested_(settings),
      log_settings_(log_settings),
      options_(options) {
  if (sut == nullptr) throw std::invalid_argument("StartTest: sut is null");
  if (qsl == nullptr) throw std::invalid_argument("StartTest: qsl is null");
  if (clock == nullptr) {
    owned_clock_ = std::make_unique<SteadyClock>();
    clock_ = owned_clock_.get();
  } else {
    clock_ = clock;
  }
}

Run::~Run() = default;

std::string Run::LogPath(const std::string& kind, const std::string& ext) const {
  const auto& o = log_settings_.log_output;
  std::string p = o.outdir + "/" + o.prefix;
  if (o.prefix_with_datetime) p += datetime_ + "_";
  return p + kind + o.suffix + ext;
}

void Run::OpenLogs() {
  const auto& outdir = log_settings_.log_output.outdir;
  std::error_code ec;
  if (!outdir.empty()) std::filesystem::create_directories(outdir, ec);
  if (ec) {
    throw std::runtime_error("cannot create the log directory '" + outdir +
                             "': " + ec.message());
  }
  auto open = [](std::ofstream& f, const std::string& path) {
    f.open(path, std::ios::out | std::ios::trunc | std::ios::binary);
    if (!f.good()) {
      throw std::runtime_error("cannot open the log file '" + path +
                               "': " + std::strerror(errno));
    }
  };
  result_.summary_path = LogPath("summary", ".txt");
  result_.detail_path = LogPath("detail", ".txt");
  result_.accuracy_path = LogPath("accuracy", ".json");
  result_.trace_path = LogPath("trace", ".json");
  open(summary_out_, result_.summary_path);
  open(detail_out_, result_.detail_path);
  open(accuracy_out_, result_.accuracy_path);
  open(trace_out_, result_.trace_path);
  accuracy_out_ << "[\n";
  if (log_settings_.enable_trace) {
    trace_out_ << "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"version\":"
               << JsonString(std::string("loadgen ") + Version()) << "},\"traceEvents\":[\n";
  }
}

void Run::AddError(const std::string& key, const std::string& message) {
  error_count_.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(errors_mu_);
    error_messages_.push_back(message);
  }
  if (detail_) detail_->Add(key, JsonString(message), clock_->NowNs(), true, false);
}

void Run::AddSampleError(const std::string& message) {
  // A misbehaving SUT can report millions of these: all are counted, the
  // first kMaxKeptErrors are kept and logged one by one.
  const int64_t n = sample_error_count_.fetch_add(1, std::memory_order_relaxed);
  error_count_.fetch_add(1, std::memory_order_relaxed);
  if (static_cast<size_t>(n) < kMaxKeptErrors) {
    {
      std::lock_guard<std::mutex> lock(errors_mu_);
      error_messages_.push_back(message);
    }
    if (detail_) {
      detail_->Add("error_runtime", JsonString(message), clock_->NowNs(), true, false);
    }
  }
}

void Run::AddWarning(const std::string& key, const std::string& message) {
  if (detail_) detail_->Add(key, JsonString(message), clock_->NowNs(), false, true);
}

void Run::RequestAbort(const std::string& reason) {
  {
    std::lock_guard<std::mutex> lock(abort_mu_);
    if (abort_reason_.empty()) abort_reason_ = reason;
  }
  abort_.store(true, std::memory_order_release);
  std::lock_guard<std::mutex> lock(wait_mu_);
  wait_cv_.notify_all();
}

std::string Run::AbortReason() {
  std::lock_guard<std::mutex> lock(abort_mu_);
  return abort_reason_;
}

bool Run::CallSafely(const char* what, const std::function<void()>& fn) {
  try {
    fn();
    return true;
  } catch (...) {
    if (!exception_) exception_ = std::current_exception();
    std::string msg;
    try {
      throw;
    } catch (const std::exception& e) {
      msg = e.what();
    } catch (...) {
      msg = "unknown exception";
    }
    // The detail log gets the whole text (a Python traceback included); the
    // abort reason, shown in the summary, its first line, without pybind11's
    // placeholder for an empty message.
    AddError("error_runtime", std::string("Exception raised in ") + what + ": " +
                                  msg + (msg.find('\n') == std::string::npos ? "" : "\n") +
                                  "Ending the test.");
    std::string first_line = msg.substr(0, msg.find('\n'));
    const std::string kEmpty = ": <EMPTY MESSAGE>";
    if (first_line.size() >= kEmpty.size() &&
        first_line.compare(first_line.size() - kEmpty.size(), kEmpty.size(), kEmpty) == 0) {
      first_line.resize(first_line.size() - kEmpty.size());
    }
    RequestAbort(std::string("exception in ") + what + ": " + first_line);
    return false;
  }
}

void Run::PollIfDue() {
  if (!options_.poll) return;
  const int64_t now_ns = RealNowNs();
  if (now_ns - last_poll_ns_ < options_.poll_interval_ms * 1000000) return;
  last_poll_ns_ = now_ns;
  CallSafely("the poll hook", options_.poll);
}

// ---------------------------------------------------------------------------
// Completions (any thread).

bool Run::Resolve(ResponseId id, uint64_t* index) {
  const uint64_t tag = static_cast<uint64_t>(id) >> kIndexBits;
  const uint64_t raw = static_cast<uint64_t>(id) & kIndexMask;
  if (tag == 0 || raw == 0 || tag != phase_tag_.load(std::memory_order_acquire)) {
    return false;
  }
  const uint64_t i = raw - 1;
  if (i >= issued_.load(std::memory_order_acquire)) return false;
  *index = i;
  return true;
}

SampleSlot* Run::Claim(ResponseId id, int64_t now_ns, uint64_t* index,
                       bool* logged) {
  if (!Resolve(id, index)) {
    AddSampleError("QuerySamplesComplete: unknown response id " + std::to_string(id) +
                   " (not issued by the running test phase); ignored.");
    return nullptr;
  }
  SampleSlot& slot = slots_.Get(*index);
  int64_t cur = slot.done_ns.load(std::memory_order_acquire);
  while (true) {
    if (!IsPending(cur)) {
      AddSampleError("Attempted to complete a sample twice (id " + std::to_string(id) + ").");
      return nullptr;
    }
    // On failure `cur` is reloaded: a racing duplicate makes it non-pending.
    if (slot.done_ns.compare_exchange_weak(cur, now_ns, std::memory_order_acq_rel)) break;
  }
  *logged = cur == kPendingLoggedNs;
  return &slot;
}

void Run::FinishCompletions(uint64_t n) {
  if (n == 0) return;
  completed_.fetch_add(n, std::memory_order_seq_cst);
  if (waiting_.load(std::memory_order_seq_cst)) {
    std::lock_guard<std::mutex> lock(wait_mu_);
    wait_cv_.notify_all();
  }
}

void Run::LogResponse(uint64_t index, const uint8_t* data, size_t size,
                      int64_t n_tokens) {
  const uint32_t qsl_index = sample_qsl_.Get(index);
  std::lock_guard<std::mutex> lock(acc_mu_);
  AccuracyEntry e;
  e.seq_id = phase_seq_base_ + index;
  e.qsl_index = qsl_index;
  e.offset = acc_bytes_.size();
  e.size = size;
  e.n_tokens = n_tokens;
  if (size > 0 && data != nullptr) acc_bytes_.insert(acc_bytes_.end(), data, data + size);
  if (data == nullptr) e.size = 0;
  acc_entries_.push_back(e);
}

void Run::Complete(const QuerySampleResponse* responses, size_t count,
                   const ResponseCallback& cb) {
  const int64_t now = clock_->NowNs();
  uint64_t done = 0;
  // A throwing callback must not leave claimed samples uncounted or the rest
  // of the batch unclaimed: finish the batch, then rethrow the first error.
  std::exception_ptr cb_error;
  for (size_t i = 0; i < count; ++i) {
    const QuerySampleResponse& r = responses[i];
    uint64_t index;
    bool logged = false;
    SampleSlot* slot = Claim(r.id, now, &index, &logged);
    if (slot == nullptr) continue;
    if (tokens_) {
      TokenSlot& ts = token_slots_->Get(index);
      ts.n_tokens = r.n_tokens;
      if (settings_.scenario != TestScenario::Offline &&
          ts.first_token_ns.load(std::memory_order_acquire) == kPendingNs) {
        // As the reference: every scenario but Offline needs the first token first.
        AddSampleError("Sample completed before its first token was reported (id " +
                                      std::to_string(r.id) + ").");
      }
    }
    if (logged) {
      LogResponse(index, reinterpret_cast<const uint8_t*>(r.data), r.size, r.n_tokens);
      if (cb) {
        QuerySampleResponse copy = r;
        try {
          cb(&copy);
        } catch (...) {
          if (!cb_error) cb_error = std::current_exception();
        }
      }
    }
    ++done;
  }
  FinishCompletions(done);
  if (cb_error) std::rethrow_exception(cb_error);
}

void Run::FirstToken(const QuerySampleResponse* responses, size_t count,
                     const ResponseCallback& cb) {
  const int64_t now = clock_->NowNs();
  if (!tokens_) {
    AddSampleError("FirstTokenComplete called but use_token_latencies is false; ignored.");
    return;
  }
  std::exception_ptr cb_error;  // as in Complete
  for (size_t i = 0; i < count; ++i) {
    const QuerySampleResponse& r = responses[i];
    uint64_t index;
    if (!Resolve(r.id, &index)) {
      AddSampleError("FirstTokenComplete: unknown response id " +
                                    std::to_string(r.id) + "; ignored.");
      continue;
    }
    SampleSlot& slot = slots_.Get(index);
    const int64_t done = slot.done_ns.load(std::memory_order_acquire);
    if (!IsPending(done)) {
      AddSampleError("FirstTokenComplete after QuerySamplesComplete "
                                "for id " + std::to_string(r.id) + ".");
      continue;
    }
    TokenSlot& ts = token_slots_->Get(index);
    int64_t expected = kPendingNs;
    if (!ts.first_token_ns.compare_exchange_strong(expected, now)) {
      AddSampleError("First token reported twice for id " +
                                    std::to_string(r.id) + ".");
      continue;
    }
    if (done == kPendingLoggedNs) {
      std::lock_guard<std::mutex> lock(acc_mu_);
      token_data_hex_.emplace_back(
          phase_seq_base_ + index,
          Hex(reinterpret_cast<const uint8_t*>(r.data), r.data ? r.size : 0));
      if (cb) {
        QuerySampleResponse copy = r;
        try {
          cb(&copy);
        } catch (...) {
          if (!cb_error) cb_error = std::current_exception();
        }
      }
    }
  }
  if (cb_error) std::rethrow_exception(cb_error);
}

void Run::CompleteIds(const ResponseId* ids, size_t count) {
  const int64_t now = clock_->NowNs();
  uint64_t done = 0;
  for (size_t i = 0; i < count; ++i) {
    uint64_t index;
    bool logged = false;
    SampleSlot* slot = Claim(ids[i], now, &index, &logged);
    if (slot == nullptr) continue;
    if (logged) LogResponse(index, nullptr, 0, 0);
    ++done;
  }
  FinishCompletions(done);
}

void Run::CompleteBuffer(const ResponseId* ids, size_t count,
                         const uint8_t* data, const uint64_t* offsets,
                         const int64_t* n_tokens) {
  const int64_t now = clock_->NowNs();
  uint64_t done = 0;
  for (size_t i = 0; i < count; ++i) {
    uint64_t index;
    bool logged = false;
    SampleSlot* slot = Claim(ids[i], now, &index, &logged);
    if (slot == nullptr) continue;
    const int64_t nt = n_tokens ? n_tokens[i] : 0;
    if (tokens_) {
      TokenSlot& ts = token_slots_->Get(index);
      ts.n_tokens = nt;
      if (settings_.scenario != TestScenario::Offline &&
          ts.first_token_ns.load(std::memory_order_acquire) == kPendingNs) {
        AddSampleError("Sample completed before its first token was reported (id " +
                                      std::to_string(ids[i]) + ").");
      }
    }
    if (logged) {
      const uint8_t* p = data ? data + offsets[i] : nullptr;
      const size_t n = data ? static_cast<size_t>(offsets[i + 1] - offsets[i]) : 0;
      LogResponse(index, p, n, nt);
    }
    ++done;
  }
  FinishCompletions(done);
}

// ---------------------------------------------------------------------------
// Waiting (the StartTest thread).

bool Run::WaitForCompleted(uint64_t target, bool closing) {
  if (completed_.load(std::memory_order_acquire) >= target) return true;
  // A short spin catches SUTs that answer from another core right away.
  for (int i = 0; i < 2000; ++i) {
    if (completed_.load(std::memory_order_acquire) >= target) return true;
  }
  const int64_t watchdog_ns = WatchdogTimeoutNs(settings_, target);
  uint64_t last_seen = completed_.load(std::memory_order_acquire);
  int64_t last_progress_ns = RealNowNs();
  const auto interval = std::chrono::milliseconds(
      std::max<int64_t>(1, std::min<int64_t>(options_.poll_interval_ms, 100)));
  while (true) {
    {
      std::unique_lock<std::mutex> lock(wait_mu_);
      waiting_.store(true, std::memory_order_seq_cst);
      wait_cv_.wait_for(lock, interval, [&] {
        return completed_.load(std::memory_order_seq_cst) >= target ||
               abort_.load(std::memory_order_acquire);
      });
      waiting_.store(false, std::memory_order_relaxed);
    }
    const uint64_t now_done = completed_.load(std::memory_order_acquire);
    if (now_done >= target) return true;
    const int64_t now = RealNowNs();
    if (Aborting()) {
      // After an abort, give in-flight samples a moment to land.
      if (!closing) return false;
      const int64_t grace_end = last_progress_ns + kAbortGraceNs;
      if (now >= grace_end) return false;
    }
    PollIfDue();
    if (now_done != last_seen) {
      last_seen = now_done;
      last_progress_ns = now;
    }
    // Past max_duration the tail is waited for, as the reference does; the
    // watchdog is the guard. Only with the watchdog off does max_duration
    // bound the wait: no completion for max_duration (at least 1 s) after it.
    const int64_t max_ms = settings_.max_duration_ms;
    const int64_t stall_ns = std::max<int64_t>(max_ms * 1000000, kMaxDurationGraceNs);
    if (watchdog_ns == 0 && max_ms > 0 && !phase_accuracy_ && !Aborting() &&
        now > phase_start_real_ns_ + max_ms * 1000000 + stall_ns &&
        now - last_progress_ns > stall_ns) {
      AddError("error_runtime",
               "max_duration_ms (" + std::to_string(max_ms) + " ms) passed, the watchdog is off, and no "
               "sample completed for " + std::to_string(stall_ns / 1000000) + " ms while " +
                   std::to_string(target - now_done) + " were outstanding; ending the test.");
      RequestAbort("max_duration reached while samples were outstanding");
      return false;
    }
    if (watchdog_ns > 0 && now - last_progress_ns > watchdog_ns && !Aborting()) {
      const bool derived = settings_.requested.watchdog_timeout_ms == kWatchdogFromSettings;
      AddError("error_runtime",
               "Watchdog: no sample completed for " + std::to_string(watchdog_ns / 1000000) +
                   " ms while " + std::to_string(target - now_done) +
                   " were outstanding; ending the test (" +
                   (derived ? "the limit derived from the settings" : "watchdog_timeout_ms") +
                   "; set watchdog_timeout_ms to change it, 0 to turn it off).");
      RequestAbort("watchdog: the SUT stopped completing samples");
      return false;
    }
  }
}

// ---------------------------------------------------------------------------
// Issuing.

RunMeasurements Run::IssuePhase(const EffectiveSettings& s,
                                const LoadableSet& set, bool accuracy) {
  RunMeasurements m;
  m.settings = s;
  const TestScenario scen = s.scenario;
  const bool closed_loop =
      scen == TestScenario::SingleStream || scen == TestScenario::MultiStream;
  const bool server = scen == TestScenario::Server;

  // Accuracy-log sampling of this phase.
  double log_prob = s.accuracy_log_probability;
  double log_offset = 0;
  if (!accuracy) {
    std::mt19937 offset_rng(static_cast<std::mt19937::result_type>(s.accuracy_log_rng_seed));
    log_offset = std::uniform_real_distribution<double>(0.0, 1.0)(offset_rng);
    uint64_t expected = static_cast<uint64_t>(
        s.target_qps * static_cast<double>(s.min_duration_ms) / 1000);
    uint64_t minimum = s.min_query_count * s.samples_per_query;
    if (scen != TestScenario::Offline) {
      expected *= s.samples_per_query;
    } else {
      minimum = s.min_sample_count;
    }
    expected = std::max(expected, minimum);
    if (s.accuracy_log_sampling_target > 0) {
      log_prob = static_cast<double>(s.accuracy_log_sampling_target) /
                 static_cast<double>(expected);
    }
  }

  QueryGenerator gen(s, accuracy, set);
  const uint64_t spq = gen.samples_per_query();

  // Open the phase: new tag, empty counters.
  phase_accuracy_ = accuracy;
  phase_spq_ = spq == 0 ? 1 : spq;
  phase_seq_base_ = sequence_next_;
  issued_.store(0, std::memory_order_release);
  completed_.store(0, std::memory_order_release);
  const uint64_t tag = NextPhaseTag();
  phase_tag_.store(tag, std::memory_order_release);
  const uint64_t id_base = tag << kIndexBits;

  std::vector<QuerySample> query;
  std::vector<QuerySample> stash;  // Server coalescing look-ahead
  int64_t stash_sched_rel = 0;
  bool have_stash = false;
  uint64_t queries = 0;
  uint64_t samples = 0;
  const int64_t start = clock_->NowNs();
  const auto power_begin = std::chrono::system_clock::now();
  last_poll_ns_ = RealNowNs();
  phase_start_real_ns_ = last_poll_ns_;
  int64_t last_now = start;

  auto register_samples = [&](std::vector<QuerySample>& q, uint64_t first,
                              int64_t sched_abs, int64_t issued_abs) {
    const uint64_t n = q.size();
    slots_.Reserve(first + n);
    sample_qsl_.Reserve(first + n);
    if (tokens_) token_slots_->Reserve(first + n);
    for (uint64_t k = 0; k < n; ++k) {
      SampleSlot& slot = slots_.Get(first + k);
      sample_qsl_.Get(first + k) = static_cast<uint32_t>(q[k].index);
      bool logged = accuracy;
      // Every sample of the test takes one draw, accuracy samples included,
      // so the performance part of a SubmissionRun samples the same
      // responses as the reference.
      if (draw_sampling_values_) {
        double v = sequence_dist_(sequence_rng_) + log_offset;
        if (v >= 1.0) v -= 1.0;
        if (!accuracy && v <= log_prob) logged = true;
      }
      slot.done_ns.store(logged ? kPendingLoggedNs : kPendingNs, std::memory_order_relaxed);
      if (tokens_) {
        TokenSlot& ts = token_slots_->Get(first + k);
        ts.first_token_ns.store(kPendingNs, std::memory_order_relaxed);
        ts.n_tokens = 0;
      }
      q[k].id = static_cast<ResponseId>(id_base | (first + k + 1));
    }
    // Queries are indexed by sample / spq (see RunMeasurements).
    const uint64_t q0 = first / phase_spq_;
    const uint64_t q1 = (first + n + phase_spq_ - 1) / phase_spq_;
    queries_.Reserve(q1);
    for (uint64_t qi = q0; qi < q1; ++qi) {
      queries_.Get(qi) = QueryRecord{sched_abs, issued_abs};
    }
  };

  while (!Aborting()) {
    int64_t sched_rel = 0;
    if (have_stash) {
      query.swap(stash);
      sched_rel = stash_sched_rel;
      have_stash = false;
    } else {
      bool more = false;
      if (!CallSafely("query generation", [&] { more = gen.Next(&query, &sched_rel); })) break;
      if (!more) break;
    }
    int64_t sched_abs;
    if (closed_loop) {
      if (samples > 0 && !WaitForCompleted(samples, false)) break;
      last_now = clock_->NowNs();
      sched_abs = last_now;
    } else if (server) {
      sched_abs = start + sched_rel;
      // Sleep in slices so the poll hook and aborts are served.
      while (true) {
        const int64_t now = clock_->NowNs();
        if (now >= sched_abs || Aborting()) break;
        const int64_t slice = options_.poll_interval_ms * 1000000;
        clock_->SleepUntilNs(std::min(sched_abs, now + slice));
        PollIfDue();
      }
      if (Aborting()) break;
      last_now = clock_->NowNs();
    } else {
      sched_abs = start;
      last_now = clock_->NowNs();
    }

    const uint64_t first = samples;
    const int64_t issue_ns = last_now;  // one clock read per query
    register_samples(query, first, sched_abs, issue_ns);
    uint64_t queries_in_call = 1;
    if (server && s.requested.server_coalesce_queries) {
      // Merge every query whose scheduled time has passed into this call;
      // each keeps its own scheduled time as its latency origin.
      std::vector<QuerySample> next;
      int64_t next_rel = 0;
      while (true) {
        bool more = false;
        if (!CallSafely("query generation", [&] { more = gen.Next(&next, &next_rel); })) break;
        if (!more) break;
        if (start + next_rel > last_now) {
          stash.swap(next);
          stash_sched_rel = next_rel;
          have_stash = true;
          break;
        }
        register_samples(next, first + query.size(), start + next_rel, issue_ns);
        query.insert(query.end(), next.begin(), next.end());
        ++queries_in_call;
      }
    }
    samples += query.size();
    sequence_next_ += query.size();
    issued_.store(samples, std::memory_order_release);
    CallSafely("SystemUnderTest::IssueQuery", [&] { sut_->IssueQuery(query); });
    queries += queries_in_call;
    if (accuracy) {
      PollIfDue();
      continue;
    }

    const int64_t duration_ns = last_now - start;
    if (server) {
      if (s.max_async_queries != 0) {
        const uint64_t outstanding =
            queries - completed_.load(std::memory_order_acquire);
        if (outstanding > s.max_async_queries) {
          m.early_end_reason = "Too many outstanding queries";
          AddError("error_runtime",
                   "IssueQueryThread 0 Ending early: Too many outstanding "
                   "queries. issued " + std::to_string(queries) +
                       " outstanding " + std::to_string(outstanding));
          break;
        }
      }
    } else if (queries >= s.min_query_count &&
               duration_ns >= s.target_duration_ms * 1000000) {
      detail_->Add("generic_message",
                   JsonString("Ending naturally: Minimum query count and test "
                              "duration met."),
                   clock_->NowNs());
      break;
    }
    if (s.max_query_count != 0 && queries >= s.max_query_count) {
      m.early_end_reason = "Max query count reached";
      AddError("error_runtime",
               "IssueQueryThread 0 Ending early: Max query count reached. "
               "query_count " + std::to_string(queries));
      break;
    }
    if (s.max_duration_ms != 0 && duration_ns > s.max_duration_ms * 1000000) {
      m.early_end_reason = "Max test duration reached";
      AddError("error_runtime",
               "IssueQueryThread 0 Ending early: Max test duration reached. "
               "duration_ns " + std::to_string(duration_ns));
      break;
    }
    PollIfDue();
  }

  // The SUT has had the samples; free the query (Offline: 16 B per sample)
  // before the tail wait and the measurements allocate.
  std::vector<QuerySample>().swap(query);
  std::vector<QuerySample>().swap(stash);
  detail_->Add("generated_query_count", std::to_string(gen.generated_queries()),
               clock_->NowNs());
  detail_->Add("generated_samples_per_query", std::to_string(spq), clock_->NowNs());
  detail_->Add("generated_query_duration", std::to_string(gen.next_timestamp_ns()),
               clock_->NowNs());

  // A SUT whose callback threw may be broken: don't call it again. After
  // other aborts (watchdog, AbortTest) it is still told to flush.
  if (!Aborting() || exception_ == nullptr) {
    CallSafely("SystemUnderTest::FlushQueries", [&] { sut_->FlushQueries(); });
  }
  // Wait for the tail. max_duration bounds it when set.
  WaitForCompleted(samples, true);
  // The reference reports its logger's contention counters here; our
  // recorder has no slot swapping or retries, so they are always 0.
  for (const char* k : {"logger_swap_request_slots_retry_count",
                        "logger_swap_request_slots_retry_retry_count",
                        "logger_swap_request_slots_retry_reencounter_count",
                        "logger_start_reading_entries_retry_count",
                        "logger_tls_total_log_cas_fail_count",
                        "logger_tls_total_swap_buffers_slot_retry_count"}) {
    detail_->Add(k, "0", clock_->NowNs());
  }

  // Close the phase: later completions are counted as unknown ids.
  phase_tag_.store(0, std::memory_order_release);

  // Collect the measurements.
  m.queries_issued = queries;
  m.samples_issued = samples;
  m.sample_latencies.reserve(samples);
  int64_t max_done = start;
  int64_t max_latency = 0;
  const uint64_t nq = samples == 0 ? 0 : (samples + phase_spq_ - 1) / phase_spq_;
  const bool ms = scen == TestScenario::MultiStream;
  if (ms) m.query_latencies.reserve(nq);
  int64_t last_query_done = start;
  for (uint64_t qi = 0; qi < nq; ++qi) {
    const QueryRecord rec = queries_.Get(qi);
    const uint64_t b = qi * phase_spq_;
    const uint64_t e = std::min(samples, b + phase_spq_);
    int64_t q_done = rec.scheduled_ns;
    bool q_complete = true;
    for (uint64_t i = b; i < e; ++i) {
      const SampleSlot& slot = slots_.Get(i);
      const int64_t d = slot.done_ns.load(std::memory_order_acquire);
      if (IsPending(d)) {
        ++m.samples_never_completed;
        q_complete = false;
        continue;
      }
      const int64_t lat = d - rec.scheduled_ns;
      m.sample_latencies.push_back(lat);
      max_latency = std::max(max_latency, lat);
      max_done = std::max(max_done, d);
      q_done = std::max(q_done, d);
      if (tokens_) {
        const TokenSlot& ts = token_slots_->Get(i);
        const int64_t ft = ts.first_token_ns.load(std::memory_order_acquire);
        m.token_count += ts.n_tokens;
        if (ft != kPendingNs) {
          const int64_t ttft = ft - rec.scheduled_ns;
          m.first_token_latencies.push_back(ttft);
          if (ts.n_tokens > 1) {
            m.time_per_output_token.push_back((lat - ttft) / (ts.n_tokens - 1));
          }
        }
      }
    }
    if (ms && q_complete) m.query_latencies.push_back(q_done - rec.scheduled_ns);
    if (server) m.issue_lags.push_back(rec.issued_ns - rec.scheduled_ns);
    if (qi + 1 == nq) {
      m.final_query_scheduled_s = static_cast<double>(rec.scheduled_ns - start) / 1e9;
      m.final_query_issued_s = static_cast<double>(rec.issued_ns - start) / 1e9;
      last_query_done = q_done;
    }
  }
  m.final_query_done_s = static_cast<double>(last_query_done - start) / 1e9;
  m.max_latency_s = static_cast<double>(max_latency) / 1e9;
  {
    // Power measurement window: from the start of issuing to the last
    // completion, in wall-clock time.
    const auto power_end =
        power_begin + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                          std::chrono::nanoseconds(max_done - start));
    detail_->Add("power_begin", JsonString(PowerTime(power_begin)), clock_->NowNs());
    detail_->Add("power_end", JsonString(PowerTime(power_end)), clock_->NowNs());
  }
  WriteTraceEvents(accuracy, start, samples);
  if (tokens_ && !accuracy) {
    for (uint64_t i = 0; i < samples; ++i) {
      const SampleSlot& slot = slots_.Get(i);
      if (IsPending(slot.done_ns.load())) continue;
      const int64_t nt = token_slots_->Get(i).n_tokens;
      if (nt < 2) {
        AddSampleError("Sample " + std::to_string(phase_seq_base_ + i) +
                                      " reported n_tokens = " + std::to_string(nt) +
                                      " (token latencies need at least 2).");
      }
    }
  }
  if (m.samples_never_completed > 0) {
    AddError("error_runtime", std::to_string(m.samples_never_completed) +
                                  " issued samples never completed.");
  }
  return m;
}

void Run::RunAccuracy() {
  const EffectiveSettings& s = settings_;
  detail_->Add("generic_message", JsonString("Starting accuracy mode"), clock_->NowNs());
  auto sets = GenerateLoadableSets(s, s.accuracy_sample_count);
  for (const auto& set : sets) {
    if (Aborting()) break;
    detail_->Add("loaded_qsl_set", JsonIntList(set.set), clock_->NowNs());
    if (!CallSafely("QuerySampleLibrary::LoadSamplesToRam",
                    [&] { qsl_->LoadSamplesToRam(set.set); })) {
      break;
    }
    RunMeasurements m = IssuePhase(s, set, /*accuracy=*/true);
    result_.accuracy_samples_issued += static_cast<int64_t>(m.samples_issued);
    result_.accuracy_samples_completed +=
        static_cast<int64_t>(m.samples_issued - m.samples_never_completed);
    CallSafely("QuerySampleLibrary::UnloadSamplesFromRam",
               [&] { qsl_->UnloadSamplesFromRam(set.set); });
    WriteAccuracyEntries();
  }
  result_.has_accuracy = true;
}

PerformanceResult Run::RunPerformance(const EffectiveSettings& s,
                                      bool write_summary) {
  detail_->Add("generic_message", JsonString("Starting performance mode"),
               clock_->NowNs());
  auto sets = GenerateLoadableSets(s, s.performance_sample_count);
  const LoadableSet& set = sets.front();
  detail_->Add("loaded_qsl_set", JsonIntList(set.set), clock_->NowNs());
  PerformanceResult r;
  r.scenario = ToString(s.scenario);
  if (!CallSafely("QuerySampleLibrary::LoadSamplesToRam",
                  [&] { qsl_->LoadSamplesToRam(set.set); })) {
    r.invalid_reasons.push_back("The test was aborted: " + AbortReason());
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
  RunMeasurements m = IssuePhase(s, set, /*accuracy=*/false);
  if (s.print_timestamps) {
    std::cout << "Loadgen :: Perf mode stop. system_clock Timestamp = "
              << std::chrono::system_clock::to_time_t(std::chrono::system_clock::now())
              << "\n"
              << "Loadgen :: PerfClock Perf duration = "
              << (RealNowNs() - perf_start_ns) / 1000000 << "ms\n"
              << std::flush;
  }
  CallSafely("QuerySampleLibrary::UnloadSamplesFromRam",
             [&] { qsl_->UnloadSamplesFromRam(set.set); });
  r = Summarize(&m);
  if (Aborting()) {
    r.valid = false;
    r.invalid_reasons.push_back("The test was aborted: " + AbortReason());
  }
  if (write_summary) {
    summary_text_ += FormatSummary(r, s, sut_name_);
    LogResultRecords(r, s);
  }
  WriteAccuracyEntries();
  return r;
}

void Run::RunFindPeak() {
  detail_->Add("generic_message", JsonString("Starting FindPeakPerformance mode"),
               clock_->NowNs());
  const EffectiveSettings base = settings_;
  auto field = [](const EffectiveSettings& s) {
    return "target_qps : " + StreamString(s.target_qps);
  };
  detail_->Add("generic_message",
               JsonString("FindPeakPerformance: Check validity of the base "
                          "settings field: " + field(base)),
               clock_->NowNs());
  PerformanceResult base_r = RunPerformance(base, false);
  result_.performance.push_back(base_r);
  if (Aborting()) return;
  if (!base_r.perf_constraints_met) {
    AddError("error_runtime",
             "FindPeakPerformance: Initial lower bound does not satisfy "
             "performance constraints, msg: Reduce target QPS to improve latency.");
    summary_text_ += FormatSummary(base_r, base, sut_name_);
    LogResultRecords(base_r, base);
    return;
  }
  // Widen geometrically until a probe fails.
  EffectiveSettings lower = base;
  PerformanceResult lower_r = base_r;
  const double step = base.requested.server_find_peak_qps_boundary_step_size;
  EffectiveSettings upper;
  while (true) {
    upper = WithTargetQps(lower, lower.target_qps * (1.0 + step));
    detail_->Add("generic_message",
                 JsonString("FindBoundaries: Checking fields [" + field(lower) +
                            ", " + field(upper) + ")"),
                 clock_->NowNs());
    PerformanceResult ur = RunPerformance(upper, false);
    result_.performance.push_back(ur);
    if (Aborting()) return;
    if (!ur.perf_constraints_met) break;
    lower = upper;
    lower_r = ur;
  }
  detail_->Add("generic_message",
               JsonString("FindPeakPerformance: Found boundaries: [" + field(lower) +
                          ", " + field(upper) + ")"),
               clock_->NowNs());
  // Bisect until the bounds agree to the requested decimals.
  const double scale =
      std::pow(10.0, base.requested.server_find_peak_qps_decimals_of_precision);
  while (std::floor(lower.target_qps * scale) + 1 <
         std::floor(upper.target_qps * scale)) {
    EffectiveSettings mid =
        WithTargetQps(lower, (lower.target_qps + upper.target_qps) / 2.0);
    detail_->Add("generic_message",
                 JsonString("FindPeakPerformanceBinarySearch: Testing the mid "
                            "value of bounds [" + field(lower) + ", " +
                            field(upper) + "): " + field(mid)),
                 clock_->NowNs());
    PerformanceResult mr = RunPerformance(mid, false);
    result_.performance.push_back(mr);
    if (Aborting()) return;
    if (mr.perf_constraints_met) {
      lower = mid;
      lower_r = mr;
    } else {
      upper = mid;
    }
  }
  detail_->Add("generic_message",
               JsonString("FindPeakPerformance: Found peak performance field: " +
                          field(lower)),
               clock_->NowNs());
  result_.peak_qps = lower.target_qps;
  summary_text_ += FormatSummary(lower_r, lower, sut_name_);
  LogResultRecords(lower_r, lower);
}

// ---------------------------------------------------------------------------
// Logs.

void Run::LogSettingsRecords() {
  const TestSettings& r = requested_;
  const EffectiveSettings& e = settings_;
  const int64_t t = clock_->NowNs();
  auto add = [&](const std::string& k, const std::string& v) { detail_->Add(k, v, t); };
  auto u = [](uint64_t v) { return std::to_string(v); };
  add("requested_scenario", JsonString(ToString(r.scenario)));
  add("requested_test_mode", JsonString(ToString(r.mode)));
  switch (r.scenario) {
    case TestScenario::SingleStream:
      add("requested_single_stream_expected_latency_ns",
          JsonNumber(r.single_stream_expected_latency_ns));
      add("requested_single_stream_target_latency_percentile",
          JsonNumber(r.single_stream_target_latency_percentile));
      break;
    case TestScenario::MultiStream:
      add("requested_multi_stream_expected_latency_ns",
          JsonNumber(r.multi_stream_expected_latency_ns));
      add("requested_multi_stream_target_latency_percentile",
          JsonNumber(r.multi_stream_target_latency_percentile));
      add("requested_multi_stream_samples_per_query",
          u(r.multi_stream_samples_per_query));
      break;
    case TestScenario::Server:
      add("requested_server_target_qps", JsonNumber(r.server_target_qps));
      add("requested_server_target_latency_ns", u(r.server_target_latency_ns));
      add("requested_server_target_latency_percentile",
          JsonNumber(r.server_target_latency_percentile));
      add("requested_server_coalesce_queries", JsonBool(r.server_coalesce_queries));
      add("requested_server_find_peak_qps_decimals_of_precision",
          std::to_string(r.server_find_peak_qps_decimals_of_precision));
      add("requested_server_find_peak_qps_boundary_step_size",
          JsonNumber(r.server_find_peak_qps_boundary_step_size));
      add("requested_server_max_async_queries", u(r.server_max_async_queries));
      add("requested_server_num_issue_query_threads",
          u(r.server_num_issue_query_threads));
      break;
    case TestScenario::Offline:
      add("requested_offline_expected_qps", JsonNumber(r.offline_expected_qps));
      break;
  }
  add("requested_min_duration_ms", u(r.min_duration_ms));
  add("requested_max_duration_ms", u(r.max_duration_ms));
  add("requested_min_query_count", u(r.min_query_count));
  add("requested_max_query_count", u(r.max_query_count));
  add("requested_qsl_rng_seed", u(r.qsl_rng_seed));
  add("requested_sample_index_rng_seed", u(r.sample_index_rng_seed));
  add("requested_schedule_rng_seed", u(r.schedule_rng_seed));
  add("requested_accuracy_log_rng_seed", u(r.accuracy_log_rng_seed));
  add("requested_accuracy_log_probability", JsonNumber(r.accuracy_log_probability));
  add("requested_accuracy_log_sampling_target", u(r.accuracy_log_sampling_target));
  add("requested_print_timestamps", JsonBool(r.print_timestamps));
  add("requested_performance_issue_unique", JsonBool(r.performance_issue_unique));
  add("requested_performance_issue_same", JsonBool(r.performance_issue_same));
  add("requested_performance_issue_same_index", u(r.performance_issue_same_index));
  add("requested_performance_sample_count_override",
      u(r.performance_sample_count_override));
  add("requested_accuracy_sample_count_override", u(r.accuracy_sample_count_override));
  add("requested_sample_concatenate_permutation",
      JsonBool(r.sample_concatenate_permutation));
  if (r.use_token_latencies) {
    add("requested_use_token_latencies", JsonBool(r.use_token_latencies));
    add("requested_server_ttft_latency", u(r.server_ttft_latency));
    add("requested_server_tpot_latency", u(r.server_tpot_latency));
  }
  add("effective_scenario", JsonString(ToString(e.scenario)));
  add("effective_test_mode", JsonString(ToString(e.mode)));
  add("effective_samples_per_query", u(e.samples_per_query));
  add("effective_target_qps", JsonNumber(e.target_qps));
  add("effective_target_latency_ns", std::to_string(e.target_latency_ns));
  add("effective_target_latency_percentile", JsonNumber(e.target_latency_percentile));
  add("effective_max_async_queries", u(e.max_async_queries));
  add("effective_target_duration_ms", std::to_string(e.target_duration_ms));
  add("effective_min_duration_ms", std::to_string(e.min_duration_ms));
  add("effective_max_duration_ms", std::to_string(e.max_duration_ms));
  add("effective_min_query_count", u(e.min_query_count));
  add("effective_max_query_count", u(e.max_query_count));
  add("effective_min_sample_count", u(e.min_sample_count));
  add("effective_qsl_rng_seed", u(e.qsl_rng_seed));
  add("effective_sample_index_rng_seed", u(e.sample_index_rng_seed));
  add("effective_schedule_rng_seed", u(e.schedule_rng_seed));
  add("effective_accuracy_log_rng_seed", u(e.accuracy_log_rng_seed));
  add("effective_accuracy_log_probability", JsonNumber(e.accuracy_log_probability));
  add("effective_accuracy_log_sampling_target", u(e.accuracy_log_sampling_target));
  add("effective_print_timestamps", JsonBool(e.print_timestamps));
  add("effective_performance_issue_unique", JsonBool(e.performance_issue_unique));
  add("effective_performance_issue_same", JsonBool(e.performance_issue_same));
  add("effective_performance_issue_same_index", u(e.performance_issue_same_index));
  add("effective_performance_sample_count", u(e.performance_sample_count));
  add("effective_accuracy_sample_count", u(e.accuracy_sample_count));
  add("effective_sample_concatenate_permutation",
      JsonBool(e.sample_concatenate_permutation));
  if (e.use_token_latencies) {
    add("effective_use_token_latencies", JsonBool(true));
    add("effective_server_ttft_latency", std::to_string(e.server_ttft_latency_ns));
    add("effective_server_tpot_latency", std::to_string(e.server_tpot_latency_ns));
  }
}

void Run::LogResultRecords(const PerformanceResult& r, const EffectiveSettings& s) {
  const int64_t t = clock_->NowNs();
  auto add = [&](const std::string& k, const std::string& v) { detail_->Add(k, v, t); };
  auto i64 = [](int64_t v) { return std::to_string(v); };
  auto fixed = [](double v) { return JsonNumber(std::stod(FixedString(v))); };
  add("result_validity", JsonString(r.valid ? "VALID" : "INVALID"));
  if (s.scenario == TestScenario::Server) {
    add("result_perf_constraints_met", JsonBool(r.perf_constraints_met));
  }
  add("result_min_duration_met", JsonBool(r.min_duration_met));
  add("result_min_queries_met", JsonBool(r.min_queries_met));
  add("early_stopping_met", JsonBool(r.early_stopping_met));
  if (!r.valid) {
    std::string why;
    for (const auto& w : r.invalid_reasons) why += (why.empty() ? "" : " ") + w;
    add("result_invalid_reason", JsonString(why));
  }
  {
    // The summary's lines, newlines turned into spaces (as the reference).
    std::string es;
    for (const auto& line : r.early_stopping_lines) es += (es.empty() ? "" : " ") + line;
    add("early_stopping_result", JsonString(es));
  }
  add("result_query_count", i64(r.queries_issued));
  switch (s.scenario) {
    case TestScenario::SingleStream:
      add("result_qps_with_loadgen_overhead", fixed(r.qps_with_loadgen_overhead));
      add("result_qps_without_loadgen_overhead", fixed(r.qps_without_loadgen_overhead));
      add("early_stopping_latency_ss", i64(r.early_stopping_latency_ss));
      add("early_stopping_latency_ms", i64(r.early_stopping_latency_ms));
      break;
    case TestScenario::MultiStream:
      add("early_stopping_latency_ms", i64(r.early_stopping_latency_ms));
      add("result_min_query_latency_ns", i64(r.query_latency.min_ns));
      add("result_max_query_latency_ns", i64(r.query_latency.max_ns));
      add("result_mean_query_latency_ns", i64(r.query_latency.mean_ns));
      for (size_t i = 0; i < r.query_latency.percentiles.size(); ++i) {
        add("result_" + FixedString(r.query_latency.percentiles[i] * 100) +
                "_percentile_per_query_latency_ns",
            i64(r.query_latency.percentile_ns[i]));
      }
      break;
    case TestScenario::Server:
      add("result_overlatency_query_count", i64(r.overlatency_query_count));
      add("result_scheduled_samples_per_sec", fixed(r.scheduled_samples_per_sec));
      add("result_completed_samples_per_sec", fixed(r.completed_samples_per_sec));
      add("result_issue_lag_max_ns", i64(r.issue_lag.max_ns));
      add("result_issue_lag_99.00_percentile_ns", i64(r.issue_lag.percentile_ns[4]));
      break;
    case TestScenario::Offline:
      add("result_samples_per_second", JsonNumber(r.samples_per_sec));
      break;
  }
  add("result_min_latency_ns", i64(r.sample_latency.min_ns));
  add("result_max_latency_ns", i64(r.sample_latency.max_ns));
  add("result_mean_latency_ns", i64(r.sample_latency.mean_ns));
  for (size_t i = 0; i < r.sample_latency.percentiles.size(); ++i) {
    add("result_" + FixedString(r.sample_latency.percentiles[i] * 100) +
            "_percentile_latency_ns",
        i64(r.sample_latency.percentile_ns[i]));
  }
  if (s.use_token_latencies) {
    add("result_first_token_min_latency_ns", i64(r.first_token.min_ns));
    add("result_first_token_max_latency_ns", i64(r.first_token.max_ns));
    add("result_first_token_mean_latency_ns", i64(r.first_token.mean_ns));
    for (size_t i = 0; i < r.first_token.percentiles.size(); ++i) {
      add("result_first_token_" + FixedString(r.first_token.percentiles[i] * 100) +
              "_percentile_latency_ns",
          i64(r.first_token.percentile_ns[i]));
    }
    add("result_time_to_output_token_min", i64(r.time_per_output_token.min_ns));
    add("result_time_to_output_token_max", i64(r.time_per_output_token.max_ns));
    add("result_time_to_output_token_mean", i64(r.time_per_output_token.mean_ns));
    for (size_t i = 0; i < r.time_per_output_token.percentiles.size(); ++i) {
      add("result_time_per_output_token_" +
              FixedString(r.time_per_output_token.percentiles[i] * 100) +
              "_percentile_ns",
          i64(r.time_per_output_token.percentile_ns[i]));
    }
    add("result_token_count", i64(r.token_count));
  }
}

void Run::WriteAccuracyEntries() {
  std::vector<AccuracyEntry> entries;
  std::vector<uint8_t> bytes;
  std::vector<std::pair<uint64_t, std::string>> token_hex;
  {
    std::lock_guard<std::mutex> lock(acc_mu_);
    entries.swap(acc_entries_);
    bytes.swap(acc_bytes_);
    token_hex.swap(token_data_hex_);
  }
  std::sort(token_hex.begin(), token_hex.end());
  auto token_for = [&](uint64_t seq) -> const std::string* {
    auto it = std::lower_bound(token_hex.begin(), token_hex.end(),
                               std::make_pair(seq, std::string()));
    if (it != token_hex.end() && it->first == seq) return &it->second;
    return nullptr;
  };
  const bool tokens = settings_.use_token_latencies;
  const bool offline = settings_.scenario == TestScenario::Offline;
  std::string out;
  for (const auto& e : entries) {
    if (!acc_first_entry_) out += ",\n";
    acc_first_entry_ = false;
    out += "{ \"seq_id\" : " + std::to_string(e.seq_id) +
           ", \"qsl_idx\" : " + std::to_string(e.qsl_index) + ", \"data\" : \"" +
           Hex(bytes.data() + e.offset, e.size) + "\"";
    if (tokens) {
      if (!offline) {
        const std::string* th = token_for(e.seq_id);
        out += ", \"token_data\" : \"" + (th ? *th : std::string()) + "\"";
      }
      out += ", \"token_count\" : " + std::to_string(e.n_tokens);
    }
    out += " }";
  }
  accuracy_out_ << out;
  accuracy_out_.flush();
}

void Run::WriteDetail() {
  const std::string text = detail_->Take();
  detail_out_ << text;
  detail_out_.flush();
  if (log_settings_.log_output.copy_detail_to_stdout) std::cout << text << std::flush;
}

void Run::WriteTraceEvents(bool accuracy, int64_t start_ns, uint64_t samples) {
  if (!log_settings_.enable_trace || samples == 0) return;
  // Bounded: at most kMaxTraceSamples sample events per phase, evenly spread
  // over the phase when it has more.
  constexpr uint64_t kMaxTraceSamples = 100000;
  const uint64_t stride = samples > kMaxTraceSamples
                              ? (samples + kMaxTraceSamples - 1) / kMaxTraceSamples
                              : 1;
  const int64_t origin = detail_origin_ns_;
  std::string out;
  out.reserve(static_cast<size_t>(std::min(samples, kMaxTraceSamples)) * 220 + 256);
  auto sep = [&] { out += trace_events_++ == 0 ? "" : ",\n"; };
  char buf[512];
  sep();
  std::snprintf(buf, sizeof(buf),
                "{\"name\":\"%s\",\"ph\":\"X\",\"pid\":0,\"tid\":0,"
                "\"ts\":%.3f,\"dur\":%.3f,\"args\":{\"samples\":%llu,"
                "\"sampled_every\":%llu}}",
                accuracy ? "AccuracyPhase" : "PerformancePhase",
                static_cast<double>(start_ns - origin) / 1e3,
                static_cast<double>(clock_->NowNs() - start_ns) / 1e3,
                static_cast<unsigned long long>(samples),
                static_cast<unsigned long long>(stride));
  out += buf;
  for (uint64_t i = 0; i < samples; i += stride) {
    const SampleSlot& slot = slots_.Get(i);
    const uint64_t qi = i / phase_spq_;
    const QueryRecord& q = queries_.Get(qi);
    const int64_t done = slot.done_ns.load(std::memory_order_acquire);
    const bool completed = !IsPending(done);
    sep();
    std::snprintf(buf, sizeof(buf),
                  "{\"name\":\"Sample\",\"ph\":\"X\",\"pid\":0,\"tid\":1,"
                  "\"ts\":%.3f,\"dur\":%.3f,\"args\":{\"sample_seq\":%llu,"
                  "\"query_seq\":%llu,\"sample_idx\":%u,\"issue_start_ns\":%lld,"
                  "\"complete_ns\":%lld}}",
                  static_cast<double>(q.scheduled_ns - origin) / 1e3,
                  completed ? static_cast<double>(done - q.scheduled_ns) / 1e3 : 0.0,
                  static_cast<unsigned long long>(phase_seq_base_ + i),
                  static_cast<unsigned long long>(qi), sample_qsl_.Get(i),
                  static_cast<long long>(q.issued_ns - q.scheduled_ns),
                  completed ? static_cast<long long>(done - q.scheduled_ns) : -1LL);
    out += buf;
  }
  trace_out_ << out;
}

void Run::WriteSummaryJson() {
  std::ofstream f(LogPath("summary", ".json"), std::ios::out | std::ios::trunc);
  if (!f.good()) {
    std::cerr << "loadgen: cannot write " << LogPath("summary", ".json") << "\n";
    return;
  }
  auto stats = [](const LatencyStats& st) {
    std::string o = "{\"count\": " + std::to_string(st.count) +
                    ", \"min_ns\": " + std::to_string(st.min_ns) +
                    ", \"max_ns\": " + std::to_string(st.max_ns) +
                    ", \"mean_ns\": " + std::to_string(st.mean_ns) + ", \"percentiles\": {";
    for (size_t i = 0; i < st.percentiles.size(); ++i) {
      o += (i ? ", " : "") + JsonString(FixedString(st.percentiles[i] * 100)) + ": " +
           std::to_string(st.percentile_ns[i]);
    }
    return o + "}}";
  };
  auto strings = [](const std::vector<std::string>& v) {
    std::string o = "[";
    for (size_t i = 0; i < v.size(); ++i) o += (i ? ", " : "") + JsonString(v[i]);
    return o + "]";
  };
  std::string o = "{\n  \"schema\": \"loadgen.summary/1\",\n";
  o += "  \"loadgen_version\": " + JsonString(Version()) + ",\n";
  o += "  \"test_datetime\": " + JsonString(datetime_) + ",\n";
  o += "  \"sut_name\": " + JsonString(sut_name_) + ",\n";
  o += "  \"qsl_name\": " + JsonString(qsl_name_) + ",\n";
  o += "  \"scenario\": " + JsonString(ToString(settings_.scenario)) + ",\n";
  o += "  \"mode\": " + JsonString(ToString(settings_.mode)) + ",\n";
  o += "  \"aborted\": " + JsonBool(result_.aborted) + ",\n";
  o += "  \"abort_reason\": " + JsonString(result_.abort_reason) + ",\n";
  o += "  \"num_errors\": " + std::to_string(result_.num_errors) + ",\n";
  o += "  \"num_warnings\": " + std::to_string(result_.num_warnings) + ",\n";
  o += "  \"errors\": " + strings(result_.errors) + ",\n";
  o += "  \"accuracy\": {\"ran\": " + JsonBool(result_.has_accuracy) +
       ", \"samples_issued\": " + std::to_string(result_.accuracy_samples_issued) +
       ", \"samples_completed\": " + std::to_string(result_.accuracy_samples_completed) +
       "},\n";
  if (settings_.mode == TestMode::FindPeakPerformance) {
    o += "  \"peak_qps\": " + JsonNumber(result_.peak_qps) + ",\n";
  }
  o += "  \"performance\": [";
  for (size_t k = 0; k < result_.performance.size(); ++k) {
    const PerformanceResult& r = result_.performance[k];
    o += k ? ",\n    {" : "\n    {";
    o += "\"result\": " + JsonString(r.valid ? "VALID" : "INVALID");
    o += ", \"invalid_reasons\": " + strings(r.invalid_reasons);
    o += ", \"early_end_reason\": " + JsonString(r.early_end_reason);
    o += ", \"min_duration_met\": " + JsonBool(r.min_duration_met);
    o += ", \"min_queries_met\": " + JsonBool(r.min_queries_met);
    o += ", \"perf_constraints_met\": " + JsonBool(r.perf_constraints_met);
    o += ", \"early_stopping_met\": " + JsonBool(r.early_stopping_met);
    o += ", \"early_stopping\": " + strings(r.early_stopping_lines);
    o += ", \"metric_name\": " + JsonString(r.metric_name);
    o += ", \"metric\": " + JsonNumber(r.metric);
    o += ", \"target_qps\": " + JsonNumber(r.target_qps);
    o += ", \"queries_issued\": " + std::to_string(r.queries_issued);
    o += ", \"samples_issued\": " + std::to_string(r.samples_issued);
    o += ", \"samples_completed\": " + std::to_string(r.samples_completed);
    o += ", \"samples_never_completed\": " + std::to_string(r.samples_never_completed);
    o += ", \"qps_with_loadgen_overhead\": " + JsonNumber(r.qps_with_loadgen_overhead);
    o += ", \"qps_without_loadgen_overhead\": " + JsonNumber(r.qps_without_loadgen_overhead);
    o += ", \"scheduled_samples_per_sec\": " + JsonNumber(r.scheduled_samples_per_sec);
    o += ", \"completed_samples_per_sec\": " + JsonNumber(r.completed_samples_per_sec);
    o += ", \"samples_per_sec\": " + JsonNumber(r.samples_per_sec);
    o += ", \"overlatency_query_count\": " + std::to_string(r.overlatency_query_count);
    o += ", \"early_stopping_latency_ss_ns\": " + std::to_string(r.early_stopping_latency_ss);
    o += ", \"early_stopping_latency_ms_ns\": " + std::to_string(r.early_stopping_latency_ms);
    o += ", \"final_query_scheduled_s\": " + JsonNumber(r.final_query_scheduled_s);
    o += ", \"final_query_issued_s\": " + JsonNumber(r.final_query_issued_s);
    o += ", \"final_query_done_s\": " + JsonNumber(r.final_query_done_s);
    o += ", \"sample_latency\": " + stats(r.sample_latency);
    o += ", \"query_latency\": " + stats(r.query_latency);
    o += ", \"issue_lag\": " + stats(r.issue_lag);
    if (settings_.use_token_latencies) {
      o += ", \"first_token_latency\": " + stats(r.first_token);
      o += ", \"time_per_output_token\": " + stats(r.time_per_output_token);
      o += ", \"token_count\": " + std::to_string(r.token_count);
    }
    o += "}";
  }
  o += result_.performance.empty() ? "],\n" : "\n  ],\n";
  const EffectiveSettings& e = settings_;
  o += "  \"settings\": {\"samples_per_query\": " + std::to_string(e.samples_per_query) +
       ", \"target_qps\": " + JsonNumber(e.target_qps) +
       ", \"target_latency_ns\": " + std::to_string(e.target_latency_ns) +
       ", \"target_latency_percentile\": " + JsonNumber(e.target_latency_percentile) +
       ", \"min_duration_ms\": " + std::to_string(e.min_duration_ms) +
       ", \"max_duration_ms\": " + std::to_string(e.max_duration_ms) +
       ", \"min_query_count\": " + std::to_string(e.min_query_count) +
       ", \"max_query_count\": " + std::to_string(e.max_query_count) +
       ", \"qsl_rng_seed\": " + std::to_string(e.qsl_rng_seed) +
       ", \"sample_index_rng_seed\": " + std::to_string(e.sample_index_rng_seed) +
       ", \"schedule_rng_seed\": " + std::to_string(e.schedule_rng_seed) +
       ", \"performance_sample_count\": " + std::to_string(e.performance_sample_count) +
       ", \"accuracy_sample_count\": " + std::to_string(e.accuracy_sample_count) + "}\n";
  o += "}\n";
  f << o;
}

// ---------------------------------------------------------------------------

TestResult Run::Execute() {
  // Everything that can be checked is checked before any callback or thread.
  size_t total = 0, perf = 0;
  total = qsl_->TotalSampleCount();
  perf = qsl_->PerformanceSampleCount();
  ValidateSettings(requested_, total, perf);
  const int64_t origin = clock_->NowNs();
  datetime_ = UtcDateTime();
  OpenLogs();
  detail_ = std::make_unique<DetailLog>(origin);
  detail_origin_ns_ = origin;

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
  tokens_ = settings_.use_token_latencies;
  if (tokens_) token_slots_ = std::make_unique<ChunkedArray<TokenSlot>>();
  draw_sampling_values_ = settings_.accuracy_log_probability > 0 ||
                          settings_.accuracy_log_sampling_target > 0;

  const int64_t t0 = clock_->NowNs();
  detail_->Add("loadgen_version", JsonString(std::string(Version()) + " (loadgen)"), t0,
               false, false, "version.cc", 1);
  detail_->Add("loadgen_build_date_local", JsonString(BuildDate()), t0);
  detail_->Add("loadgen_build_date_utc", JsonString(BuildDate()), t0);
  detail_->Add("loadgen_git_commit_date", JsonString(""), t0);
  detail_->Add("loadgen_git_log_message", JsonString(""), t0);
  detail_->Add("loadgen_git_status_message", JsonString(""), t0);
  detail_->Add("loadgen_file_sha1", "{}", t0);
  detail_->Add("test_datetime", JsonString(datetime_), t0);
  if (audit_used) {
    AddWarning("warning_generic_message",
               "Found Audit Config file (" + options_.audit_config_filename +
                   ") and applied its settings.");
  }
  for (const auto& d : effective_request.config_diagnostics) {
    const std::string msg = FormatDiagnostic(d);
    if (d.is_error) {
      AddError("error_invalid_config", msg);
    } else {
      AddWarning("warning_generic_message", msg);
    }
  }

  const int64_t name_start = clock_->NowNs();
  CallSafely("SystemUnderTest::Name", [&] { sut_name_ = sut_->Name(); });
  const int64_t name_end = clock_->NowNs();
  CallSafely("QuerySampleLibrary::Name", [&] { qsl_name_ = qsl_->Name(); });
  detail_->Add("sut_name", JsonString(sut_name_), name_end);
  detail_->Add("get_sut_name_duration_ns", std::to_string(name_end - name_start), name_end);
  detail_->Add("qsl_name", JsonString(qsl_name_), name_end);
  detail_->Add("qsl_reported_total_count", std::to_string(total), name_end);
  detail_->Add("qsl_reported_performance_count", std::to_string(perf), name_end);
  LogSettingsRecords();
  WriteDetail();

  if (!Aborting()) {
    switch (settings_.mode) {
      case TestMode::SubmissionRun:
        RunAccuracy();
        WriteDetail();
        if (!Aborting()) result_.performance.push_back(RunPerformance(settings_, true));
        break;
      case TestMode::AccuracyOnly:
        RunAccuracy();
        break;
      case TestMode::PerformanceOnly:
        result_.performance.push_back(RunPerformance(settings_, true));
        break;
      case TestMode::FindPeakPerformance:
        RunFindPeak();
        break;
    }
  }

  if (Aborting()) {
    result_.aborted = true;
    result_.abort_reason = AbortReason();
    AddError("error_runtime", "Test aborted: " + result_.abort_reason);
  }
  // Late accuracy entries (completions during the tail) and the files.
  WriteAccuracyEntries();
  accuracy_out_ << (acc_first_entry_ ? "" : "\n") << "]\n";
  accuracy_out_.flush();
  // AddSampleError logs only the first kMaxKeptErrors records; the rest count.
  const int64_t sample_errors = sample_error_count_.load(std::memory_order_relaxed);
  const int64_t unlogged = std::max<int64_t>(
      0, sample_errors - static_cast<int64_t>(kMaxKeptErrors));
  if (unlogged > 0) {
    detail_->Add("generic_message",
                 JsonString(std::to_string(unlogged) +
                            " further errors were counted but not logged one by one."),
                 clock_->NowNs());
  }
  result_.num_errors = detail_->errors() + unlogged;
  result_.num_warnings = detail_->warnings();
  detail_->Add("num_errors", std::to_string(result_.num_errors), clock_->NowNs());
  detail_->Add("num_warnings", std::to_string(result_.num_warnings), clock_->NowNs());
  WriteDetail();

  std::ostringstream summary;
  summary << summary_text_;
  auto count_line = [&summary](int64_t n, const char* one, const char* many,
                               const char* none) {
    summary << "\n";
    if (n == 0) summary << none << "\n";
    else if (n == 1) summary << one << "\n";
    else summary << n << " " << many << "\n";
  };
  count_line(result_.num_warnings, "1 warning encountered. See detailed log.",
             "warnings encountered. See detailed log.",
             "No warnings encountered during test.");
  count_line(result_.num_errors, "1 ERROR encountered. See detailed log.",
             "ERRORS encountered. See detailed log.",
             "No errors encountered during test.");
  if (result_.aborted) {
    summary << "\nTest aborted: " << result_.abort_reason << "\n";
  }
  summary_out_ << summary.str();
  summary_out_.flush();
  if (log_settings_.log_output.copy_summary_to_stdout) std::cout << summary.str() << std::flush;
  if (log_settings_.enable_trace) {
    trace_out_ << (trace_events_ == 0 ? "" : "\n") << "]}\n";
  }
  trace_out_.flush();
  WriteSummaryJson();
  {
    std::lock_guard<std::mutex> lock(errors_mu_);
    result_.errors = error_messages_;
  }
  if (exception_) std::rethrow_exception(exception_);
  return result_;
}

}  // namespace internal
}  // namespace mlperf
