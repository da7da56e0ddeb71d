// End-to-end: `--repo DIR` is accepted by every subcommand. The commands that read a build
// directory (exec, snapshot, gather, report, matrix) check that DIR is the repository the
// build directory was generated for; doctor reports what matters about the repository.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace fanout::testing {
namespace {

using nlohmann::json;

class RepoOptionE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.Write("fanout.yaml",
                "version: 1\ntargets:\n  app:\n    command: cp src/a.txt \"$FANOUT_OUT/a.txt\"\n"
                "    inputs: [src/**]\n    artifacts: [a.txt]\n");
    repo_.Write("src/a.txt", "hello\n");
    repo_.Commit("initial");
    other_.Write("README", "another repository\n");
    other_.Commit("other");
  }

  RunResult Fanout(const std::vector<std::string>& args, const std::string& cwd = "") {
    std::vector<std::string> argv = {FanoutBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return fanout::testing::Run(argv, cwd.empty() ? repo_.path() : cwd);
  }

  /// gen, then a full build with ninja, so every command has the state it reads.
  void Build() {
    RunResult gen = Fanout({"gen"});
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
    RunResult ninja = fanout::testing::Run({"ninja", "-C", build()});
    ASSERT_EQ(ninja.exit_code, 0) << ninja.out << ninja.err;
  }

  /// Each build-directory command, run with `--repo dir`.
  std::vector<std::vector<std::string>> BuildDirCommands(const std::string& dir) const {
    return {{"snapshot", "-B", build(), "--repo", dir},
            {"exec", "-B", build(), "--repo", dir, "app"},
            {"gather", "-B", build(), "--repo", dir},
            {"report", "-B", build(), "--repo", dir},
            {"matrix", "-B", build(), "--shards", "1", "--repo", dir}};
  }

  std::string build() const { return repo_ / "fanout-out"; }
  std::string PlanRepoRoot() const {
    return json::parse(ReadFile(build() + "/.fanout/plan.json"))["repo_root"].get<std::string>();
  }

  GitRepo repo_;
  GitRepo other_;
  TempDir scratch_;
};

TEST_F(RepoOptionE2E, BuildDirCommands_AcceptTheRepositoryOfThePlan) {
  Build();
  // The work tree, a directory inside it, and its .git directory all name the same repository.
  for (const std::string& dir : {repo_.path(), repo_ / "src", repo_ / ".git"}) {
    for (const auto& args : BuildDirCommands(dir)) {
      RunResult r = Fanout(args);
      EXPECT_EQ(r.exit_code, 0) << args[0] << " --repo " << dir << ": " << r.err;
    }
  }
  EXPECT_EQ(ReadFile(build() + "/artifacts/app/a.txt"), "hello\n");
  RunResult merge = Fanout({"matrix", "--merge", build() + "/manifest.json", "-o",
                            scratch_ / "merged.json", "--repo", repo_.path()});
  EXPECT_EQ(merge.exit_code, 0) << merge.err;
}

TEST_F(RepoOptionE2E, BuildDirCommands_ADifferentRepositoryIsExit2NamingBoth) {
  Build();
  const std::string plan_root = PlanRepoRoot();
  for (const auto& args : BuildDirCommands(other_.path())) {
    RunResult r = Fanout(args);
    EXPECT_EQ(r.exit_code, 2) << args[0] << ": " << r.err;
    EXPECT_NE(r.err.find("fanout " + args[0] + ": error:"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(other_.path()), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(plan_root), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("fanout gen"), std::string::npos) << r.err;
  }
  // exec stopped before touching the target: its last result is still there.
  EXPECT_TRUE(Exists(build() + "/targets/app/result.json"));
}

// Every subcommand of src/cli/cli.cc's table.
TEST_F(RepoOptionE2E, EveryCommand_ARepoThatIsNoRepositoryIsExit3) {
  Build();
  std::vector<std::vector<std::string>> commands = BuildDirCommands("/nonexistent");
  commands.push_back({"doctor", "-B", scratch_.path(), "--repo", "/nonexistent"});
  for (const char* c : {"gen", "build", "check", "list", "graph"}) {
    commands.push_back({c, "--repo", "/nonexistent"});
  }
  commands.push_back({"affected", "--base", "HEAD", "--repo", "/nonexistent"});
  for (const auto& args : commands) {
    RunResult r = Fanout(args);
    EXPECT_EQ(r.exit_code, 3) << args[0] << ": " << r.err;
    EXPECT_NE(r.err.find("/nonexistent"), std::string::npos) << args[0] << ": " << r.err;
  }
  // A directory that exists but is in no repository.
  RunResult r = Fanout({"report", "-B", build(), "--repo", scratch_.path()});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find(scratch_.path()), std::string::npos) << r.err;
}

TEST_F(RepoOptionE2E, ReportAndMatrix_WithoutAPlanOnlyOpenTheRepository) {
  // No plan: report fails as it does without --repo (exit 2, "fanout gen"); a bad --repo is
  // still reported first.
  RunResult r = Fanout({"report", "-B", scratch_.path(), "--repo", other_.path()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("fanout gen"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(other_.path()), std::string::npos) << r.err;
  r = Fanout({"matrix", "-B", scratch_.path(), "--shards", "2", "--repo", "/nonexistent"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
}

TEST_F(RepoOptionE2E, Doctor_ReportsTheRepository) {
  RunResult r = Fanout({"doctor", "-B", scratch_.path(), "--repo", repo_ / "src"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("git repository\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  work tree              " + repo_.path() + "/\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("  bare                   no\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  shallow                no\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  partial clone          no\n"), std::string::npos) << r.out;

  r = Fanout({"doctor", "-B", scratch_.path(), "--repo", repo_.path(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_TRUE(j.contains("kernel")) << r.out;  // the probe is still there
  EXPECT_EQ(j["repository"]["workdir"], repo_.path() + "/") << r.out;
  EXPECT_EQ(j["repository"]["gitdir"], repo_.path() + "/.git/") << r.out;
  EXPECT_EQ(j["repository"]["bare"], false);
  EXPECT_EQ(j["repository"]["shallow"], false);
  EXPECT_EQ(j["repository"]["partial_clone"], false);
  EXPECT_EQ(j["repository"]["promisor_remotes"], json::array());
}

TEST_F(RepoOptionE2E, Doctor_ReportsAShallowClone) {
  const std::string clone = scratch_ / "shallow";
  RunResult c =
      fanout::testing::Run({"git", "clone", "-q", "--depth", "1", "file://" + repo_.path(), clone});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  RunResult r = Fanout({"doctor", "-B", scratch_.path(), "--repo", clone});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("  shallow                yes"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--unshallow"), std::string::npos) << r.out;
  r = Fanout({"doctor", "-B", scratch_.path(), "--repo", clone, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["repository"]["shallow"], true) << r.out;
}

TEST_F(RepoOptionE2E, Doctor_ReportsAPartialAndABareClone) {
  repo_.Git({"config", "uploadpack.allowFilter", "true"});
  const std::string partial = scratch_ / "partial";
  RunResult c = fanout::testing::Run(
      {"git", "clone", "-q", "--filter=blob:none", "file://" + repo_.path(), partial});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  RunResult r = Fanout({"doctor", "-B", scratch_.path(), "--repo", partial});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("  partial clone          yes (promisor remote origin with filter "
                       "blob:none)"),
            std::string::npos)
      << r.out;
  r = Fanout({"doctor", "-B", scratch_.path(), "--repo", partial, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out)["repository"];
  EXPECT_EQ(j["partial_clone"], true) << r.out;
  EXPECT_EQ(j["promisor_remotes"], json::parse(R"([{"name": "origin", "filter": "blob:none"}])"));
  EXPECT_EQ(j["shallow"], false);

  // Older git marks a partial clone with extensions.partialClone instead.
  const std::string old_style = scratch_ / "old-style";
  c = fanout::testing::Run({"git", "clone", "-q", "file://" + repo_.path(), old_style});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  for (const std::vector<std::string>& kv :
       {std::vector<std::string>{"core.repositoryformatversion", "1"},
        std::vector<std::string>{"extensions.partialClone", "origin"}}) {
    ASSERT_EQ(fanout::testing::Run({"git", "-C", old_style, "config", kv[0], kv[1]}).exit_code, 0);
  }
  r = Fanout({"doctor", "-B", scratch_.path(), "--repo", old_style, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["repository"]["promisor_remotes"],
            json::parse(R"([{"name": "origin", "filter": ""}])"))
      << r.out;

  const std::string bare = scratch_ / "bare.git";
  c = fanout::testing::Run({"git", "clone", "-q", "--bare", repo_.path(), bare});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  r = Fanout({"doctor", "-B", scratch_.path(), "--repo", bare, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = json::parse(r.out)["repository"];
  EXPECT_EQ(j["bare"], true) << r.out;
  EXPECT_EQ(j["workdir"], nullptr) << r.out;
  EXPECT_EQ(j["gitdir"], bare + "/") << r.out;
}

TEST_F(RepoOptionE2E, Doctor_WithoutRepoUsesTheCurrentRepositoryIfAny) {
  RunResult r = Fanout({"doctor", "-B", scratch_.path(), "--json"}, repo_ / "src");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["repository"]["workdir"], repo_.path() + "/") << r.out;
  // Outside any repository doctor still succeeds and says there is none.
  r = Fanout({"doctor", "-B", scratch_.path()}, scratch_.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("git repository: none"), std::string::npos) << r.out;
  r = Fanout({"doctor", "-B", scratch_.path(), "--json"}, scratch_.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(json::parse(r.out)["repository"].is_null()) << r.out;
}

}  // namespace
}  // namespace fanout::testing
