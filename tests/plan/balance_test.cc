// Balancing shards by time, in tiers (balance.h).
#include <algorithm>
#include <iostream>
#include <map>
#include <random>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "plan/balance.h"
#include "plan_fixture.h"

namespace fanout {
namespace {

using nlohmann::json;

using testing::MakeTestPlan;

std::map<int, std::vector<Shard>> ByTier(const ShardPlan& p) {
  std::map<int, std::vector<Shard>> out;
  for (const Shard& s : p.shards) out[s.tier].push_back(s);
  return out;
}

/// Every target in exactly one shard; a dependency in the same tier shares the shard, and
/// one in another tier comes from an earlier tier.
void ExpectValid(const Plan& plan, const ShardPlan& p) {
  std::map<std::string, std::pair<int, int>> where;  // name -> (tier, index)
  for (const Shard& s : p.shards) {
    EXPECT_FALSE(s.targets.empty());
    for (const std::string& t : s.targets) {
      EXPECT_TRUE(where.emplace(t, std::make_pair(s.tier, s.index)).second) << t << " twice";
    }
  }
  EXPECT_EQ(where.size(), plan.targets.size());
  for (const PlanTarget& t : plan.targets) {
    for (const std::string& dep : t.def.deps) {
      if (!where.count(dep)) continue;
      const auto [dep_tier, dep_index] = where[dep];
      const auto [tier, index] = where[t.def.name];
      EXPECT_LE(dep_tier, tier) << dep << " is built after its dependent " << t.def.name;
      if (dep_tier == tier) {
        EXPECT_EQ(dep_index, index) << dep << " and " << t.def.name;
      }
    }
  }
}

TEST(Balance, ABaseWithTwelveDependentsGoesFirstAndTheDependentsSpread) {
  std::map<std::string, std::vector<std::string>> graph = {{"base", {}}};
  std::map<std::string, double> seconds = {{"base", 60}};
  for (int i = 0; i < 12; ++i) {
    const std::string name = "app" + std::to_string(10 + i);
    graph[name] = {"base"};
    seconds[name] = 40;
  }
  const Plan plan = MakeTestPlan(graph);
  BalanceOptions options;
  options.max_shards = 4;
  const ShardPlan p = BalanceShards(plan, seconds, options);
  ExpectValid(plan, p);
  EXPECT_EQ(p.strategy, "tiers") << p.reason;
  ASSERT_EQ(p.tiers, 2);
  auto tiers = ByTier(p);
  ASSERT_EQ(tiers[1].size(), 1u);
  EXPECT_EQ(tiers[1][0].targets, std::vector<std::string>{"base"});
  ASSERT_EQ(tiers[2].size(), 4u);
  for (const Shard& s : tiers[2]) EXPECT_EQ(s.targets.size(), 3u) << s.index;
  // (60 + 30) + (3 * 40 + 30) against one shard of all 13: 60 + 12 * 40 + 30.
  EXPECT_DOUBLE_EQ(p.expected_seconds, 240);
  EXPECT_NE(p.reason.find("570.0 s for one tier"), std::string::npos) << p.reason;
}

TEST(Balance, AHighJobOverheadKeepsOneTier) {
  std::map<std::string, std::vector<std::string>> graph = {
      {"base", {}}, {"a", {"base"}}, {"b", {"base"}}};
  const Plan plan = MakeTestPlan(graph);
  BalanceOptions options;
  options.max_shards = 2;
  options.job_overhead_seconds = 600;
  const ShardPlan p = BalanceShards(plan, {{"base", 10}, {"a", 10}, {"b", 10}}, options);
  EXPECT_EQ(p.strategy, "components");
  EXPECT_EQ(p.tiers, 1);
  EXPECT_DOUBLE_EQ(p.expected_seconds, 630);
  EXPECT_NE(p.reason.find("against 1220.0 s in 2 tiers"), std::string::npos) << p.reason;
  options.max_tiers = 1;
  options.job_overhead_seconds = 0;
  EXPECT_EQ(BalanceShards(plan, {}, options).strategy, "components");
}

TEST(Balance, ACacheFalseTargetWithDependentsKeepsOneTier) {
  Plan plan = MakeTestPlan({{"base", {}}, {"a", {"base"}}, {"b", {"base"}}, {"c", {"base"}}});
  ASSERT_EQ(plan.targets[2].def.name, "base");  // by name: a, b, base, c
  plan.targets[2].def.cache = false;
  BalanceOptions options;
  options.max_shards = 3;
  options.job_overhead_seconds = 0;
  const ShardPlan p = BalanceShards(plan, {}, options);
  EXPECT_EQ(p.tiers, 1);
  EXPECT_NE(p.reason.find("'base' has dependents and 'cache: false'"), std::string::npos)
      << p.reason;
}

TEST(Balance, LooseTargetsFillTheEarlierTier) {
  // While base builds in tier 1, a second shard there takes the long independent target.
  const Plan plan = MakeTestPlan({{"base", {}},
                                  {"a", {"base"}},
                                  {"b", {"base"}},
                                  {"c", {"base"}},
                                  {"d", {"base"}},
                                  {"solo", {}}});
  BalanceOptions options;
  options.max_shards = 4;
  options.job_overhead_seconds = 5;
  const ShardPlan p = BalanceShards(
      plan, {{"base", 50}, {"a", 20}, {"b", 20}, {"c", 20}, {"d", 20}, {"solo", 45}}, options);
  ExpectValid(plan, p);
  ASSERT_EQ(p.tiers, 2) << p.reason;
  auto tiers = ByTier(p);
  ASSERT_EQ(tiers[1].size(), 2u);
  EXPECT_EQ(tiers[1][1].targets, std::vector<std::string>{"solo"});
  EXPECT_DOUBLE_EQ(p.expected_seconds, (50 + 5) + (20 + 5));
}

TEST(Balance, FortyTargetsWithinTenPercentOfTheLowerBoundInEveryTier) {
  // Three base images with ten to twelve dependents each, and loose targets; durations as
  // recorded (a fixed seed: the same every run).
  std::mt19937 rng(20261205);
  std::uniform_real_distribution<double> base_time(60, 180), app_time(20, 120);
  std::map<std::string, std::vector<std::string>> graph;
  std::map<std::string, double> seconds;
  int made = 0;
  for (int b = 0; b < 3; ++b) {
    const std::string base = "base" + std::to_string(b);
    graph[base] = {};
    seconds[base] = base_time(rng);
    ++made;
    for (int a = 0; a < 10 + b; ++a) {
      const std::string app = base + "-app" + std::to_string(a);
      graph[app] = {base};
      seconds[app] = app_time(rng);
      ++made;
    }
  }
  while (made < 40) {
    const std::string name = "loose" + std::to_string(made);
    graph[name] = {};
    seconds[name] = app_time(rng);
    ++made;
  }
  ASSERT_EQ(graph.size(), 40u);
  const Plan plan = MakeTestPlan(graph);
  BalanceOptions options;
  options.max_shards = 4;
  const ShardPlan p = BalanceShards(plan, seconds, options);
  ExpectValid(plan, p);
  EXPECT_EQ(p.tiers, 2) << p.reason;
  for (const auto& [tier, shards] : ByTier(p)) {
    std::vector<std::string> members;
    double largest = 0;
    for (const Shard& s : shards) {
      members.insert(members.end(), s.targets.begin(), s.targets.end());
      largest = std::max(largest, s.expected_seconds);
    }
    const double bound = TierLowerBound(plan, seconds, members, options.max_shards);
    std::cout << "tier " << tier << ": largest shard " << largest << " s, lower bound " << bound
              << " s, ratio " << largest / bound << "\n";
    EXPECT_LE(largest, 1.10 * bound) << "tier " << tier;
  }
}

TEST(Balance, DeterministicWhateverTheOrderOfThePlan) {
  std::map<std::string, std::vector<std::string>> graph = {
      {"base", {}}, {"a", {"base"}}, {"b", {"base"}}, {"c", {}}, {"d", {}}, {"e", {"d"}}};
  std::map<std::string, double> seconds = {{"base", 5}, {"a", 5}, {"b", 5},
                                           {"c", 5},    {"d", 5}, {"e", 5}};
  Plan plan = MakeTestPlan(graph);
  BalanceOptions options;
  options.max_shards = 2;
  options.job_overhead_seconds = 1;
  const ShardPlan first = BalanceShards(plan, seconds, options);
  std::reverse(plan.targets.begin(), plan.targets.end());
  const ShardPlan second = BalanceShards(plan, seconds, options);
  EXPECT_EQ(ShardPlanToJson(first, seconds, {}, 1), ShardPlanToJson(second, seconds, {}, 1));
  EXPECT_EQ(ShardPlanToGithub(first, 2), ShardPlanToGithub(second, 2));
}

TEST(Balance, OutputFormats) {
  const Plan plan = MakeTestPlan({{"base", {}}, {"a", {"base"}}, {"b", {"base"}}});
  BalanceOptions options;
  options.max_shards = 2;
  options.job_overhead_seconds = 1;
  const std::map<std::string, double> seconds = {{"base", 10}, {"a", 10}, {"b", 10}};
  const ShardPlan p = BalanceShards(plan, seconds, options);
  ASSERT_EQ(p.tiers, 2);
  const json j = json::parse(ShardPlanToJson(p, seconds, {"b"}, 1));
  EXPECT_EQ(j["strategy"], "tiers");
  EXPECT_EQ(j["tiers"], 2);
  EXPECT_EQ(j["expected_seconds"], 22);
  EXPECT_EQ(j["job_overhead_seconds"], 1);
  EXPECT_EQ(j["shards"], json::parse(R"([
      {"tier":1,"index":0,"expected_seconds":10,"targets":["base"]},
      {"tier":2,"index":0,"expected_seconds":10,"targets":["a"]},
      {"tier":2,"index":1,"expected_seconds":10,"targets":["b"]}])"));
  EXPECT_EQ(j["durations"], json::parse(R"({"a":10,"b":10,"base":10})"));
  EXPECT_EQ(j["estimated"], json::parse(R"(["b"])"));
  EXPECT_EQ(ShardPlanToGithub(p, 3),
            "matrix={\"include\":[{\"shard\":0,\"targets\":\"base\"}]}\nshards=1\ntiers=2\n"
            "matrix_1={\"include\":[{\"shard\":0,\"targets\":\"base\"}]}\nshards_1=1\n"
            "matrix_2={\"include\":[{\"shard\":0,\"targets\":\"a\"},{\"shard\":1,\"targets\":"
            "\"b\"}]}\nshards_2=2\nmatrix_3={\"include\":[]}\nshards_3=0\nexpected_seconds=22\n");
  const ShardPlan empty = BalanceShards(Plan{}, {}, options);
  EXPECT_EQ(empty.tiers, 0);
  EXPECT_EQ(ShardPlanToGithub(empty, 1),
            "matrix={\"include\":[]}\nshards=0\ntiers=0\nmatrix_1={\"include\":[]}\n"
            "shards_1=0\nexpected_seconds=0\n");
}

}  // namespace
}  // namespace fanout
