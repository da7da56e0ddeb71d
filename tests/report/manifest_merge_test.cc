// report/manifest_merge.h: merging the manifests of a sharded build (`fanout matrix --merge`).
#include "report/manifest_merge.h"

#include <set>
#include <utility>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "records/manifest.h"
#include "test_util.h"

namespace fanout {
namespace {

using nlohmann::json;
namespace tu = ::fanout::testing;

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

// Vectors, not `json`: a braced list of one json (`{Built("a")}`) is an array of it for GCC
// and a copy of it for clang.
json Manifest(const std::vector<json>& targets, const std::vector<std::string>& skipped = {},
              const std::string& status = "succeeded", double wall = 1, double busy = 1,
              json source = Source()) {
  return {{"version", 1},
          {"source", std::move(source)},
          {"targets", json(targets)},
          {"skipped", json(skipped)},
          {"status", status},
          {"timings", {{"wall_seconds", wall}, {"busy_seconds", busy}}}};
}

std::vector<std::string> Names(const json& targets) {
  std::vector<std::string> out;
  for (const json& t : targets) out.push_back(t["name"].get<std::string>());
  return out;
}

/// MergeManifests on manifests given as JSON, each read as `fanout matrix --merge` reads a
/// file (records/manifest.h); the merged manifest as JSON.
Expected<json> Merge(const std::vector<std::pair<std::string, json>>& inputs) {
  std::vector<ShardManifest> shards;
  for (const auto& [path, j] : inputs) {
    auto m = records::ParseManifest(j.dump(), path);
    if (!m.ok()) return m.error();
    shards.push_back({path, std::move(*m)});
  }
  auto merged = MergeManifests(shards);
  if (!merged.ok()) return merged.error();
  return json::parse(records::ManifestText(*merged));
}

TEST(ManifestMerge, ConcatenatesSortsAndCombinesTimings) {
  auto merged =
      Merge({{"s0.json", Manifest({Built("d"), Built("a")}, {"u1"}, "succeeded", 3, 5)},
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

TEST(ManifestMerge, ADirtyShardMakesTheMergeDirtyWithTheUnionOfThePaths) {
  auto dirty = [](bool d, json paths, int omitted) {
    json s = Source();
    s["dirty"] = d;
    s["changed_paths"] = std::move(paths);
    s["changed_paths_omitted"] = omitted;
    return s;
  };
  auto merged = Merge(
      {{"s0.json", Manifest({Built("a")}, {}, "succeeded", 1, 1, dirty(true, {"b/x", "a/y"}, 0))},
       {"s1.json", Manifest({Built("b")}, {}, "succeeded", 1, 1, dirty(false, json::array(), 0))},
       {"s2.json", Manifest({Built("c")}, {}, "succeeded", 1, 1, dirty(true, {"a/y", "c/z"}, 4))}});
  ASSERT_TRUE(merged.ok()) << merged.error().message;
  const json& source = (*merged)["source"];
  EXPECT_EQ(source["dirty"], true);
  EXPECT_EQ(source["changed_paths"], json({"a/y", "b/x", "c/z"}));
  EXPECT_EQ(source["changed_paths_omitted"], 3) << "s2 knew of 6 paths; 3 are listed";

  // All clean: clean. Shards of a fanout before the field: it stays absent.
  auto clean = Merge(
      {{"s0.json", Manifest({Built("a")}, {}, "succeeded", 1, 1, dirty(false, json::array(), 0))},
       {"s1.json", Manifest({Built("b")})}});
  ASSERT_TRUE(clean.ok()) << clean.error().message;
  EXPECT_EQ((*clean)["source"]["dirty"], false);
  EXPECT_EQ((*clean)["source"]["changed_paths"], json::array());
  auto old = Merge({{"s0.json", Manifest({Built("a")})}, {"s1.json", Manifest({Built("b")})}});
  ASSERT_TRUE(old.ok()) << old.error().message;
  EXPECT_FALSE((*old)["source"].contains("dirty"));
}

TEST(ManifestMerge, TargetInTwoManifestsIsAnErrorNamingIt) {
  auto merged = Merge(
      {{"s0.json", Manifest({Built("a"), Built("dup")})}, {"s1.json", Manifest({Built("dup")})}});
  ASSERT_FALSE(merged.ok());
  EXPECT_EQ(merged.error().exit_code, 2);
  EXPECT_NE(merged.error().message.find("'dup'"), std::string::npos) << merged.error().message;
  EXPECT_NE(merged.error().message.find("s0.json"), std::string::npos);
  EXPECT_NE(merged.error().message.find("s1.json"), std::string::npos);
}

TEST(ManifestMerge, AnyFailedTargetFailsTheMerge) {
  auto merged = Merge({{"s0.json", Manifest({Built("a")})},
                       {"s1.json", Manifest({Built("b", "failed")}, {}, "failed")}});
  ASSERT_TRUE(merged.ok()) << merged.error().message;
  EXPECT_EQ((*merged)["status"], "failed");
  EXPECT_EQ((*merged)["targets"][1]["status"], "failed");

  auto blocked = Merge({{"s0.json", Manifest({Built("a"), Built("b", "blocked")})}});
  ASSERT_TRUE(blocked.ok());
  EXPECT_EQ((*blocked)["status"], "failed");

  auto interrupted = Merge({{"s0.json", Manifest({Built("a")})},
                            {"s1.json", Manifest({Built("b", "interrupted")}, {}, "interrupted")}});
  ASSERT_TRUE(interrupted.ok());
  EXPECT_EQ((*interrupted)["status"], "interrupted");
}

TEST(ManifestMerge, NotRequestedEntriesAreOtherShardsTargets) {
  // What `fanout gather` writes after `fanout build TARGET...`: the other shard's targets as
  // "skipped" (not requested), and a manifest status of "failed" because of them.
  auto merged = Merge({{"s0.json", Manifest({Built("a"), NotRequested("b")}, {"u"}, "failed")},
                       {"s1.json", Manifest({NotRequested("a"), Built("b")}, {"u"}, "failed")}});
  ASSERT_TRUE(merged.ok()) << merged.error().message;
  EXPECT_EQ(Names((*merged)["targets"]), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ((*merged)["targets"][1], Built("b"));
  EXPECT_EQ((*merged)["skipped"], json({"u"}));
  EXPECT_EQ((*merged)["status"], "succeeded");
}

TEST(ManifestMerge, TargetNoShardBuiltIsAnError) {
  auto merged = Merge({{"s0.json", Manifest({Built("a"), NotRequested("lost")})},
                       {"s1.json", Manifest({NotRequested("a"), NotRequested("lost")})}});
  ASSERT_FALSE(merged.ok());
  EXPECT_NE(merged.error().message.find("'lost'"), std::string::npos) << merged.error().message;
}

TEST(ManifestMerge, SkippedExcludesTargetsAnotherShardBuilt) {
  auto merged = Merge({{"s0.json", Manifest({Built("a")}, {"b", "u"})},
                       {"s1.json", Manifest({Built("b")}, {"u"})}});
  ASSERT_TRUE(merged.ok()) << merged.error().message;
  EXPECT_EQ((*merged)["skipped"], json({"u"}));
}

TEST(ManifestMerge, DifferentSourcesAreAnErrorNamingBothCommits) {
  auto merged =
      Merge({{"s0.json", Manifest({Built("a")}, {}, "succeeded", 1, 1, Source("1111aaaa", "t1"))},
             {"s1.json", Manifest({Built("b")}, {}, "succeeded", 1, 1, Source("2222bbbb", "t2"))}});
  ASSERT_FALSE(merged.ok());
  EXPECT_NE(merged.error().message.find("1111aaaa"), std::string::npos) << merged.error().message;
  EXPECT_NE(merged.error().message.find("2222bbbb"), std::string::npos) << merged.error().message;

  // Same commit, different tree (a dirty work tree on one machine) is a different source too.
  auto dirty =
      Merge({{"s0.json", Manifest({Built("a")}, {}, "succeeded", 1, 1, Source("1111aaaa", "t1"))},
             {"s1.json", Manifest({Built("b")}, {}, "succeeded", 1, 1, Source("1111aaaa", "t2"))}});
  EXPECT_FALSE(dirty.ok());
}

TEST(ManifestMerge, MalformedInputsAreErrorsNamingTheFile) {
  EXPECT_FALSE(Merge({}).ok());
  for (json bad : {json::array(), json({{"version", 2}, {"targets", json::array()}}),
                   json({{"version", 1}}), json({{"version", "1"}, {"targets", json::array()}}),
                   json({{"version", 1}, {"targets", {{{"status", "succeeded"}}}}}),
                   json({{"version", 1}, {"targets", json::array()}, {"timings", "slow"}})}) {
    auto merged = Merge({{"bad.json", bad}});
    ASSERT_FALSE(merged.ok()) << bad.dump();
    EXPECT_NE(merged.error().message.find("bad.json"), std::string::npos) << merged.error().message;
  }
}

TEST(ManifestMerge, FilesAreReadAndTheResultWritten) {
  tu::TempDir dir;
  tu::WriteFile(dir / "s0.json", Manifest({Built("b")}).dump());
  tu::WriteFile(dir / "s1.json", Manifest({Built("a")}).dump());
  Status st = MergeManifestFiles({dir / "s0.json", dir / "s1.json"}, dir / "out/merged.json");
  ASSERT_TRUE(st.ok()) << st.error().message;
  json merged = json::parse(tu::ReadFile(dir / "out/merged.json"));
  EXPECT_EQ(Names(merged["targets"]), (std::vector<std::string>{"a", "b"}));

  tu::WriteFile(dir / "broken.json", "{not json");
  Status broken = MergeManifestFiles({dir / "broken.json"}, dir / "x.json");
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.error().message.find("broken.json"), std::string::npos);
  EXPECT_FALSE(tu::Exists(dir / "x.json"));
  EXPECT_FALSE(MergeManifestFiles({dir / "missing.json"}, dir / "x.json").ok());
}

}  // namespace
}  // namespace fanout
