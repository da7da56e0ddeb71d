// Sharding (shards.h); merging the shards' manifests is tested in
// tests/report/manifest_merge_test.cc.
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "plan/shards.h"
#include "plan_fixture.h"
#include "test_util.h"

namespace fanout {
namespace {

using nlohmann::json;

using testing::MakeTestPlan;

std::vector<std::vector<std::string>> TargetLists(const std::vector<Shard>& shards) {
  std::vector<std::vector<std::string>> out;
  for (const Shard& s : shards) out.push_back(s.targets);
  return out;
}

TEST(Shards, ComponentsStayTogether) {
  // Components: {a, b, c} (a chain), {d, e} (e depends on d), {f}.
  Plan plan =
      MakeTestPlan({{"a", {}}, {"b", {"a"}}, {"c", {"b"}}, {"d", {}}, {"e", {"d"}}, {"f", {}}});
  for (int n = 1; n <= 4; ++n) {
    std::vector<Shard> shards = SplitIntoShards(plan, n);
    std::map<std::string, int> shard_of;
    for (const Shard& s : shards) {
      for (const std::string& t : s.targets) {
        EXPECT_TRUE(shard_of.emplace(t, s.index).second)
            << t << " is in two shards (n=" << n << ")";
      }
    }
    EXPECT_EQ(shard_of.size(), 6u) << "every target is in some shard (n=" << n << ")";
    EXPECT_EQ(shard_of["a"], shard_of["b"]);
    EXPECT_EQ(shard_of["b"], shard_of["c"]);
    EXPECT_EQ(shard_of["d"], shard_of["e"]);
  }
}

TEST(Shards, DependentsJoinThroughASharedDependency) {
  // x and y share no edge with each other but both depend on base: one component.
  Plan plan = MakeTestPlan({{"base", {}}, {"x", {"base"}}, {"y", {"base"}}, {"z", {}}});
  EXPECT_EQ(TargetLists(SplitIntoShards(plan, 3)),
            (std::vector<std::vector<std::string>>{{"base", "x", "y"}, {"z"}}));
}

TEST(Shards, LargestFirstBalancesTargetCounts) {
  // Component sizes 4, 3, 3, 2: greedy gives shard 0 {4, 2} = 6 and shard 1 {3, 3} = 6.
  Plan plan = MakeTestPlan({{"a1", {}},
                            {"a2", {"a1"}},
                            {"a3", {"a1"}},
                            {"a4", {"a1"}},
                            {"b1", {}},
                            {"b2", {"b1"}},
                            {"b3", {"b1"}},
                            {"c1", {}},
                            {"c2", {"c1"}},
                            {"c3", {"c1"}},
                            {"d1", {}},
                            {"d2", {"d1"}}});
  std::vector<Shard> shards = SplitIntoShards(plan, 2);
  ASSERT_EQ(shards.size(), 2u);
  EXPECT_EQ(shards[0].index, 0);
  EXPECT_EQ(shards[1].index, 1);
  EXPECT_EQ(shards[0].targets, (std::vector<std::string>{"a1", "a2", "a3", "a4", "d1", "d2"}));
  EXPECT_EQ(shards[1].targets, (std::vector<std::string>{"b1", "b2", "b3", "c1", "c2", "c3"}));
}

TEST(Shards, TiesBrokenByNameSoOutputIsDeterministic) {
  // Four singletons into two shards: by name, onto the lightest (lowest index) shard.
  std::map<std::string, std::vector<std::string>> graph = {
      {"w", {}}, {"x", {}}, {"y", {}}, {"z", {}}};
  std::vector<std::vector<std::string>> expected = {{"w", "y"}, {"x", "z"}};
  EXPECT_EQ(TargetLists(SplitIntoShards(MakeTestPlan(graph), 2)), expected);
  // The order targets appear in the plan does not matter.
  Plan reversed = MakeTestPlan(graph);
  std::reverse(reversed.targets.begin(), reversed.targets.end());
  EXPECT_EQ(TargetLists(SplitIntoShards(reversed, 2)), expected);
  EXPECT_EQ(ShardsToJson(SplitIntoShards(reversed, 2)),
            ShardsToJson(SplitIntoShards(MakeTestPlan(graph), 2)));
}

TEST(Shards, MoreShardsThanComponentsGivesNoEmptyShards) {
  Plan plan = MakeTestPlan({{"a", {}}, {"b", {"a"}}, {"c", {}}});
  std::vector<Shard> shards = SplitIntoShards(plan, 10);
  EXPECT_EQ(TargetLists(shards), (std::vector<std::vector<std::string>>{{"a", "b"}, {"c"}}));
  EXPECT_TRUE(SplitIntoShards(Plan{}, 4).empty());
}

TEST(Shards, OneShardHoldsEverything) {
  Plan plan = MakeTestPlan({{"a", {}}, {"b", {}}, {"c", {"a"}}});
  EXPECT_EQ(TargetLists(SplitIntoShards(plan, 1)),
            (std::vector<std::vector<std::string>>{{"a", "b", "c"}}));
}

TEST(Shards, DependencyOutsideThePlanIsIgnored) {
  // With --base the plan may hold a target whose dependency is not planned.
  Plan plan = MakeTestPlan({{"a", {"unplanned"}}, {"b", {}}});
  EXPECT_EQ(TargetLists(SplitIntoShards(plan, 2)),
            (std::vector<std::vector<std::string>>{{"a"}, {"b"}}));
}

TEST(Shards, OutputFormats) {
  std::vector<Shard> shards = {{0, {"a", "b"}}, {1, {"c"}}};
  json j = json::parse(ShardsToJson(shards));
  EXPECT_EQ(j, json::parse(R"({"shards":[{"index":0,"targets":["a","b"]},)"
                           R"({"index":1,"targets":["c"]}]})"));
  EXPECT_EQ(ShardsToGithub(shards),
            "matrix={\"include\":[{\"shard\":0,\"targets\":\"a b\"},"
            "{\"shard\":1,\"targets\":\"c\"}]}\nshards=2\n");
  EXPECT_EQ(ShardsToGithub({}), "matrix={\"include\":[]}\nshards=0\n");
}

}  // namespace
}  // namespace fanout
