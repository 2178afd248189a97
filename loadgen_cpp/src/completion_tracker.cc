#include "completion_tracker.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

#include "check.h"

namespace mlperf {
namespace internal {

namespace {

constexpr uint64_t kIndexMask =
    (uint64_t{1} << CompletionTracker::kIndexBits) - 1;
constexpr uint64_t kMaxTag = (uint64_t{1} << 23) - 1;
// Exact-region queries folded per Register after an auto switch, and how
// often (in Register calls) finished stragglers are folded.
constexpr int kOldQueriesPerSweep = 4;
constexpr uint64_t kStragglerFoldEvery = 4096;
constexpr size_t kStragglersPerFold = 256;

// Phase tags are unique within the process. Wraps after 8M phases, skipping 0.
uint64_t NextPhaseTag() {
  static std::atomic<uint64_t> next{1};
  const uint64_t t = next.fetch_add(1, std::memory_order_relaxed) % kMaxTag;
  return t == 0 ? 1 : t;
}

uint64_t RoundUpPow2(uint64_t v) {
  uint64_t p = 1;
  while (p < v) p <<= 1;
  return p;
}

}  // namespace

Recording ChooseRecording(const EffectiveSettings& s, bool accuracy,
                          uint64_t expected_samples, std::string* why) {
  using Mode = TestSettings::RecordMode;
  const TestSettings& t = s.requested;
  Recording r;
  const uint64_t spq = s.samples_per_query == 0 ? 1 : s.samples_per_query;
  r.window = RoundUpPow2(std::max<uint64_t>(t.streaming_window_samples == 0
                                                ? uint64_t{1} << 22
                                                : t.streaming_window_samples,
                                            2 * spq));
  if (t.record_mode == Mode::kExact) return r;
  const bool whole = accuracy || s.scenario == TestScenario::Offline;
  if (whole) {
    if (t.record_mode == Mode::kStreaming && !accuracy) {
      *why =
          "record_mode is streaming, but an Offline run issues its one "
          "query at once: its records are kept exactly.";
    }
    return r;
  }
  if (t.record_mode == Mode::kStreaming) {
    r.streaming = true;
    return r;
  }
  const uint64_t per_sample =
      kExactBytesPerSample +
      (s.use_token_latencies ? kExactBytesPerTokenSample : 0);
  r.switch_at =
      std::max<uint64_t>(t.exact_record_budget_bytes / per_sample, r.window);
  if (expected_samples > r.switch_at) r.streaming = true;
  return r;
}

void CompletionTracker::EnableTokens() {
  LG_DCHECK(tag_.load() == 0, "token latencies enabled during a phase");
  tokens_ = true;
  if (!token_slots_) token_slots_ = std::make_unique<ChunkedArray<TokenSlot>>();
}

uint64_t CompletionTracker::OpenPhase(const EffectiveSettings& s, bool accuracy,
                                      uint64_t samples_per_query,
                                      uint64_t seq_base, int64_t start_ns,
                                      const Recording& rec) {
  LG_DCHECK(tag_.load() == 0, "a phase is opened while another one is open");
  accuracy_ = accuracy;
  spq_ = samples_per_query == 0 ? 1 : samples_per_query;
  seq_base_ = seq_base;
  rec_ = rec;
  rec_.window = std::max(rec_.window, RoundUpPow2(2 * spq_));
  fold_ = std::make_unique<MeasurementFold>(s, tokens_, start_ns, rec.streaming,
                                            rec.trace);
  switched_at_ = kNever;
  registered_ = 0;
  old_tail_q_ = 0;
  ring_tail_q_ = 0;
  stragglers_moved_ = 0;
  sweeps_ = 0;
  ring_start_.store(kNever, std::memory_order_relaxed);
  if (rec.streaming) SwitchToStreaming(0);
  issued_.store(0, std::memory_order_release);
  completed_.store(0, std::memory_order_release);
  bad_responses_.store(0, std::memory_order_relaxed);
  const uint64_t tag = NextPhaseTag();
  tag_.store(tag, std::memory_order_seq_cst);
  return tag << kIndexBits;
}

void CompletionTracker::SwitchToStreaming(uint64_t first) {
  LG_DCHECK(first % spq_ == 0, "a switch inside a query");
  const uint64_t chunk = ChunkedArray<SampleSlot>::kChunkSize;
  const uint64_t base = (first + chunk - 1) / chunk * chunk;
  slots_.Reserve(base + rec_.window);
  sample_qsl_.Reserve(base + rec_.window);
  queries_.Reserve(base + rec_.window);
  if (tokens_) token_slots_->Reserve(base + rec_.window);
  fold_->MakeStreaming();
  ring_base_.store(base, std::memory_order_relaxed);
  mask_.store(rec_.window - 1, std::memory_order_relaxed);
  ring_start_.store(first, std::memory_order_relaxed);
  switched_at_ = first;
  ring_tail_q_ = first / spq_;
}

uint64_t CompletionTracker::QueryEnd(uint64_t qi) const {
  return std::min(registered_, (qi + 1) * spq_);
}

bool CompletionTracker::FoldFromSlots(uint64_t qi, bool force) {
  const uint64_t b = qi * spq_;
  const uint64_t e = QueryEnd(qi);
  // A query larger than one part is checked whole before any part is
  // folded: a pending sample must leave the fold untouched. Completion
  // times are final, so what this pass saw still holds below.
  if (!force && e - b > kFoldPart) {
    for (uint64_t i = b; i < e; ++i) {
      if (IsState(slots_.Get(Pos(i)).done_ns.load(std::memory_order_acquire)))
        return false;  // pending or being claimed
    }
  }
  const QueryRecord& rec = queries_.Get(QPos(qi));
  MeasurementFold::QueryTotals totals = MeasurementFold::StartQuery(rec);
  // Gathered in parts of kFoldPart samples: an Offline query of millions
  // of samples folds through a buffer that stays in cache, instead of a
  // copy of the whole query.
  for (uint64_t part = b; part < e; part += kFoldPart) {
    const uint64_t part_end = std::min(e, part + kFoldPart);
    if (fold_->times_only()) {
      // Most runs: the completion times are all the fold reads.
      done_scratch_.clear();
      for (uint64_t i = part; i < part_end; ++i) {
        const int64_t w =
            slots_.Get(Pos(i)).done_ns.load(std::memory_order_acquire);
        if (IsState(w) && !force) return false;  // only in the first part
        done_scratch_.push_back(w);
      }
      fold_->AddDoneTimes(rec, done_scratch_.data(), done_scratch_.size(),
                          &totals);
      continue;
    }
    scratch_.clear();
    for (uint64_t i = part; i < part_end; ++i) {
      const uint64_t p = Pos(i);
      const int64_t w = slots_.Get(p).done_ns.load(std::memory_order_acquire);
      if (IsState(w) && !force) return false;  // only in the first part
      FinishedSample f{i, sample_qsl_.Get(p), w, kStateBase, 0};
      if (tokens_) {
        const TokenSlot& ts = token_slots_->Get(p);
        f.first_token_ns = ts.first_token_ns.load(std::memory_order_acquire);
        f.n_tokens = ts.n_tokens;
      }
      scratch_.push_back(f);
    }
    fold_->AddSamples(qi, rec, scratch_.data(), scratch_.size(), &totals);
  }
  fold_->EndQuery(qi, rec, totals);
  return true;
}

void CompletionTracker::Sweep(uint64_t head) {
  const uint64_t window = rec_.window;
  const uint64_t reg_q = (registered_ + spq_ - 1) / spq_;
  // The window: fold what finished; move what blocks a position now needed.
  while (ring_tail_q_ < reg_q) {
    if (FoldFromSlots(ring_tail_q_, false)) {
      ++ring_tail_q_;
      continue;
    }
    if (ring_tail_q_ * spq_ + window >= head) break;
    MoveToStragglers(ring_tail_q_);
    ++ring_tail_q_;
  }
  // The exact region of an auto switch: a few queries each time.
  const uint64_t old_end = switched_at_ / spq_;
  for (int k = 0; k < kOldQueriesPerSweep && old_tail_q_ < old_end; ++k) {
    if (!FoldFromSlots(old_tail_q_, false)) {
      if (QueryEnd(old_tail_q_) + window >= head) break;
      MoveToStragglers(old_tail_q_);
    }
    ++old_tail_q_;
  }
  if (++sweeps_ % kStragglerFoldEvery == 0 &&
      straggler_queries_.load(std::memory_order_relaxed) > 0)
    FoldStragglers(false);
}

void CompletionTracker::MoveToStragglers(uint64_t qi) {
  MutexLock lock(&straggler_mu_);
  // Counted before any slot says kMoved: a completer that sees kMoved also
  // sees a nonzero count, and then waits for this lock.
  straggler_queries_.fetch_add(1, std::memory_order_seq_cst);
  StragglerQuery& sq = straggler_table_[qi];
  sq.rec = queries_.Get(QPos(qi));
  for (uint64_t i = qi * spq_; i < QueryEnd(qi); ++i) {
    const uint64_t p = Pos(i);
    std::atomic<int64_t>& word = slots_.Get(p).done_ns;
    int64_t w = word.load(std::memory_order_acquire);
    while (true) {
      if (IsState(w) && StateOf(w) == SlotState::kClaiming) {
        // A completer is storing its token count; a few stores away.
        std::this_thread::yield();
        w = word.load(std::memory_order_acquire);
        continue;
      }
      if (!IsPending(w)) break;  // completed: keep its time
      if (word.compare_exchange_weak(w, StateWord(i, SlotState::kMoved),
                                     std::memory_order_acq_rel))
        break;  // w: the pending state it had
    }
    Straggler st{i, sample_qsl_.Get(p), w, kStateBase, 0};
    if (tokens_) {
      TokenSlot& ts = token_slots_->Get(p);
      int64_t ft = ts.first_token_ns.load(std::memory_order_acquire);
      while (IsState(ft) && !ts.first_token_ns.compare_exchange_weak(
                                ft, StateWord(i, SlotState::kMoved),
                                std::memory_order_acq_rel)) {
      }
      st.first_token_ns = IsState(ft) ? kStateBase : ft;
      st.n_tokens = ts.n_tokens;
    }
    sq.samples.push_back(st);
  }
  ++stragglers_moved_;
}

void CompletionTracker::FoldStragglers(bool force) {
  MutexLock lock(&straggler_mu_);
  // While running, look at a bounded number of queries per call, from where
  // the last call stopped: a SUT that never answers some samples must not
  // make every sweep walk a growing table.
  size_t budget = force ? straggler_table_.size() : kStragglersPerFold;
  auto it = force ? straggler_table_.begin()
                  : straggler_table_.lower_bound(straggler_cursor_);
  for (; budget > 0; --budget) {
    if (it == straggler_table_.end()) {
      if (force || straggler_table_.empty()) break;
      it = straggler_table_.begin();
    }
    const StragglerQuery& sq = it->second;
    bool final = true;
    scratch_.clear();
    for (const Straggler& st : sq.samples) {
      if (IsState(st.word) && !force) final = false;
      scratch_.push_back(FinishedSample{st.index, st.qsl_index, st.word,
                                        st.first_token_ns, st.n_tokens});
    }
    if (!final) {
      ++it;
      continue;
    }
    fold_->AddQuery(it->first, sq.rec, scratch_.data(), scratch_.size());
    it = straggler_table_.erase(it);
    straggler_queries_.fetch_sub(1, std::memory_order_seq_cst);
  }
  straggler_cursor_ = it == straggler_table_.end() ? 0 : it->first;
}

bool CompletionTracker::AdvanceDecided(uint64_t* cursor, int64_t now_ns,
                                       int64_t bound_ns, uint64_t* over) const {
  const uint64_t reg_q = (registered_ + spq_ - 1) / spq_;
  while (*cursor < reg_q) {
    const uint64_t qi = *cursor;
    const uint64_t b = qi * spq_;
    // A window position is reused once the sample `window` later is
    // registered; the exact region of an auto switch keeps its positions.
    if (switched_at_ != kNever && b >= switched_at_ &&
        registered_ - b > rec_.window) {
      return false;
    }
    const int64_t scheduled = queries_.Get(QPos(qi)).scheduled_ns;
    int64_t last_done = kStateBase;
    bool outstanding = false;
    for (uint64_t i = b; i < QueryEnd(qi); ++i) {
      const int64_t w =
          slots_.Get(Pos(i)).done_ns.load(std::memory_order_acquire);
      // Pending, being claimed or moved to the straggler table: outstanding.
      if (IsState(w)) {
        outstanding = true;
        break;
      }
      last_done = std::max(last_done, w);
    }
    const int64_t latency =
        outstanding ? now_ns - scheduled : last_done - scheduled;
    if (outstanding && latency <= bound_ns) break;
    if (latency > bound_ns) ++*over;
    ++*cursor;
  }
  return true;
}

void CompletionTracker::ClosePhase() {
  tag_.store(0, std::memory_order_seq_cst);
  // A completer that read the old tag entered the gate before that read;
  // wait for it to leave. A pass is a few hundred ns of work, no callbacks.
  CompletionGate::WaitUntilClear();
  LG_DCHECK(completed_.load() <= issued_.load(),
            "more completions than issued samples");
}

bool CompletionTracker::Resolve(ResponseId id, uint64_t* index) const {
  const uint64_t tag = static_cast<uint64_t>(id) >> kIndexBits;
  const uint64_t raw = static_cast<uint64_t>(id) & kIndexMask;
  if (tag == 0 || raw == 0 || tag != tag_.load(std::memory_order_seq_cst))
    return false;
  const uint64_t i = raw - 1;
  if (i >= issued_.load(std::memory_order_acquire)) return false;
  *index = i;
  return true;
}

CompletionTracker::Claim CompletionTracker::ClaimSample(ResponseId id,
                                                        int64_t now_ns,
                                                        int64_t n_tokens,
                                                        Claimed* out) {
  LG_DCHECK(CompletionGate::InsideOnThisThread(),
            "a claim outside a CompletionGate::Pass");
  LG_DCHECK(!IsState(now_ns), "a completion time that reads as a state");
  uint64_t i;
  if (!Resolve(id, &i)) return Claim::kUnknown;
  out->index = i;
  const uint64_t p = Pos(i);
  std::atomic<int64_t>& word = slots_.Get(p).done_ns;
  int64_t cur = word.load(std::memory_order_acquire);
  // A position that may be reused (the window) is claimed in two steps:
  // CLAIMING(i) keeps the sweep away while the QSL index is read and the
  // token count stored; so does a token run's slot.
  const bool two_step =
      tokens_ || i >= ring_start_.load(std::memory_order_relaxed);
  while (true) {
    if (!IsPending(cur) || StateIndex(cur) != i) {
      // Completed, or this position holds a later sample: a duplicate,
      // unless the sample moved to the straggler table.
      if (straggler_queries_.load(std::memory_order_seq_cst) > 0)
        return ClaimStraggler(i, now_ns, n_tokens, out);
      return Claim::kDuplicate;
    }
    const int64_t to = two_step ? StateWord(i, SlotState::kClaiming) : now_ns;
    // On failure `cur` is reloaded: a racing duplicate or a move changed it.
    if (word.compare_exchange_weak(cur, to, std::memory_order_acq_rel)) break;
  }
  out->qsl_index = sample_qsl_.Get(p);
  out->logged = StateOf(cur) == SlotState::kPendingLogged;
  if (tokens_) {
    TokenSlot& ts = token_slots_->Get(p);
    ts.n_tokens = n_tokens;
    out->had_first_token =
        !IsState(ts.first_token_ns.load(std::memory_order_acquire));
  }
  if (two_step) word.store(now_ns, std::memory_order_release);
  return Claim::kOk;
}

CompletionTracker::Straggler* CompletionTracker::FindStraggler(uint64_t index) {
  auto it = straggler_table_.find(index / spq_);
  if (it == straggler_table_.end()) return nullptr;
  for (Straggler& st : it->second.samples) {
    if (st.index == index) return &st;
  }
  return nullptr;
}

CompletionTracker::Claim CompletionTracker::ClaimStraggler(uint64_t index,
                                                           int64_t now_ns,
                                                           int64_t n_tokens,
                                                           Claimed* out) {
  MutexLock lock(&straggler_mu_);
  Straggler* st = FindStraggler(index);
  if (st == nullptr || !IsPending(st->word)) return Claim::kDuplicate;
  out->qsl_index = st->qsl_index;
  out->logged = StateOf(st->word) == SlotState::kPendingLogged;
  out->had_first_token = !IsState(st->first_token_ns);
  st->word = now_ns;
  st->n_tokens = n_tokens;
  return Claim::kOk;
}

CompletionTracker::FirstTokenClaim CompletionTracker::ClaimFirstToken(
    ResponseId id, int64_t now_ns, Claimed* out) {
  uint64_t i;
  if (!Resolve(id, &i)) return FirstTokenClaim::kUnknown;
  out->index = i;
  const uint64_t p = Pos(i);
  const int64_t w = slots_.Get(p).done_ns.load(std::memory_order_acquire);
  if (!IsPending(w) || StateIndex(w) != i) {
    if (straggler_queries_.load(std::memory_order_seq_cst) > 0)
      return FirstTokenStraggler(i, now_ns, out);
    return FirstTokenClaim::kAfterComplete;
  }
  TokenSlot& ts = token_slots_->Get(p);
  int64_t expected = StateWord(i, SlotState::kPending);
  if (!ts.first_token_ns.compare_exchange_strong(expected, now_ns)) {
    if (IsState(expected) && StateOf(expected) == SlotState::kMoved &&
        StateIndex(expected) == i)
      return FirstTokenStraggler(i, now_ns, out);
    return IsState(expected) ? FirstTokenClaim::kAfterComplete
                             : FirstTokenClaim::kTwice;
  }
  // Only for messages: the sample is outstanding, its position not reused.
  out->qsl_index = sample_qsl_.Get(p);
  out->logged = StateOf(w) == SlotState::kPendingLogged;
  return FirstTokenClaim::kOk;
}

CompletionTracker::FirstTokenClaim CompletionTracker::FirstTokenStraggler(
    uint64_t index, int64_t now_ns, Claimed* out) {
  MutexLock lock(&straggler_mu_);
  Straggler* st = FindStraggler(index);
  if (st == nullptr || !IsPending(st->word)) {
    return FirstTokenClaim::kAfterComplete;
  }
  if (!IsState(st->first_token_ns)) return FirstTokenClaim::kTwice;
  st->first_token_ns = now_ns;
  out->qsl_index = st->qsl_index;
  out->logged = StateOf(st->word) == SlotState::kPendingLogged;
  return FirstTokenClaim::kOk;
}

void CompletionTracker::Finish(uint64_t n) {
  if (n == 0) return;
  completed_.fetch_add(n, std::memory_order_seq_cst);
  if (waiting_.load(std::memory_order_seq_cst)) {
    MutexLock lock(&wait_mu_);
    wait_cv_.notify_all();
  }
}

void CompletionTracker::WaitFor(uint64_t target, int64_t timeout_ms,
                                const std::atomic<bool>& stop) {
  std::unique_lock<std::mutex> lock(wait_mu_.native());
  waiting_.store(true, std::memory_order_seq_cst);
  wait_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
    return completed_.load(std::memory_order_seq_cst) >= target ||
           stop.load(std::memory_order_acquire);
  });
  waiting_.store(false, std::memory_order_relaxed);
}

void CompletionTracker::Wake() {
  MutexLock lock(&wait_mu_);
  wait_cv_.notify_all();
}

RunMeasurements CompletionTracker::Collect(uint64_t queries, uint64_t samples,
                                           int64_t* last_done_ns) {
  LG_DCHECK(tag_.load() == 0, "measurements collected from an open phase");
  LG_DCHECK(samples == registered_, "collecting other samples than issued");
  const uint64_t nq = samples == 0 ? 0 : (samples + spq_ - 1) / spq_;
  const uint64_t old_end =
      std::min(nq, switched_at_ == kNever ? nq : switched_at_ / spq_);
  if (switched_at_ == kNever) fold_->Reserve(samples, nq);
  for (uint64_t qi = old_tail_q_; qi < old_end; ++qi) FoldFromSlots(qi, true);
  if (switched_at_ != kNever)
    for (uint64_t qi = ring_tail_q_; qi < nq; ++qi) FoldFromSlots(qi, true);
  FoldStragglers(true);
  RunMeasurements m = fold_->Finish(queries, samples, last_done_ns);
  m.bad_responses = bad_responses_.load(std::memory_order_relaxed);
  if (switched_at_ != kNever) {
    m.record_mode = "streaming";
    m.streaming_from_sample = static_cast<int64_t>(switched_at_);
    m.streaming_window = rec_.window;
    m.stragglers = stragglers_moved_;
  }
  return m;
}

}  // namespace internal
}  // namespace mlperf
