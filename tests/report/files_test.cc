// report/files.h: summary.md and junit.xml written into the build directory, and the
// GitHub step summary appended.
#include <cstdlib>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/build_layout.h"
#include "report/files.h"
#include "report/markdown.h"
#include "report_fixture.h"
#include "test_util.h"

namespace fanout {
namespace {

using nlohmann::json;
namespace tu = ::fanout::testing;
using namespace ::fanout::report_test;

TEST_F(ReportDir, WritesSummaryJunitAndAppendsTheGithubStepSummary) {
  Put(layout::ResultPath("a"), Success(), 1000);
  Put(layout::FailurePath("b"), Failure(TargetStatus::kFailed, "kaput"), 1000);
  auto report = LoadReport(dir_.path());
  ASSERT_TRUE(report.ok());
  tu::WriteFile(dir_ / "step.md", "earlier step\n");
  setenv("GITHUB_STEP_SUMMARY", (dir_ / "step.md").c_str(), 1);
  Status st = WriteReportFiles(dir_.path(), *report);
  unsetenv("GITHUB_STEP_SUMMARY");
  ASSERT_TRUE(st.ok()) << st.error().message;
  const std::string md = tu::ReadFile(dir_ / layout::kSummary);
  EXPECT_NE(md.find("kaput"), std::string::npos);
  // summary.md links the timeline beside it; the step summary, elsewhere, does not.
  EXPECT_EQ(md, ReportToMarkdown(*report) + MarkdownTimelineLink());
  EXPECT_NE(md.find("[timeline.html](timeline.html)"), std::string::npos);
  EXPECT_EQ(tu::ReadFile(dir_ / "step.md"), "earlier step\n" + ReportToMarkdown(*report) + "\n");
  json root = ParseXml(dir_ / layout::kJunit);
  EXPECT_EQ(Children(root, "testsuite")[0]["attrib"]["failures"], "1");
  EXPECT_FALSE(tu::Exists(dir_ / (std::string(layout::kSummary) + ".tmp")));
}
}  // namespace
}  // namespace fanout
