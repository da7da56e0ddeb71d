// report/text.h: durations, sizes and log text made safe to show.
#include <gtest/gtest.h>

#include "report/text.h"
#include "report_fixture.h"
#include "test_util.h"

namespace fanout {
namespace {

using nlohmann::json;
namespace tu = ::fanout::testing;
using namespace ::fanout::report_test;

TEST(ReportText, FormatSecondsAndSizes) {
  EXPECT_EQ(FormatSeconds(0.42), "0.4s");
  EXPECT_EQ(FormatSeconds(59.94), "59.9s");
  EXPECT_EQ(FormatSeconds(125), "2m05s");
  EXPECT_EQ(FormatSeconds(3720), "1h02m");
  EXPECT_EQ(FormatSize(512), "512 B");
  EXPECT_EQ(FormatSize(1536), "1.5 KiB");
  EXPECT_EQ(FormatSize(12ull << 20), "12.0 MiB");
}

TEST(ReportText, SanitizeRemovesEscapesControlsAndBadUtf8) {
  EXPECT_EQ(SanitizeLogText("\x1b[1;31merror\x1b[0m: x"), "error: x");
  EXPECT_EQ(SanitizeLogText("a\r\nb\rc"), "a\nb\nc");
  EXPECT_EQ(SanitizeLogText(std::string("n\0ul\x07l\tt", 9)), "null\tt");
  EXPECT_EQ(SanitizeLogText("\x1b]0;title\x07ok"), "ok");
  EXPECT_EQ(SanitizeLogText("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(SanitizeLogText("bad\xff\xc3"), "bad\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(SanitizeLogText("\xed\xa0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
}
}  // namespace
}  // namespace fanout
