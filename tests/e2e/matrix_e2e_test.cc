// End-to-end: `fanout matrix` splits a real plan into shards, each shard is built in its own
// build directory (a stand-in for its own machine), and `fanout matrix --merge` joins the
// shards' manifests.
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace fanout::testing {
namespace {

using nlohmann::json;

// Three dependency components: {base, app, tool}, {lib, svc}, {solo}.
const std::map<std::string, std::vector<std::string>> kGraph = {
    {"base", {}}, {"app", {"base"}}, {"tool", {"base"}},
    {"lib", {}},  {"svc", {"lib"}},  {"solo", {}}};

class MatrixE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string yaml = "version: 1\ntargets:\n";
    for (const auto& [name, deps] : kGraph) {
      repo_.Write("src/" + name + "/main.txt", "source of " + name + "\n");
      yaml += "  " + name + ":\n    command: 'cat src/" + name + "/main.txt > \"$FANOUT_OUT/" +
              name + ".txt\"'\n    inputs: [src/" + name + "/**]\n    artifacts: [" + name +
              ".txt]\n";
      if (!deps.empty()) yaml += "    deps: [" + deps[0] + "]\n";
    }
    repo_.Write("fanout.yaml", yaml);
    repo_.Commit("initial");
  }

  RunResult Fanout(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv = {FanoutBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return fanout::testing::Run(argv, repo_.path(), env);
  }

  GitRepo repo_;
};

TEST_F(MatrixE2E, Matrix_ShardsBuildSeparatelyAndMergeToEveryTargetOnce) {
  RunResult gen = Fanout({"gen"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;

  RunResult matrix = Fanout({"matrix", "--shards", "2", "--format", "json"});
  ASSERT_EQ(matrix.exit_code, 0) << matrix.err;
  json shards = json::parse(matrix.out)["shards"];
  ASSERT_EQ(shards.size(), 2u) << matrix.out;
  // Largest component first onto shard 0; the two smaller ones fill shard 1.
  EXPECT_EQ(shards[0]["targets"], json({"app", "base", "tool"})) << matrix.out;
  EXPECT_EQ(shards[1]["targets"], json({"lib", "solo", "svc"})) << matrix.out;

  // The same split as GitHub step outputs, appended to $GITHUB_OUTPUT.
  WriteFile(repo_ / "gh_output", "earlier=1\n");
  RunResult gh = Fanout({"matrix", "--shards", "2", "--format", "github"},
                        {"GITHUB_OUTPUT=" + (repo_ / "gh_output")});
  ASSERT_EQ(gh.exit_code, 0) << gh.err;
  EXPECT_EQ(gh.out, "");
  // Tier 1's matrix as `matrix` and `matrix_1`; tier 2, unused, empty (a workflow's tier-2
  // job is skipped on shards_2 == 0). Every target counts the median, 1 s: three in the
  // largest shard plus the 30 s job overhead.
  const std::string tier1 =
      "{\"include\":[{\"shard\":0,\"targets\":\"app base tool\"},"
      "{\"shard\":1,\"targets\":\"lib solo svc\"}]}";
  EXPECT_EQ(ReadFile(repo_ / "gh_output"), "earlier=1\nmatrix=" + tier1 +
                                               "\nshards=2\ntiers=1\nmatrix_1=" + tier1 +
                                               "\nshards_1=2\nmatrix_2={\"include\":[]}\n"
                                               "shards_2=0\nexpected_seconds=33\n");
  EXPECT_NE(gh.err.find("one tier of whole components"), std::string::npos) << gh.err;

  std::vector<std::string> manifests;
  std::map<std::string, int> shard_of;
  for (const json& shard : shards) {
    const int k = shard["index"].get<int>();
    const std::string dir = "build-shard" + std::to_string(k);
    std::vector<std::string> args = {"build", "-B", dir};
    for (const json& t : shard["targets"]) {
      args.push_back(t.get<std::string>());
      shard_of[t.get<std::string>()] = k;
    }
    RunResult build = Fanout(args);
    ASSERT_EQ(build.exit_code, 0) << build.out << build.err;
    // A build of named targets writes the shard's manifest itself.
    manifests.push_back(dir + "/manifest.json");
  }
  // No target was built on two "machines": each result exists only in its own shard.
  for (const auto& [name, k] : shard_of) {
    for (int other = 0; other < 2; ++other) {
      const std::string result =
          repo_ / ("build-shard" + std::to_string(other) + "/targets/" + name + "/result.json");
      EXPECT_EQ(Exists(result), other == k) << name << " in shard " << other;
    }
  }

  std::vector<std::string> merge = {"matrix", "--merge"};
  merge.insert(merge.end(), manifests.begin(), manifests.end());
  merge.insert(merge.end(), {"-o", "merged/manifest.json"});
  RunResult merged_run = Fanout(merge);
  ASSERT_EQ(merged_run.exit_code, 0) << merged_run.err;
  json merged = json::parse(ReadFile(repo_ / "merged/manifest.json"));

  EXPECT_EQ(merged["version"], 1);
  EXPECT_EQ(merged["status"], "succeeded") << merged.dump(2);
  EXPECT_EQ(merged["skipped"], json::array());
  std::vector<std::string> names;
  for (const json& t : merged["targets"]) {
    const std::string name = t["name"].get<std::string>();
    names.push_back(name);
    EXPECT_EQ(t["status"], "succeeded") << t.dump();
    ASSERT_EQ(t["artifacts"].size(), 1u) << t.dump();
    // The gathered path is relative to the shard's build directory that built it.
    const std::string shard_dir = "build-shard" + std::to_string(shard_of[name]);
    const std::string gathered =
        repo_ / (shard_dir + "/" + t["artifacts"][0]["gathered"].get<std::string>());
    EXPECT_EQ(ReadFile(gathered), "source of " + name + "\n") << gathered;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"app", "base", "lib", "solo", "svc", "tool"}))
      << "every target exactly once, sorted";
  const json shard0 = json::parse(ReadFile(repo_ / manifests[0]));
  EXPECT_EQ(merged["source"], shard0["source"]);
  EXPECT_TRUE(merged["source"]["tree"].is_string()) << merged["source"].dump();
}

TEST_F(MatrixE2E, Matrix_UsageErrors) {
  RunResult no_plan = Fanout({"matrix", "-B", "nowhere", "--shards", "2"});
  EXPECT_EQ(no_plan.exit_code, 2);
  EXPECT_NE(no_plan.err.find("no plan"), std::string::npos) << no_plan.err;
  EXPECT_NE(no_plan.err.find("fanout gen"), std::string::npos) << no_plan.err;

  ASSERT_EQ(Fanout({"gen"}).exit_code, 0);
  RunResult zero = Fanout({"matrix", "--shards", "0"});
  EXPECT_EQ(zero.exit_code, 2);
  EXPECT_EQ(zero.out, "");
  EXPECT_EQ(Fanout({"matrix"}).exit_code, 2) << "--shards is required";
  RunResult tiers = Fanout({"matrix", "--shards", "2", "--max-tiers", "0"});
  EXPECT_EQ(tiers.exit_code, 2);
  EXPECT_NE(tiers.err.find("--max-tiers must be at least 1"), std::string::npos) << tiers.err;
  RunResult overhead = Fanout({"matrix", "--shards", "2", "--job-overhead", "-1"});
  EXPECT_EQ(overhead.exit_code, 2);
  EXPECT_NE(overhead.err.find("--job-overhead"), std::string::npos) << overhead.err;
  RunResult history = Fanout({"matrix", "--shards", "2", "--history", "no/such/dir"});
  EXPECT_EQ(history.exit_code, 2);
  EXPECT_NE(history.err.find("'no/such/dir' does not exist"), std::string::npos) << history.err;
  WriteFile(repo_ / "bad.json", "{}");
  RunResult bad = Fanout({"matrix", "--shards", "2", "--history", "bad.json"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("bad.json: neither a manifest.json nor a .ninja_log"), std::string::npos)
      << bad.err;

  // More shards than components: one per component, none empty.
  RunResult many = Fanout({"matrix", "--shards", "9"});
  ASSERT_EQ(many.exit_code, 0) << many.err;
  EXPECT_EQ(json::parse(many.out)["shards"].size(), 3u) << many.out;

  // The same manifest twice: every target is claimed by two shards.
  ASSERT_EQ(Fanout({"build", "-B", "b", "solo"}).exit_code, 0);
  RunResult twice =
      Fanout({"matrix", "--merge", "b/manifest.json", "b/manifest.json", "-o", "m.json"});
  EXPECT_EQ(twice.exit_code, 2);
  EXPECT_NE(twice.err.find("'solo'"), std::string::npos) << twice.err;
  EXPECT_FALSE(Exists(repo_ / "m.json"));
}

}  // namespace
}  // namespace fanout::testing
