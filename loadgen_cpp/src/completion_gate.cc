#include "completion_gate.h"

#include <thread>

namespace mlperf {
namespace internal {

namespace {

// Every slot ever made; slots are never freed (a thread exit only marks its
// slot free for the next thread), so the list only grows by pushes.
std::atomic<CompletionGate::Slot*> g_slots{nullptr};

CompletionGate::Slot* Acquire() {
  for (CompletionGate::Slot* s = g_slots.load(std::memory_order_acquire); s;
       s = s->next) {
    bool expected = false;
    if (!s->in_use.load(std::memory_order_relaxed) &&
        s->in_use.compare_exchange_strong(expected, true,
                                          std::memory_order_acq_rel)) {
      return s;
    }
  }
  auto* s = new CompletionGate::Slot();
  s->in_use.store(true, std::memory_order_relaxed);
  CompletionGate::Slot* head = g_slots.load(std::memory_order_relaxed);
  do {
    s->next = head;
  } while (!g_slots.compare_exchange_weak(head, s, std::memory_order_acq_rel));
  return s;
}

struct ThreadSlot {
  CompletionGate::Slot* slot = Acquire();
  ~ThreadSlot() { slot->in_use.store(false, std::memory_order_release); }
};

}  // namespace

CompletionGate::Slot* CompletionGate::ThisThreadSlot() {
  thread_local ThreadSlot mine;
  return mine.slot;
}

bool CompletionGate::InsideOnThisThread() {
  return (ThisThreadSlot()->state.load(std::memory_order_relaxed) & 1) != 0;
}

void CompletionGate::WaitUntilClear() {
  for (Slot* s = g_slots.load(std::memory_order_seq_cst); s; s = s->next) {
    const uint64_t seen = s->state.load(std::memory_order_seq_cst);
    if ((seen & 1) == 0) continue;
    // Inside: wait for this pass to end (any change of the counter).
    for (int spins = 0; s->state.load(std::memory_order_seq_cst) == seen;
         ++spins) {
      if (spins > 64) std::this_thread::yield();
    }
  }
}

}  // namespace internal
}  // namespace mlperf
