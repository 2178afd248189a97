// libFuzzer target: the argument checks of the Python binding
// complete_samples(ids, data, offsets, n_tokens) (python/src/complete_args.h).
// The input is decoded into a count of ids, a data buffer and, optionally,
// offsets and n_tokens. Whatever the checks accept, every response's bytes
// data[offsets[i] .. offsets[i+1]) must lie inside the buffer: they are read
// here as the completion path reads them, so ASan reports any that do not.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "complete_args.h"

namespace {

// Reads little-endian integers from the front of the input.
struct Reader {
  const uint8_t* p;
  size_t n;
  uint64_t U64() {
    uint64_t v = 0;
    const size_t k = n < 8 ? n : 8;
    std::memcpy(&v, p, k);
    p += k;
    n -= k;
    return v;
  }
  uint8_t U8() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader r{data, size};
  const uint8_t flags = r.U8();
  const size_t n_ids = r.U8() % 64;
  const bool have_offsets = flags & 1;
  const bool have_n_tokens = flags & 2;
  // Offsets: a count (often n_ids + 1, sometimes not) and values, mostly
  // small so that some pass; some huge.
  std::vector<uint64_t> offsets;
  if (have_offsets) {
    const size_t count = (flags & 4) ? n_ids + 1 : r.U8() % 66;
    for (size_t i = 0; i < count; ++i) {
      const uint64_t v = r.U64();
      offsets.push_back((flags & 8) ? v : v % 256);
    }
  }
  const size_t n_tokens = (flags & 16) ? n_ids : r.U8();
  // The rest of the input is the data buffer, in its own allocation so that
  // reading past it is caught.
  std::vector<uint8_t> buffer(r.p, r.p + r.n);
  if (!loadgen_py::CheckNTokens(n_ids, have_n_tokens, n_tokens).empty())
    return 0;
  std::vector<uint64_t> out;
  static const uint64_t kNoEntries = 0;  // offsets given, but empty
  const uint64_t* given = offsets.empty() ? &kNoEntries : offsets.data();
  const std::string err = loadgen_py::ResponseOffsets(
      n_ids, buffer.size(), have_offsets ? given : nullptr, offsets.size(),
      &out);
  if (!err.empty()) return 0;
  if (out.size() != n_ids + 1) __builtin_trap();
  uint64_t sum = 0;
  const uint8_t* bytes = buffer.data();
  for (size_t i = 0; i < n_ids; ++i) {
    if (out[i] > out[i + 1]) __builtin_trap();
    for (uint64_t k = out[i]; k < out[i + 1]; ++k) sum += bytes[k];
  }
  volatile uint64_t sink = sum;
  (void)sink;
  return 0;
}
