// report/table.h: the terminal table `fanout build` and `fanout report` print.
#include <sstream>

#include <gtest/gtest.h>

#include "report/table.h"
#include "report_fixture.h"
#include "test_util.h"

namespace fanout {
namespace {

using nlohmann::json;
namespace tu = ::fanout::testing;
using namespace ::fanout::report_test;

TEST(Table, AlignedPlainWithoutColourAndListsLogs) {
  Report report = SampleReport("boom");
  std::string text = FormatReportTable(report, TableOptions{false, "out"});
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  const size_t status_col = line.find("status");
  ASSERT_NE(status_col, std::string::npos);
  int rows = 0;
  while (std::getline(in, line) && !line.empty()) {
    ++rows;
    std::string name = line.substr(0, line.find(' '));
    const TargetReport* t = name == kPostSubmitName ? &*report.post_submit : &Row(report, name);
    EXPECT_EQ(line.substr(status_col, StatusName(t->status).size()), StatusName(t->status)) << line;
  }
  EXPECT_EQ(rows, 8);
  EXPECT_NE(text.find("api failed: log: out/targets/api/log.txt\n"), std::string::npos) << text;
  EXPECT_NE(text.find("slow timed_out: log: out/targets/slow/log.txt\n"), std::string::npos);
  EXPECT_EQ(text.find("web blocked: log"), std::string::npos);
  const std::string last =
      "7 targets: 1 succeeded, 1 flaky, 1 failed, 1 timed out, "
      "1 interrupted, 1 blocked, 1 skipped; post-submit interrupted (12.5s)\n";
  EXPECT_EQ(text.substr(text.size() - last.size()), last) << "the summary line ends the output";

  std::string colored = FormatReportTable(report, TableOptions{true, "out"});
  EXPECT_NE(colored.find("\x1b["), std::string::npos);
}
}  // namespace
}  // namespace fanout
