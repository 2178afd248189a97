// system_under_test.h: the interface a SUT implements.
#ifndef LOADGEN_SYSTEM_UNDER_TEST_H_
#define LOADGEN_SYSTEM_UNDER_TEST_H_

#include <string>
#include <vector>

#include "query_sample.h"

namespace mlperf {

// Implemented by the system under test. Every method is called by LoadGen on
// the thread that called StartTest, never concurrently.
class SystemUnderTest {
 public:
  virtual ~SystemUnderTest() {}

  // A human-readable name, written to the logs. The reference must stay valid
  // for the whole test.
  virtual const std::string& Name() = 0;

  // Starts work on `samples`. The vector is only valid during the call: copy
  // what you need. The SUT answers each sample exactly once by calling
  // QuerySamplesComplete, from any thread, before or after this returns.
  // Exceptions thrown here end the test cleanly and are rethrown by StartTest.
  virtual void IssueQuery(const std::vector<QuerySample>& samples) = 0;

  // Called once the last query of a test mode is issued: the SUT should stop
  // waiting to batch more samples and finish what it holds.
  virtual void FlushQueries() = 0;
};

}  // namespace mlperf

#endif  // LOADGEN_SYSTEM_UNDER_TEST_H_
