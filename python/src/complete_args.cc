#include "complete_args.h"

namespace loadgen_py {

std::string CheckNTokens(size_t n_ids, bool have_n_tokens, size_t n_tokens) {
  if (have_n_tokens && n_tokens != n_ids) {
    return "complete_samples: n_tokens must have one entry per id";
  }
  return "";
}

std::string ResponseOffsets(size_t n_ids, size_t total_bytes,
                            const uint64_t* offsets, size_t n_offsets,
                            std::vector<uint64_t>* out) {
  out->clear();
  if (offsets == nullptr) {
    // Equal split: bytes / n each.
    if (n_ids == 0) {
      out->push_back(0);
      return "";
    }
    if (total_bytes % n_ids != 0) {
      return "complete_samples: data of " + std::to_string(total_bytes) +
             " bytes does not split evenly over " + std::to_string(n_ids) +
             " ids; pass offsets";
    }
    const size_t each = total_bytes / n_ids;
    out->resize(n_ids + 1);
    for (size_t i = 0; i <= n_ids; ++i) (*out)[i] = i * each;
    return "";
  }
  if (n_offsets != n_ids + 1) {
    return "complete_samples: offsets must have len(ids) + 1 entries";
  }
  for (size_t i = 0; i < n_ids; ++i) {
    if (offsets[i] > offsets[i + 1] || offsets[i + 1] > total_bytes) {
      return "complete_samples: offsets must be non-decreasing and within the "
             "data (" +
             std::to_string(total_bytes) + " bytes)";
    }
  }
  out->assign(offsets, offsets + n_offsets);
  return "";
}

}  // namespace loadgen_py
