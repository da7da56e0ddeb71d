#include "base/shell_quote.h"

#include <gtest/gtest.h>

namespace fanout {
namespace {

TEST(ShellQuote, LeavesSafeWordsBare) {
  EXPECT_EQ(ShellQuote("runtime"), "runtime");
  EXPECT_EQ(ShellQuote("/usr/bin/fanout"), "/usr/bin/fanout");
  EXPECT_EQ(ShellQuote("--source=HEAD~1:x,y@z+%"), "'--source=HEAD~1:x,y@z+%'");
  EXPECT_EQ(ShellQuote("-B"), "-B");
  EXPECT_EQ(ShellQuote("a=b:c,d@e+f%g"), "a=b:c,d@e+f%g");
}

TEST(ShellQuote, QuotesEverythingElse) {
  EXPECT_EQ(ShellQuote(""), "''");
  EXPECT_EQ(ShellQuote("a b"), "'a b'");
  EXPECT_EQ(ShellQuote("$HOME"), "'$HOME'");
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(ShellQuote("*;&|`\"\\"), "'*;&|`\"\\'");
}

TEST(ShellQuote, JoinQuotesEachArgument) {
  EXPECT_EQ(ShellJoin({"gen", "-f", "/a b/fanout.yaml", ""}), "gen -f '/a b/fanout.yaml' ''");
  EXPECT_EQ(ShellJoin({}), "");
}

}  // namespace
}  // namespace fanout
