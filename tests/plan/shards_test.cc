// Sharding (shards.h) and merging shard manifests (manifest_merge.h).
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "plan/shards.h"
#include "report/manifest_merge.h"
#include "test_util.h"

namespace fanout {
namespace {

using nlohmann::json;

/// A plan from "name" -> deps.
Plan MakeTestPlan(const std::map<std::string, std::vector<std::string>>& graph) {
  Plan plan;
  for (const auto& [name, deps] : graph) {
    PlanTarget t;
    t.def.name = name;
    t.def.deps = deps;
    plan.targets.push_back(std::move(t));
  }
  return plan;
}

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

// ---- merge --------------------------------------------------------------------------------

json Source(const std::string& commit = "c0ffee", const std::string& tree = "7ree") {
  return {{"source", "worktree"}, {"commit", commit}, {"tree", tree}};
}

json Built(const std::string& name, const std::string& status = "succeeded") {
  json t = {{"name", name}, {"status", status}, {"tier", 0}};
  if (status == "succeeded") {
    t["artifacts"] = json::array({{{"path", name + ".txt"},
                                   {"size", 2},
                                   {"sha256", "ab"},
                                   {"gathered", "artifacts/" + name + "/" + name + ".txt"}}});
  } else {
    t["message"] = "exited with status 1";
  }
  return t;
}

/// An entry as `fanout gather` writes it for a target this shard was not asked to build.
json NotRequested(const std::string& name) {
  return {{"name", name}, {"status", "skipped"}, {"tier", 0}, {"message", "not requested"}};
}

json Manifest(json targets, json skipped = json::array(), const std::string& status = "succeeded",
              double wall = 1, double busy = 1, json source = Source()) {
  return {{"version", 1},       {"source", std::move(source)},
          {"targets", targets}, {"skipped", std::move(skipped)},
          {"status", status},   {"timings", {{"wall_seconds", wall}, {"busy_seconds", busy}}}};
}

std::vector<std::string> Names(const json& targets) {
  std::vector<std::string> out;
  for (const json& t : targets) out.push_back(t["name"].get<std::string>());
  return out;
}

TEST(ManifestMerge, ConcatenatesSortsAndCombinesTimings) {
  auto merged = MergeManifests(
      {{"s0.json", Manifest({Built("d"), Built("a")}, {"u1"}, "succeeded", 3, 5)},
       {"s1.json", Manifest({Built("c"), Built("b")}, {"u1", "u2"}, "succeeded", 7, 2)}});
  ASSERT_TRUE(merged.ok()) << merged.error().message;
  EXPECT_EQ(Names((*merged)["targets"]), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ((*merged)["skipped"], json({"u1", "u2"}));
  EXPECT_EQ((*merged)["status"], "succeeded");
  EXPECT_EQ((*merged)["version"], 1);
  EXPECT_EQ((*merged)["source"], Source());
  EXPECT_DOUBLE_EQ((*merged)["timings"]["wall_seconds"].get<double>(), 7);
  EXPECT_DOUBLE_EQ((*merged)["timings"]["busy_seconds"].get<double>(), 7);
  EXPECT_EQ((*merged)["targets"][0], Built("a")) << "entries are kept whole";
}

TEST(ManifestMerge, TargetInTwoManifestsIsAnErrorNamingIt) {
  auto merged = MergeManifests(
      {{"s0.json", Manifest({Built("a"), Built("dup")})}, {"s1.json", Manifest({Built("dup")})}});
  ASSERT_FALSE(merged.ok());
  EXPECT_EQ(merged.error().exit_code, 2);
  EXPECT_NE(merged.error().message.find("'dup'"), std::string::npos) << merged.error().message;
  EXPECT_NE(merged.error().message.find("s0.json"), std::string::npos);
  EXPECT_NE(merged.error().message.find("s1.json"), std::string::npos);
}

TEST(ManifestMerge, AnyFailedTargetFailsTheMerge) {
  auto merged =
      MergeManifests({{"s0.json", Manifest({Built("a")})},
                      {"s1.json", Manifest({Built("b", "failed")}, json::array(), "failed")}});
  ASSERT_TRUE(merged.ok()) << merged.error().message;
  EXPECT_EQ((*merged)["status"], "failed");
  EXPECT_EQ((*merged)["targets"][1]["status"], "failed");

  auto blocked = MergeManifests({{"s0.json", Manifest({Built("a"), Built("b", "blocked")})}});
  ASSERT_TRUE(blocked.ok());
  EXPECT_EQ((*blocked)["status"], "failed");

  auto interrupted = MergeManifests(
      {{"s0.json", Manifest({Built("a")})},
       {"s1.json", Manifest({Built("b", "interrupted")}, json::array(), "interrupted")}});
  ASSERT_TRUE(interrupted.ok());
  EXPECT_EQ((*interrupted)["status"], "interrupted");
}

TEST(ManifestMerge, NotRequestedEntriesAreOtherShardsTargets) {
  // What `fanout gather` writes after `fanout build TARGET...`: the other shard's targets as
  // "skipped" (not requested), and a manifest status of "failed" because of them.
  auto merged =
      MergeManifests({{"s0.json", Manifest({Built("a"), NotRequested("b")}, {"u"}, "failed")},
                      {"s1.json", Manifest({NotRequested("a"), Built("b")}, {"u"}, "failed")}});
  ASSERT_TRUE(merged.ok()) << merged.error().message;
  EXPECT_EQ(Names((*merged)["targets"]), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ((*merged)["targets"][1], Built("b"));
  EXPECT_EQ((*merged)["skipped"], json({"u"}));
  EXPECT_EQ((*merged)["status"], "succeeded");
}

TEST(ManifestMerge, TargetNoShardBuiltIsAnError) {
  auto merged = MergeManifests({{"s0.json", Manifest({Built("a"), NotRequested("lost")})},
                                {"s1.json", Manifest({NotRequested("a"), NotRequested("lost")})}});
  ASSERT_FALSE(merged.ok());
  EXPECT_NE(merged.error().message.find("'lost'"), std::string::npos) << merged.error().message;
}

TEST(ManifestMerge, SkippedExcludesTargetsAnotherShardBuilt) {
  auto merged = MergeManifests({{"s0.json", Manifest({Built("a")}, {"b", "u"})},
                                {"s1.json", Manifest({Built("b")}, {"u"})}});
  ASSERT_TRUE(merged.ok()) << merged.error().message;
  EXPECT_EQ((*merged)["skipped"], json({"u"}));
}

TEST(ManifestMerge, DifferentSourcesAreAnErrorNamingBothCommits) {
  auto merged = MergeManifests({{"s0.json", Manifest({Built("a")}, json::array(), "succeeded", 1, 1,
                                                     Source("1111aaaa", "t1"))},
                                {"s1.json", Manifest({Built("b")}, json::array(), "succeeded", 1, 1,
                                                     Source("2222bbbb", "t2"))}});
  ASSERT_FALSE(merged.ok());
  EXPECT_NE(merged.error().message.find("1111aaaa"), std::string::npos) << merged.error().message;
  EXPECT_NE(merged.error().message.find("2222bbbb"), std::string::npos) << merged.error().message;

  // Same commit, different tree (a dirty work tree on one machine) is a different source too.
  auto dirty = MergeManifests({{"s0.json", Manifest({Built("a")}, json::array(), "succeeded", 1, 1,
                                                    Source("1111aaaa", "t1"))},
                               {"s1.json", Manifest({Built("b")}, json::array(), "succeeded", 1, 1,
                                                    Source("1111aaaa", "t2"))}});
  EXPECT_FALSE(dirty.ok());
}

TEST(ManifestMerge, MalformedInputsAreErrorsNamingTheFile) {
  EXPECT_FALSE(MergeManifests({}).ok());
  for (json bad : {json::array(), json({{"version", 2}, {"targets", json::array()}}),
                   json({{"version", 1}}), json({{"version", "1"}, {"targets", json::array()}}),
                   json({{"version", 1}, {"targets", {{{"status", "succeeded"}}}}}),
                   json({{"version", 1}, {"targets", json::array()}, {"timings", "slow"}})}) {
    auto merged = MergeManifests({{"bad.json", bad}});
    ASSERT_FALSE(merged.ok()) << bad.dump();
    EXPECT_NE(merged.error().message.find("bad.json"), std::string::npos) << merged.error().message;
  }
}

TEST(ManifestMerge, FilesAreReadAndTheResultWritten) {
  testing::TempDir dir;
  testing::WriteFile(dir / "s0.json", Manifest({Built("b")}).dump());
  testing::WriteFile(dir / "s1.json", Manifest({Built("a")}).dump());
  Status st = MergeManifestFiles({dir / "s0.json", dir / "s1.json"}, dir / "out/merged.json");
  ASSERT_TRUE(st.ok()) << st.error().message;
  json merged = json::parse(testing::ReadFile(dir / "out/merged.json"));
  EXPECT_EQ(Names(merged["targets"]), (std::vector<std::string>{"a", "b"}));

  testing::WriteFile(dir / "broken.json", "{not json");
  Status broken = MergeManifestFiles({dir / "broken.json"}, dir / "x.json");
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.error().message.find("broken.json"), std::string::npos);
  EXPECT_FALSE(testing::Exists(dir / "x.json"));
  EXPECT_FALSE(MergeManifestFiles({dir / "missing.json"}, dir / "x.json").ok());
}

}  // namespace
}  // namespace fanout
