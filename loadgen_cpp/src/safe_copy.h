// safe_copy.h: copying response bytes from an address a SUT gave, without
// trusting it. QuerySampleResponse carries a raw address and a size; a wrong
// one (an integer that is not a pointer, a freed buffer, a size past the end
// of the buffer) must become an error of that sample, not a SIGSEGV that
// loses every log. On Linux the copy is process_vm_readv on our own process,
// which returns EFAULT where memcpy would fault; elsewhere (or where the
// system call is not permitted) it is memcpy.
#ifndef LOADGEN_SRC_SAFE_COPY_H_
#define LOADGEN_SRC_SAFE_COPY_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mlperf {
namespace internal {

// Copies `size` bytes at `src` to `dst`. Returns "" or why it failed
// ("address 0x8 is not readable", ...); `dst` is then partly written.
std::string CopyFromSut(uint8_t* dst, const void* src, size_t size);

// Copies `n` ranges (src[i], sizes[i]) into `dst` back to back, leaving
// out the unreadable ones: why[i] is "" for a range that was copied, else
// why it was not. Returns the bytes written. Instead of a system call per
// range it probes each distinct page the ranges touch once (up to 1024 pages
// per process_vm_readv), then copies with memcpy; a range of more than 64
// pages is copied with CopyFromSut.
size_t GatherFromSut(uint8_t* dst, const void* const* src, const size_t* sizes,
                     size_t n, std::vector<std::string>* why);

// For benchmarks only: false makes CopyFromSut a plain memcpy.
void SetCheckedCopyForBenchmark(bool checked);

}  // namespace internal
}  // namespace mlperf

#endif  // LOADGEN_SRC_SAFE_COPY_H_
