// query_sample.h: the identifiers and payloads that pass between LoadGen and
// a system under test (SUT).
//
// Source-compatible with the reference LoadGen's header of the same name:
//
//   void MySut::IssueQuery(const std::vector<mlperf::QuerySample>& samples) {
//     for (const auto& s : samples) {
//       float out = Run(s.index);
//       mlperf::QuerySampleResponse r{s.id, reinterpret_cast<uintptr_t>(&out),
//                                     sizeof(out)};
//       mlperf::QuerySamplesComplete(&r, 1);
//     }
//   }
#ifndef LOADGEN_QUERY_SAMPLE_H_
#define LOADGEN_QUERY_SAMPLE_H_

#include <stddef.h>
#include <stdint.h>

namespace mlperf {

// Identifies one issued sample for the response. Opaque to the SUT: it is
// LoadGen's slot number in the run's sample table plus a tag for the run, not
// a pointer, so a wrong or stale id is detected and counted as an error of the
// run rather than dereferenced.
typedef uintptr_t ResponseId;

// Never issued; completing it is an error.
constexpr ResponseId kResponseIdReserved = 0;

// An index into the QuerySampleLibrary, in [0, TotalSampleCount()).
typedef size_t QuerySampleIndex;

// One sample of a query: what to run (index) and how to answer (id).
struct QuerySample {
  ResponseId id;
  QuerySampleIndex index;
};

// The answer for one sample. `data`/`size` describe bytes owned by the caller;
// LoadGen copies them during QuerySamplesComplete if it needs them (accuracy
// log), so the buffer only has to live for the duration of that call.
struct QuerySampleResponse {
  ResponseId id;
  uintptr_t data;
  size_t size;       // in bytes
  int64_t n_tokens;  // output tokens, for token-latency (LLM) benchmarks

 public:
  QuerySampleResponse(ResponseId id, uintptr_t data, size_t size,
                      int64_t n_tokens)
      : id(id), data(data), size(size), n_tokens(n_tokens) {}
  QuerySampleResponse(ResponseId id, uintptr_t data, size_t size)
      : id(id), data(data), size(size), n_tokens(0) {}
  QuerySampleResponse() : id(0), data(0), size(0), n_tokens(0) {}
};

// A latency in nanoseconds.
typedef int64_t QuerySampleLatency;

}  // namespace mlperf

#endif  // LOADGEN_QUERY_SAMPLE_H_
