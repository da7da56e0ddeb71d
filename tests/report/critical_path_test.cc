// report/critical_path.h: the chain of dependencies ending at the last-finishing target.
#include "report/critical_path.h"

#include <gtest/gtest.h>

namespace fanout {
namespace {

using Deps = std::map<std::string, std::vector<std::string>>;
using Ran = std::map<std::string, RunSpan>;

TEST(CriticalPath, FollowsTheLastFinishingDependencyFromTheLastTarget) {
  // b is the slower of c's two dependencies; d finished early and is off the path.
  const Ran ran = {{"a", {0, 2}}, {"b", {0, 5}}, {"c", {5, 7}}, {"d", {2, 3}}, {"e", {7, 10}}};
  const Deps deps = {{"c", {"a", "b"}}, {"d", {"a"}}, {"e", {"c"}}};
  EXPECT_EQ(CriticalPath(ran, deps), (std::vector<std::string>{"b", "c", "e"}));
}

TEST(CriticalPath, LooksThroughDependenciesThatDidNotRun) {
  // g was up to date (no run); f still waited for b behind it.
  const Ran ran = {{"a", {0, 1}}, {"b", {0, 4}}, {"f", {4, 11}}};
  const Deps deps = {{"f", {"g"}}, {"g", {"b"}}};
  EXPECT_EQ(CriticalPath(ran, deps), (std::vector<std::string>{"b", "f"}));
}

TEST(CriticalPath, TiesGoToTheSmallerName) {
  const Ran ran = {{"x", {0, 3}}, {"y", {0, 3}}, {"z", {3, 4}}, {"w", {3, 4}}};
  const Deps deps = {{"z", {"y", "x"}}, {"w", {"y"}}};
  // w and z both finish last: w; of w's dependencies only y ran.
  EXPECT_EQ(CriticalPath(ran, deps), (std::vector<std::string>{"y", "w"}));
  const Deps z_only = {{"z", {"y", "x"}}};
  const Ran without_w = {{"x", {0, 3}}, {"y", {0, 3}}, {"z", {3, 4}}};
  EXPECT_EQ(CriticalPath(without_w, z_only), (std::vector<std::string>{"x", "z"}));
}

TEST(CriticalPath, EmptyWhenNothingRanAndSingleWithoutDependencies) {
  EXPECT_TRUE(CriticalPath({}, {}).empty());
  EXPECT_EQ(CriticalPath({{"solo", {1, 2}}}, {}), (std::vector<std::string>{"solo"}));
}

TEST(CriticalPath, ACycleInACorruptPlanEnds) {
  const Ran ran = {{"a", {0, 1}}, {"b", {1, 2}}};
  const Deps deps = {{"a", {"b"}}, {"b", {"a"}}};
  EXPECT_EQ(CriticalPath(ran, deps), (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace fanout
