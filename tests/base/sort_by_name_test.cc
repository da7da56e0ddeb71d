#include "base/sort_by_name.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace fanout {
namespace {

struct Row {
  std::string name;
  int payload = 0;
};

std::vector<std::string> Names(const std::vector<Row>& rows) {
  std::vector<std::string> out;
  for (const Row& r : rows) out.push_back(r.name + ":" + std::to_string(r.payload));
  return out;
}

TEST(SortByName, SortsStablyAndKeepsEachRecordWhole) {
  std::vector<Row> rows = {{"c", 1}, {"a", 2}, {"b", 3}, {"a", 4}, {"", 5}};
  SortByName(rows);
  EXPECT_EQ(Names(rows), (std::vector<std::string>{":5", "a:2", "a:4", "b:3", "c:1"}));
}

TEST(SortByName, LeavesOrderedAndEmptyInputAsTheyAre) {
  std::vector<Row> rows = {{"a", 1}, {"a", 2}, {"b", 3}};
  SortByName(rows);
  EXPECT_EQ(Names(rows), (std::vector<std::string>{"a:1", "a:2", "b:3"}));
  std::vector<Row> none;
  SortByName(none);
  EXPECT_TRUE(none.empty());
}

}  // namespace
}  // namespace fanout
