// The completion entry points of a Run: any thread, no lock on the way
// unless a response goes to the accuracy log. The *InPass methods run inside
// a CompletionGate::Pass held by the caller (loadgen.cc holds one across
// reading the current-run pointer too); they collect the responses for the
// response callback, which runs after the pass, so neither a phase nor the
// Run waits for a callback.
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "run.h"

namespace mlperf {
namespace internal {

void RunResponseCallbacks(const std::vector<QuerySampleResponse>& logged,
                          const ResponseCallback& cb) {
  std::exception_ptr error;
  for (const QuerySampleResponse& r : logged) {
    QuerySampleResponse copy = r;
    try {
      cb(&copy);
    } catch (...) {
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

bool Run::Claim(ResponseId id, int64_t now_ns, int64_t n_tokens,
                CompletionTracker::Claimed* c, bool check_first_token) {
  switch (tracker_.ClaimSample(id, now_ns, n_tokens, c)) {
    case CompletionTracker::Claim::kOk:
      break;
    case CompletionTracker::Claim::kUnknown:
      control_.AddSampleError(
          "QuerySamplesComplete: unknown response id " + std::to_string(id) +
          " (not issued by the running test phase); ignored.");
      return false;
    case CompletionTracker::Claim::kDuplicate:
      control_.AddSampleError("Attempted to complete a sample twice (id " +
                              std::to_string(id) + ").");
      return false;
  }
  if (check_first_token && tracker_.tokens() &&
      settings_.scenario != TestScenario::Offline && !c->had_first_token) {
    // As the reference: every scenario but Offline needs the first token first.
    control_.AddSampleError(
        "Sample completed before its first token was reported (id " +
        std::to_string(id) + ").");
  }
  return true;
}

void Run::LogResponse(const CompletionTracker::Claimed& c, const uint8_t* data,
                      size_t size, int64_t n_tokens) {
  const uint64_t seq = tracker_.seq_base() + c.index;
  const std::string err =
      accuracy_log_.Add(seq, c.qsl_index, data, size, n_tokens);
  if (!err.empty()) ReportBadData(seq, c.qsl_index, "response", size, err);
}

namespace {
// The logged responses of the current completion call, per thread (reused,
// so a call allocates only when it logs more responses than ever before).
thread_local std::vector<AccuracyLog::Item> t_queued;
thread_local std::vector<std::pair<size_t, std::string>> t_errors;
}  // namespace

void Run::QueueResponse(const CompletionTracker::Claimed& c,
                        const uint8_t* data, size_t size, int64_t n_tokens) {
  t_queued.push_back(AccuracyLog::Item{tracker_.seq_base() + c.index,
                                       c.qsl_index, data, size, n_tokens});
}

void Run::FlushQueuedResponses() {
  if (t_queued.empty()) return;
  t_errors.clear();
  accuracy_log_.AddBatch(t_queued, &t_errors);
  for (const auto& [i, why] : t_errors) {
    const AccuracyLog::Item& it = t_queued[i];
    ReportBadData(it.seq_id, it.qsl_index, "response", it.size, why);
  }
  t_queued.clear();
}

void Run::ReportBadData(uint64_t seq, uint32_t qsl_index, const char* what,
                        size_t size, const std::string& why) {
  tracker_.CountBadResponse();
  control_.AddSampleError("Sample " + std::to_string(seq) + " (QSL index " +
                          std::to_string(qsl_index) + "): the " + what +
                          " data (" + std::to_string(size) +
                          " bytes) could not be logged: " + why +
                          ". Its data is left out of the accuracy log.");
}

void Run::CompleteInPass(const QuerySampleResponse* responses, size_t count,
                         std::vector<QuerySampleResponse>* to_callback) {
  const int64_t now = clock_->NowNs();
  uint64_t done = 0;
  for (size_t i = 0; i < count; ++i) {
    const QuerySampleResponse& r = responses[i];
    CompletionTracker::Claimed c;
    if (!Claim(r.id, now, r.n_tokens, &c)) continue;
    if (c.logged) {
      QueueResponse(c, reinterpret_cast<const uint8_t*>(r.data), r.size,
                    r.n_tokens);
      if (to_callback) to_callback->push_back(r);
    }
    ++done;
  }
  FlushQueuedResponses();
  tracker_.Finish(done);
}

void Run::FirstTokenInPass(const QuerySampleResponse* responses, size_t count,
                           std::vector<QuerySampleResponse>* to_callback) {
  const int64_t now = clock_->NowNs();
  if (!tracker_.tokens()) {
    control_.AddSampleError(
        "FirstTokenComplete called but use_token_latencies is false; ignored.");
    return;
  }
  for (size_t i = 0; i < count; ++i) {
    const QuerySampleResponse& r = responses[i];
    CompletionTracker::Claimed c;
    switch (tracker_.ClaimFirstToken(r.id, now, &c)) {
      case CompletionTracker::FirstTokenClaim::kOk:
        break;
      case CompletionTracker::FirstTokenClaim::kUnknown:
        control_.AddSampleError("FirstTokenComplete: unknown response id " +
                                std::to_string(r.id) + "; ignored.");
        continue;
      case CompletionTracker::FirstTokenClaim::kAfterComplete:
        control_.AddSampleError(
            "FirstTokenComplete after QuerySamplesComplete for id " +
            std::to_string(r.id) + ".");
        continue;
      case CompletionTracker::FirstTokenClaim::kTwice:
        control_.AddSampleError("First token reported twice for id " +
                                std::to_string(r.id) + ".");
        continue;
    }
    if (c.logged) {
      const uint64_t seq = tracker_.seq_base() + c.index;
      const std::string err = accuracy_log_.AddFirstToken(
          seq, reinterpret_cast<const uint8_t*>(r.data), r.size);
      if (!err.empty())
        ReportBadData(seq, c.qsl_index, "first-token", r.size, err);
      if (to_callback) to_callback->push_back(r);
    }
  }
}

void Run::CompleteIdsInPass(const ResponseId* ids, size_t count) {
  const int64_t now = clock_->NowNs();
  uint64_t done = 0;
  for (size_t i = 0; i < count; ++i) {
    CompletionTracker::Claimed c;
    if (!Claim(ids[i], now, 0, &c, false)) continue;
    if (c.logged) LogResponse(c, nullptr, 0, 0);
    ++done;
  }
  tracker_.Finish(done);
}

void Run::CompleteBufferInPass(const ResponseId* ids, size_t count,
                               const uint8_t* data, const uint64_t* offsets,
                               const int64_t* n_tokens) {
  const int64_t now = clock_->NowNs();
  uint64_t done = 0;
  for (size_t i = 0; i < count; ++i) {
    const int64_t nt = n_tokens ? n_tokens[i] : 0;
    CompletionTracker::Claimed c;
    if (!Claim(ids[i], now, nt, &c)) continue;
    if (c.logged) {
      const uint8_t* p = data ? data + offsets[i] : nullptr;
      const size_t n =
          data ? static_cast<size_t>(offsets[i + 1] - offsets[i]) : 0;
      QueueResponse(c, p, n, nt);
    }
    ++done;
  }
  FlushQueuedResponses();
  tracker_.Finish(done);
}

// The same, for callers that hold no pass (tests drive a Run directly).
void Run::Complete(const QuerySampleResponse* responses, size_t count,
                   const ResponseCallback& cb) {
  InPassThenCallbacks(cb, [&](std::vector<QuerySampleResponse>* to_callback) {
    CompleteInPass(responses, count, to_callback);
  });
}

void Run::FirstToken(const QuerySampleResponse* responses, size_t count,
                     const ResponseCallback& cb) {
  InPassThenCallbacks(cb, [&](std::vector<QuerySampleResponse>* to_callback) {
    FirstTokenInPass(responses, count, to_callback);
  });
}

void Run::CompleteIds(const ResponseId* ids, size_t count) {
  CompletionGate::Pass pass;
  CompleteIdsInPass(ids, count);
}

void Run::CompleteBuffer(const ResponseId* ids, size_t count,
                         const uint8_t* data, const uint64_t* offsets,
                         const int64_t* n_tokens) {
  CompletionGate::Pass pass;
  CompleteBufferInPass(ids, count, data, offsets, n_tokens);
}

}  // namespace internal
}  // namespace mlperf
