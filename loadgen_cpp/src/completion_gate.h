// completion_gate.h: how completing threads and the StartTest thread agree
// that nobody is still using a phase (or a whole Run), without a lock and
// without a cache line that all completing threads write.
//
// Every thread that completes samples passes through the process-wide gate:
// a Pass flips the thread's own counter to odd on entry and back to even on
// exit (one uncontended atomic add each way, on a line only that thread
// writes). The StartTest thread first unpublishes what it is about to retire
// (the phase tag, the current-run pointer), then calls WaitUntilClear(),
// which returns once every thread that was inside at that moment has left.
// Both sides use sequentially consistent operations, so either the
// completer's entry is seen by WaitUntilClear or the completer sees the
// unpublished state (Dekker's argument). Passes do not nest: a thread must not
// enter the gate while it holds a Pass.
#ifndef LOADGEN_SRC_COMPLETION_GATE_H_
#define LOADGEN_SRC_COMPLETION_GATE_H_

#include <atomic>
#include <cstdint>

namespace mlperf {
namespace internal {

class CompletionGate {
 public:
  // One per thread that ever completed; reused after the thread exits.
  struct alignas(64) Slot {
    std::atomic<uint64_t> state{0};  // odd: inside
    std::atomic<bool> in_use{false};
    Slot* next = nullptr;
  };

  class Pass {
   public:
    Pass() : slot_(ThisThreadSlot()) {
      slot_->state.fetch_add(1, std::memory_order_seq_cst);
    }
    ~Pass() { slot_->state.fetch_add(1, std::memory_order_release); }
    Pass(const Pass&) = delete;
    Pass& operator=(const Pass&) = delete;

   private:
    Slot* slot_;
  };

  // Returns once no thread that was inside the gate when it was called is
  // still inside. Call after unpublishing the state being retired.
  static void WaitUntilClear();
  // Whether the calling thread holds a Pass (for checks).
  static bool InsideOnThisThread();

 private:
  static Slot* ThisThreadSlot();
};

}  // namespace internal
}  // namespace mlperf

#endif  // LOADGEN_SRC_COMPLETION_GATE_H_
