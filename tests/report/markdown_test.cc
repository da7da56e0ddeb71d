// report/markdown.h: the Markdown summary (summary.md, $GITHUB_STEP_SUMMARY).
#include <gtest/gtest.h>

#include "report/markdown.h"
#include "report_fixture.h"
#include "test_util.h"

namespace fanout {
namespace {

using nlohmann::json;
namespace tu = ::fanout::testing;
using namespace ::fanout::report_test;

TEST(Markdown, TableAndOneSectionPerRunThatFailed) {
  Report report = SampleReport("has ``` fences\nand | pipes");
  std::string md = ReportToMarkdown(report);
  EXPECT_EQ(md.rfind("## fanout: 7 targets: 1 succeeded, 1 flaky, 1 failed, 1 timed out, "
                     "1 interrupted, 1 blocked, 1 skipped; post-submit interrupted (12.5s)\n",
                     0),
            0u)
      << md;
  EXPECT_NE(md.find("| api | ❌ failed | 1.2s |  | exited with status 3 |"), std::string::npos)
      << md;
  EXPECT_NE(md.find("| cli | ✅ succeeded | 2.5s | `x.tar` (2.0 KiB) |  |"), std::string::npos)
      << md;
  EXPECT_NE(md.find("| web | ⛔ blocked |  |  | dependency 'api' failed |"), std::string::npos);
  EXPECT_NE(md.find("### ❌ `api` failed"), std::string::npos);
  EXPECT_NE(md.find("### ⏱️ `slow` timed_out"), std::string::npos);
  EXPECT_NE(md.find("### ⏹️ `gone` interrupted"), std::string::npos);
  EXPECT_EQ(md.find("### ⛔"), std::string::npos) << "blocked targets never ran: no section";
  // The fence outgrows the backticks in the log.
  EXPECT_NE(md.find("````text\nhas ``` fences\nand | pipes\n````\n"), std::string::npos) << md;
  EXPECT_EQ(MarkdownCell("a|b\\c\nd"), "a\\|b\\\\c d");
}
}  // namespace
}  // namespace fanout
