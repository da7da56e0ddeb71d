// End-to-end: a base image's twelve dependents spread over four shards in two tiers (docs/
// sharding.md, "Tiers"). Each shard builds in its own build directory with its own action cache
// directory (a stand-in for its own machine); tier 2 takes the base from the directory tier 1
// left (`fanout build --from`), by action key, and never builds it; the merged manifest equals
// a single-machine build's in targets and artifact digests.
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace fanout::testing {
namespace {

using nlohmann::json;

class TiersE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string yaml =
        "version: 1\ntargets:\n"
        "  base:\n"
        "    command: cat base.txt > \"$FANOUT_OUT/base.txt\"; echo ran base\n"
        "    inputs: [base.txt]\n"
        "    artifacts: [base.txt]\n";
    repo_.Write("base.txt", "base 1\n");
    for (int i = 0; i < 12; ++i) {
      const std::string name = "app" + std::string(i < 10 ? "0" : "") + std::to_string(i);
      apps_.push_back(name);
      repo_.Write("src/" + name + ".txt", "source of " + name + "\n");
      yaml += "  " + name + ":\n    command: cat \"$FANOUT_DEPS/base/base.txt\" src/" + name +
              ".txt > \"$FANOUT_OUT/" + name + ".txt\"\n    inputs: [src/" + name +
              ".txt]\n    deps: [base]\n    artifacts: [" + name + ".txt]\n";
    }
    repo_.Write("fanout.yaml", yaml);
    // The "machines'" build and cache directories, which share this work tree.
    repo_.Write(".gitignore",
                "/single/\n/plan/\n/t*-*/\n/c*/\n/merged/\n/no-such-default-cache/\n");
    repo_.Commit("initial");
  }

  RunResult Fanout(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {FanoutBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    // The cache on (the tests' default is off), and no cache but the ones each "machine"
    // names with --cache-dir.
    return fanout::testing::Run(
        argv, repo_.path(),
        {"FANOUT_CACHE=on", "FANOUT_CACHE_DIR=" + (repo_ / "no-such-default-cache")});
  }

  json Manifest(const std::string& dir) {
    return json::parse(ReadFile(repo_ / (dir + "/manifest.json")));
  }

  /// name -> [(path, sha256)] of every target that succeeded.
  static std::map<std::string, std::vector<std::pair<std::string, std::string>>> Digests(
      const json& manifest) {
    std::map<std::string, std::vector<std::pair<std::string, std::string>>> out;
    for (const json& t : manifest["targets"]) {
      if (t["status"] == "skipped") continue;
      auto& files = out[t["name"].get<std::string>()];
      for (const json& a : t.value("artifacts", json::array())) {
        files.emplace_back(a["path"].get<std::string>(), a["sha256"].get<std::string>());
      }
    }
    return out;
  }

  GitRepo repo_;
  std::vector<std::string> apps_;
};

TEST_F(TiersE2E, ABaseWithTwelveDependentsIsBuiltOnceAndTheDependentsSpreadOverFourShards) {
  // The single-machine build: the reference, and the history the matrix balances with.
  RunResult single = Fanout({"build", "-B", "single", "--cache-dir", "cache-single"});
  ASSERT_EQ(single.exit_code, 0) << single.out << single.err;

  ASSERT_EQ(Fanout({"gen", "-B", "plan"}).exit_code, 0);
  // No job overhead: these targets take milliseconds, which 30 s per job would dwarf.
  RunResult matrix = Fanout(
      {"matrix", "-B", "plan", "--shards", "4", "--history", "single", "--job-overhead", "0"});
  ASSERT_EQ(matrix.exit_code, 0) << matrix.err;
  const json plan = json::parse(matrix.out);
  ASSERT_EQ(plan["strategy"], "tiers") << matrix.out;
  ASSERT_EQ(plan["tiers"], 2) << matrix.out;
  EXPECT_EQ(plan["estimated"], json::array()) << "every target has history";
  std::map<int, std::vector<std::vector<std::string>>> tiers;
  for (const json& s : plan["shards"]) {
    tiers[s["tier"].get<int>()].push_back(s["targets"].get<std::vector<std::string>>());
  }
  ASSERT_EQ(tiers[1], (std::vector<std::vector<std::string>>{{"base"}})) << matrix.out;
  ASSERT_EQ(tiers[2].size(), 4u) << matrix.out;
  std::set<std::string> spread;
  for (const auto& shard : tiers[2]) {
    EXPECT_FALSE(shard.empty());
    spread.insert(shard.begin(), shard.end());
  }
  EXPECT_EQ(spread, std::set<std::string>(apps_.begin(), apps_.end()));

  // Tier 1, then tier 2 taking the base from what tier 1 left.
  std::vector<std::string> manifests;
  RunResult t1 = Fanout({"build", "-B", "t1-0", "--cache-dir", "c1-0", "base"});
  ASSERT_EQ(t1.exit_code, 0) << t1.out << t1.err;
  manifests.push_back("t1-0/manifest.json");
  const double base_finished =
      json::parse(ReadFile(repo_ / "t1-0/targets/base/result.json"))["finished_at"].get<double>();
  for (std::size_t k = 0; k < tiers[2].size(); ++k) {
    const std::string dir = "t2-" + std::to_string(k);
    std::vector<std::string> args = {"build",  "-B",  dir, "--cache-dir", "c2-" + std::to_string(k),
                                     "--from", "c1-0"};
    args.insert(args.end(), tiers[2][k].begin(), tiers[2][k].end());
    RunResult t2 = Fanout(args);
    ASSERT_EQ(t2.exit_code, 0) << t2.out << t2.err;
    manifests.push_back(dir + "/manifest.json");
    // The base was taken, not built: tier 1's result, restored and marked as imported.
    const json base = json::parse(ReadFile(repo_ / (dir + "/targets/base/result.json")));
    EXPECT_EQ(base["status"], "cached") << base.dump();
    EXPECT_EQ(base["cached"]["store"], "import") << base.dump();
    EXPECT_EQ(base["cached"]["original_finished_at"].get<double>(), base_finished);
    bool listed = false;
    const json shard = Manifest(dir);
    for (const json& t : shard["targets"]) {
      if (t["name"] != "base") continue;
      listed = true;
      EXPECT_EQ(t["imported_from"], repo_ / "c1-0") << t.dump();
    }
    EXPECT_TRUE(listed) << dir << shard.dump();
  }

  std::vector<std::string> merge = {"matrix", "--merge"};
  merge.insert(merge.end(), manifests.begin(), manifests.end());
  merge.insert(merge.end(), {"-o", "merged/manifest.json"});
  RunResult merged = Fanout(merge);
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  const json m = Manifest("merged");
  EXPECT_EQ(m["status"], "succeeded") << m.dump(2);
  EXPECT_EQ(Digests(m), Digests(Manifest("single")));
  for (const json& t : m["targets"]) {
    EXPECT_FALSE(t.contains("imported_from"))
        << "the merge keeps the tier that built it: " << t.dump();
  }

  // The later tiers alone: the base was built by no manifest given.
  std::vector<std::string> partial = {"matrix", "--merge"};
  partial.insert(partial.end(), manifests.begin() + 1, manifests.end());
  partial.insert(partial.end(), {"-o", "partial.json"});
  RunResult missing = Fanout(partial);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("'base' was taken from an earlier tier"), std::string::npos)
      << missing.err;
}

TEST_F(TiersE2E, ADependencyTheEarlierTierBuiltDifferentlyFailsAndIsNeverBuilt) {
  ASSERT_EQ(Fanout({"build", "-B", "t1", "--cache-dir", "c1", "base"}).exit_code, 0);
  // A later commit changes the base: tier 2 of this commit must not take the old one, nor
  // build the base itself.
  repo_.Write("base.txt", "base 2\n");
  repo_.Commit("base 2");
  RunResult t2 = Fanout({"build", "-B", "t2", "--cache-dir", "c2", "--from", "c1", "app00"});
  EXPECT_EQ(t2.exit_code, 1) << t2.out << t2.err;
  const json failure = json::parse(ReadFile(repo_ / "t2/targets/base/failure.json"));
  const std::string message = failure["message"].get<std::string>();
  EXPECT_NE(message.find("'base' is to be taken from an earlier tier"), std::string::npos)
      << message;
  EXPECT_NE(message.find("differs: its inputs"), std::string::npos) << message;
  EXPECT_FALSE(Exists(repo_ / "t2/targets/base/result.json"));
  EXPECT_EQ(ReadFile(repo_ / "t2/targets/base/log.txt").find("ran base"), std::string::npos)
      << "the base ran in tier 2";
  EXPECT_FALSE(Exists(repo_ / "t2/targets/app00/result.json"));

  // Nothing at all from the earlier tier: said so.
  Sh("mkdir -p '" + (repo_ / "empty/ac") + "'");
  RunResult none = Fanout({"build", "-B", "t3", "--cache-dir", "c3", "--from", "empty", "app00"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(ReadFile(repo_ / "t3/targets/base/failure.json").find("did the earlier tier build it"),
            std::string::npos);
}

TEST_F(TiersE2E, FromUsageErrors) {
  RunResult no_targets = Fanout({"build", "-B", "b", "--from", "c1"});
  EXPECT_EQ(no_targets.exit_code, 2);
  EXPECT_NE(no_targets.err.find("--from needs the targets of this tier"), std::string::npos)
      << no_targets.err;
  RunResult not_a_tier = Fanout({"build", "-B", "b", "--from", "src", "app00"});
  EXPECT_EQ(not_a_tier.exit_code, 2);
  EXPECT_NE(not_a_tier.err.find("--from src: not an earlier tier's directory"), std::string::npos)
      << not_a_tier.err;
}

}  // namespace
}  // namespace fanout::testing
