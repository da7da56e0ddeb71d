#include "sandbox/subordinate_ids.h"

#include <gtest/gtest.h>

namespace fanout::sandbox {
namespace {

TEST(SubordinateRange, TheFirstWellFormedLineOfTheUserByNameOrUid) {
  const std::string text =
      "alice:100000:65536\n"
      "bob:x:65536\n"           // not a number: passed over
      "bob:200000:0\n"          // an empty range: passed over
      "bob:4294967290:65536\n"  // past the last id: passed over
      "1001:300000:1000\n"
      "bob:400000:65536\n";
  std::uint64_t start = 0, count = 0;
  ASSERT_TRUE(FindSubordinateRange(text, "alice", std::nullopt, &start, &count));
  EXPECT_EQ(start, 100000u);
  EXPECT_EQ(count, 65536u);
  ASSERT_TRUE(FindSubordinateRange(text, "bob", 1002, &start, &count));
  EXPECT_EQ(start, 400000u);
  // By uid, as newuidmap also accepts it; the first matching line wins.
  ASSERT_TRUE(FindSubordinateRange(text, "bob", 1001, &start, &count));
  EXPECT_EQ(start, 300000u);
  EXPECT_EQ(count, 1000u);
  EXPECT_FALSE(FindSubordinateRange(text, "carol", 1003, &start, &count));
  // Without a uid, a numeric owner is never taken for the name's.
  EXPECT_FALSE(FindSubordinateRange(text, "carol", std::nullopt, &start, &count));
  EXPECT_FALSE(FindSubordinateRange("", "alice", 0, &start, &count));
}

TEST(SubordinateIds, TheNamespaceHoldsTheCallerAndItsRange) {
  SubordinateIds ids;
  ids.range = 65536;
  EXPECT_EQ(ids.count(), 65537u);
}

}  // namespace
}  // namespace fanout::sandbox
