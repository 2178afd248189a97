// complete_args.h: the checks of complete_samples' arguments (completion.cc),
// kept free of Python so that a libFuzzer target can drive them
// (loadgen_cpp/fuzz/complete_args_fuzzer.cc). Whatever they accept, the
// completion path may read data[offsets[i] .. offsets[i+1]) for every i.
#ifndef LOADGEN_PYTHON_SRC_COMPLETE_ARGS_H_
#define LOADGEN_PYTHON_SRC_COMPLETE_ARGS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace loadgen_py {

// n_tokens, when given, has one entry per id. Returns "" or the message.
std::string CheckNTokens(size_t n_ids, bool have_n_tokens, size_t n_tokens);

// Offsets of `n_ids` responses in `total_bytes` of data: `offsets` as given
// (n_offsets entries; null: none given, split the data evenly). Fills *out
// with n_ids + 1 offsets and returns "", or returns the message.
std::string ResponseOffsets(size_t n_ids, size_t total_bytes,
                            const uint64_t* offsets, size_t n_offsets,
                            std::vector<uint64_t>* out);

}  // namespace loadgen_py

#endif  // LOADGEN_PYTHON_SRC_COMPLETE_ARGS_H_
