// base/log_tail.h: the last lines of a log.
#include "base/log_tail.h"

#include <string>

#include <gtest/gtest.h>

#include "test_util.h"

namespace fanout::testing {
namespace {

TEST(LogTail, LastLinesOfTheLog) {
  TempDir dir;
  std::string text;
  for (int i = 1; i <= 100; ++i) text += "line " + std::to_string(i) + "\n";
  WriteFile(dir / "log.txt", text);
  std::string tail = ReadLogTail(dir / "log.txt", 40);
  EXPECT_EQ(tail.substr(0, 8), "line 61\n");
  EXPECT_EQ(tail.substr(tail.size() - 8), "line 100");
  WriteFile(dir / "short.txt", "only\n");
  EXPECT_EQ(ReadLogTail(dir / "short.txt", 40), "only");
  EXPECT_EQ(ReadLogTail(dir / "missing.txt", 40), "");
}

}  // namespace
}  // namespace fanout::testing
