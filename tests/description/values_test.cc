#include "description/values.h"

#include <gtest/gtest.h>

namespace fanout {
namespace {

TEST(DescriptionValuesTest, ParseInteger_DecimalWithSign) {
  EXPECT_EQ(ParseInteger("42"), 42);
  EXPECT_EQ(ParseInteger("-3"), -3);
  EXPECT_EQ(ParseInteger("+7"), 7);
  EXPECT_EQ(ParseInteger(""), std::nullopt);
  EXPECT_EQ(ParseInteger("1x"), std::nullopt);
  EXPECT_EQ(ParseInteger("0x10"), std::nullopt);
  EXPECT_EQ(ParseInteger("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(ParseInteger("9223372036854775808"), std::nullopt);
}

TEST(DescriptionValuesTest, ParseDuration_AcceptsUnitsInOrder) {
  EXPECT_EQ(ParseDuration("90"), 90);
  EXPECT_EQ(ParseDuration("90s"), 90);
  EXPECT_EQ(ParseDuration("1h90m"), 3600 + 5400);
  EXPECT_EQ(ParseDuration("0"), 0);
  EXPECT_EQ(ParseDuration(""), std::nullopt);
  EXPECT_EQ(ParseDuration("m"), std::nullopt);
  EXPECT_EQ(ParseDuration("1s1m"), std::nullopt);
  EXPECT_EQ(ParseDuration("1m1m"), std::nullopt);
  EXPECT_EQ(ParseDuration("10"), 10);
  EXPECT_EQ(ParseDuration("5 s"), std::nullopt);
  EXPECT_EQ(ParseDuration("9999999999999h"), std::nullopt);  // too large
}

TEST(DescriptionValuesTest, ParseByteSize_PowersOf1024) {
  EXPECT_EQ(ParseByteSize("1"), 1u);
  EXPECT_EQ(ParseByteSize("1K"), 1024u);
  EXPECT_EQ(ParseByteSize("3m"), 3u << 20);
  EXPECT_EQ(ParseByteSize("16777215T"), 16777215ull << 40);
  EXPECT_EQ(ParseByteSize("16777216T"), std::nullopt);  // 2^64: overflows
  EXPECT_EQ(ParseByteSize("G"), std::nullopt);
  EXPECT_EQ(ParseByteSize("1.5G"), std::nullopt);
  EXPECT_EQ(ParseByteSize("-1"), std::nullopt);
  EXPECT_EQ(ParseByteSize("1KB"), std::nullopt);
}

TEST(DescriptionValuesTest, FormatByteSize_LargestUnitThatDivides) {
  EXPECT_EQ(FormatByteSize(64u << 20), "64M");
  EXPECT_EQ(FormatByteSize(4ull << 30), "4G");
  EXPECT_EQ(FormatByteSize(1536u << 10), "1536K");
  EXPECT_EQ(FormatByteSize(1000), "1000");
  EXPECT_EQ(FormatByteSize(0), "0");
  for (const char* text : {"3m", "16777215T", "1", "5K"}) {
    EXPECT_EQ(ParseByteSize(FormatByteSize(*ParseByteSize(text))), ParseByteSize(text)) << text;
  }
}

TEST(DescriptionValuesTest, Names_TargetPoolAndEnvNameSyntax) {
  EXPECT_TRUE(IsValidName("a"));
  EXPECT_TRUE(IsValidName("9lives.v2_x-y"));
  EXPECT_FALSE(IsValidName(""));
  EXPECT_FALSE(IsValidName(".a"));
  EXPECT_FALSE(IsValidName("a/b"));
  EXPECT_FALSE(IsValidName("a:b"));
  EXPECT_FALSE(IsValidName("a$b"));
  EXPECT_TRUE(IsValidEnvName("_A1"));
  EXPECT_FALSE(IsValidEnvName("1A"));
  EXPECT_FALSE(IsValidEnvName("A-B"));
  EXPECT_FALSE(IsValidEnvName(""));
}

}  // namespace
}  // namespace fanout
