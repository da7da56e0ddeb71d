// sandbox/exec_record.cc: how a run's end is described in failure.json and on the console.
#include <gtest/gtest.h>

#include "sandbox/exec.h"

namespace fanout::sandbox {
namespace {

TEST(ExecRecord, ExitDescriptions) {
  EXPECT_EQ(DescribeExit(2, 0), "exited with status 2");
  EXPECT_EQ(DescribeExit(137, 9), "killed by signal 9 (SIGKILL)");
}

}  // namespace
}  // namespace fanout::sandbox
