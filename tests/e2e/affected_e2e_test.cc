// End-to-end tests of `fanout affected`: real git repositories (shallow clones, bare
// repositories, submodules, symlinks) and the real binary, asserting on its output and exit
// codes.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "test_util.h"

namespace fanout::testing {
namespace {

using nlohmann::json;
using V = std::vector<std::string>;

constexpr const char* kDescription = R"(version: 1
global_inputs: [Makefile]
targets:
  base:
    command: "true"
    inputs: [docker/base/**]
  runtime:
    command: "true"
    inputs: [python/**, "!python/tests/**", build-runtime.sh]
    deps: [base]
  app:
    command: "true"
    inputs: [app]
    deps: [runtime]
  other:
    command: "true"
    inputs: [other/**]
  vendored:
    command: "true"
    inputs: [vendor/**]
)";

RunResult Fanout(const std::vector<std::string>& args, const std::string& cwd,
                 const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv = {FanoutBinary(), "affected"};
  argv.insert(argv.end(), args.begin(), args.end());
  return Run(argv, cwd, env);
}

std::string Trim(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

class AffectedE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.Write("fanout.yaml", kDescription);
    repo_.Write("Makefile", "all:\n");
    repo_.Write("docker/base/Dockerfile", "FROM scratch\n");
    repo_.Write("python/x.py", "x = 1\n");
    repo_.Write("python/tests/test_x.py", "t = 1\n");
    repo_.Write("build-runtime.sh", "#!/bin/sh\n");
    repo_.Write("app/main.go", "package main\n");
    repo_.Write("other/o.txt", "o\n");
    repo_.Write("other/target.txt", "t\n");
    Sh("ln -s target.txt other/link", repo_.path());
    first_ = repo_.Commit("init");
  }

  /// Runs `fanout affected --format json` in the repository; expects exit 0.
  json AffectedJson(std::vector<std::string> args) {
    args.insert(args.end(), {"--format", "json"});
    RunResult r = Fanout(args, repo_.path());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j;
  }
  V AffectedNames(const std::vector<std::string>& args) {
    json j = AffectedJson(args);
    V out;
    if (j.contains("affected")) {
      for (const json& t : j["affected"]) out.push_back(t["name"]);
    }
    return out;
  }

  GitRepo repo_;
  std::string first_;
};

TEST_F(AffectedE2E, Affected_RenameOutOfDirectoryAffectsBothSides) {
  repo_.Git({"mv", "docker/base/Dockerfile", "other/Dockerfile"});
  repo_.Commit("move");
  json j = AffectedJson({"--base", first_});
  V names;
  for (const json& t : j["affected"]) names.push_back(t["name"]);
  EXPECT_EQ(names, (V{"app", "base", "other", "runtime"}));
  EXPECT_EQ(j["affected"][1]["reasons"][0]["path"], "docker/base/Dockerfile");
  EXPECT_EQ(j["affected"][2]["reasons"][0]["path"], "other/Dockerfile");
}

TEST_F(AffectedE2E, Affected_DeleteAffects) {
  repo_.Git({"rm", "-q", "build-runtime.sh"});
  repo_.Commit("delete");
  EXPECT_EQ(AffectedNames({"--base", first_}), (V{"app", "runtime"}));
}

TEST_F(AffectedE2E, Affected_ChmodExecutableAffects) {
  Sh("chmod +x python/x.py", repo_.path());
  repo_.Commit("chmod");
  ASSERT_EQ(Trim(repo_.Git({"diff", "--name-only", first_, "HEAD"})), "python/x.py");
  EXPECT_EQ(AffectedNames({"--base", first_}), (V{"app", "runtime"}));
}

TEST_F(AffectedE2E, Affected_SymlinkRetargetAffects) {
  Sh("ln -sfn o.txt other/link", repo_.path());
  repo_.Commit("retarget");
  json j = AffectedJson({"--base", first_});
  ASSERT_EQ(j["affected"].size(), 1u);
  EXPECT_EQ(j["affected"][0]["name"], "other");
  EXPECT_EQ(j["affected"][0]["reasons"][0]["path"], "other/link");
}

TEST_F(AffectedE2E, Affected_EditingALinkedFileAffectsOnlyItsOwnPath) {
  // git records a symlink as its target text: editing what it points to changes only that file.
  repo_.Write("other/target.txt", "t2\n");
  repo_.Commit("edit target");
  json j = AffectedJson({"--base", first_});
  ASSERT_EQ(j["affected"].size(), 1u);
  EXPECT_EQ(j["affected"][0]["reasons"].size(), 1u);
  EXPECT_EQ(j["affected"][0]["reasons"][0]["path"], "other/target.txt");
}

TEST_F(AffectedE2E, Affected_SubmoduleBumpAffects) {
  GitRepo sub;
  sub.Write("lib.c", "int x;\n");
  sub.Commit("sub one");
  repo_.Git(
      {"-c", "protocol.file.allow=always", "submodule", "add", "-q", sub.path(), "vendor/sub"});
  std::string added = repo_.Commit("add submodule");
  sub.Write("lib.c", "int y;\n");
  std::string bumped = sub.Commit("sub two");
  Sh("git -c protocol.file.allow=always fetch -q origin && git checkout -q " + bumped,
     repo_ / "vendor/sub");
  repo_.Commit("bump");
  ASSERT_EQ(Trim(repo_.Git({"diff", "--name-only", added, "HEAD"})), "vendor/sub");
  json j = AffectedJson({"--base", added});
  ASSERT_EQ(j["affected"].size(), 1u);
  EXPECT_EQ(j["affected"][0]["name"], "vendored");
  EXPECT_EQ(j["affected"][0]["reasons"][0]["path"], "vendor/sub");
  EXPECT_EQ(j["affected"][0]["reasons"][0]["pattern"], "vendor/**");
}

TEST_F(AffectedE2E, Affected_DescriptionChangeAffectsOnlyChangedTarget) {
  std::string text = kDescription;
  text.replace(text.find("inputs: [other/**]"), 18, "inputs: [other/**]\n    retries: 2");
  repo_.Write("fanout.yaml", text);
  repo_.Commit("retry other");
  json j = AffectedJson({"--base", first_});
  ASSERT_EQ(j["affected"].size(), 1u);
  EXPECT_EQ(j["affected"][0]["name"], "other");
  EXPECT_EQ(j["affected"][0]["reasons"], json::parse(R"([{"kind":"description"}])"));
  EXPECT_EQ(j["all"], false);

  // A change to a dependency's definition reaches its dependents.
  text.replace(text.find("inputs: [docker/base/**]"), 24, "inputs: [docker/base/**, docker/x]");
  repo_.Write("fanout.yaml", text);
  repo_.Commit("widen base");
  EXPECT_EQ(AffectedNames({"--base", "HEAD~1"}), (V{"app", "base", "runtime"}));
}

TEST_F(AffectedE2E, Affected_GlobalInputAffectsEverything) {
  repo_.Write("Makefile", "all: y\n");
  repo_.Commit("make");
  json j = AffectedJson({"--base", first_});
  EXPECT_EQ(j["all"], true);
  EXPECT_EQ(j["affected"].size(), 5u);
  EXPECT_EQ(j["unaffected"], json::array());
  EXPECT_EQ(j["affected"][0]["reasons"].back(),
            json::parse(R"({"kind":"global","path":"Makefile","pattern":"Makefile"})"));
}

TEST_F(AffectedE2E, Affected_DependencyChainInTiersAndText) {
  repo_.Write("docker/base/Dockerfile", "FROM debian\n");
  repo_.Commit("base");
  json j = AffectedJson({"--base", first_});
  EXPECT_EQ(j["tiers"], json::parse(R"([["base"],["runtime"],["app"]])"));
  RunResult text = Fanout({"--base", first_}, repo_.path());
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_EQ(text.out, "base\nruntime\napp\n");
  RunResult explain = Fanout({"--base", first_, "--explain"}, repo_.path());
  EXPECT_NE(explain.out.find("app (tier 2)\n    dep     runtime -> base: docker/base/Dockerfile "
                             "(modified) matches 'docker/base/**'"),
            std::string::npos)
      << explain.out;
  RunResult json_explain =
      Fanout({"--base", first_, "--explain", "--format", "json"}, repo_.path());
  EXPECT_FALSE(json::parse(json_explain.out, nullptr, false).is_discarded());
  EXPECT_NE(json_explain.err.find("app (tier 2)"), std::string::npos);
}

TEST_F(AffectedE2E, Affected_WorktreeModeSeesUntrackedFile) {
  repo_.Write("other/untracked.txt", "new\n");
  repo_.Write("fanout-out/junk/docker/base/x", "build output is never source\n");
  json j = AffectedJson({"--base", "HEAD", "--head", "worktree"});
  EXPECT_EQ(j["head"], "worktree");
  ASSERT_EQ(j["affected"].size(), 1u);
  EXPECT_EQ(j["affected"][0]["reasons"][0]["path"], "other/untracked.txt");
  // The committed head does not see it.
  EXPECT_EQ(AffectedNames({"--base", "HEAD"}), V{});
  // Nor does an ignored file count.
  Sh("rm other/untracked.txt && echo '*.log' > .git/info/exclude && echo x > other/a.log",
     repo_.path());
  EXPECT_EQ(AffectedNames({"--base", "HEAD", "--head", "worktree"}), V{});
}

TEST_F(AffectedE2E, Affected_UnknownRevisionIsExit3) {
  RunResult r = Fanout({"--base", "no-such-rev"}, repo_.path());
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("'no-such-rev'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--on-missing-base=all"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  RunResult head = Fanout({"--base", "HEAD", "--head", "nope"}, repo_.path());
  EXPECT_EQ(head.exit_code, 3);
  EXPECT_NE(head.err.find("'nope'"), std::string::npos) << head.err;
  RunResult all =
      Fanout({"--base", "no-such-rev", "--on-missing-base=all", "--format", "json"}, repo_.path());
  EXPECT_EQ(all.exit_code, 0) << all.err;
  EXPECT_NE(all.err.find("warning"), std::string::npos);
  json j = json::parse(all.out);
  EXPECT_EQ(j["all"], true);
  EXPECT_EQ(j["compared"], nullptr);
  EXPECT_NE(j["all_reason"].get<std::string>().find("no-such-rev"), std::string::npos);
  EXPECT_EQ(j["affected"][0]["reasons"], json::parse(R"([{"kind":"all"}])"));
}

TEST_F(AffectedE2E, Affected_ZeroBaseMeansEverything) {
  json j = AffectedJson({"--base", std::string(40, '0')});
  EXPECT_EQ(j["all"], true);
  EXPECT_EQ(j["affected"].size(), 5u);
  EXPECT_NE(j["all_reason"].get<std::string>().find("all-zero"), std::string::npos);
}

TEST_F(AffectedE2E, Affected_UsageErrors) {
  EXPECT_EQ(Fanout({}, repo_.path()).exit_code, 2);  // --base is required
  EXPECT_EQ(Fanout({"--base", "HEAD", "--format", "xml"}, repo_.path()).exit_code, 2);
  EXPECT_EQ(Fanout({"--base", "HEAD", "--on-missing-base", "maybe"}, repo_.path()).exit_code, 2);
  repo_.Write("fanout.yaml",
              "version: 1\ntargets:\n  a:\n    command: x\n    inputs: [a]\n"
              "    pool: nope\n");
  RunResult bad = Fanout({"--base", "HEAD", "--head", "worktree"}, repo_.path());
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("fanout.yaml:6:"), std::string::npos) << bad.err;
}

TEST_F(AffectedE2E, Affected_GithubOutputAppendsToFile) {
  repo_.Write("other/o.txt", "changed\n");
  repo_.Commit("other");
  TempDir tmp;
  WriteFile(tmp / "out", "earlier=1\n");
  RunResult r = Fanout({"--base", first_, "--format", "github"}, repo_.path(),
                       {"GITHUB_OUTPUT=" + (tmp / "out")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(ReadFile(tmp / "out"),
            "earlier=1\nmatrix={\"include\":[{\"target\":\"other\"}]}\nany=true\napp=false\n"
            "base=false\nother=true\nruntime=false\nvendored=false\n");
  RunResult stdout_only =
      Fanout({"--base", first_, "--format", "github"}, repo_.path(), {"GITHUB_OUTPUT="});
  EXPECT_NE(stdout_only.out.find("any=true\n"), std::string::npos);
}

TEST_F(AffectedE2E, Affected_HeadRevisionUsesItsOwnDescription) {
  std::string text = std::string(kDescription) + "  extra:\n    command: x\n    inputs: [extra]\n";
  repo_.Write("fanout.yaml", text);
  repo_.Write("extra", "e\n");
  repo_.Commit("add extra");
  // The work tree's description is edited afterwards but not committed; HEAD's is used.
  repo_.Write("fanout.yaml", kDescription);
  json j = AffectedJson({"--base", first_});
  V names;
  for (const json& t : j["affected"]) names.push_back(t["name"]);
  EXPECT_EQ(names, V{"extra"});
  // The work tree's description no longer has it.
  EXPECT_EQ(AffectedNames({"--base", first_, "--head", "worktree"}), V{});
}

TEST_F(AffectedE2E, Affected_ShallowCloneWithoutMergeBaseIsExit3WithHint) {
  repo_.Git({"checkout", "-q", "-b", "feature"});
  for (int i = 0; i < 3; ++i) {
    repo_.Write("other/o.txt", "feature " + std::to_string(i) + "\n");
    repo_.Commit("feature");
  }
  repo_.Git({"checkout", "-q", "main"});
  for (int i = 0; i < 3; ++i) {
    repo_.Write("docker/base/Dockerfile", "FROM main" + std::to_string(i) + "\n");
    repo_.Commit("main");
  }
  TempDir tmp;
  const std::string clone = tmp / "clone";
  ASSERT_EQ(fanout::testing::Run({"git", "clone", "-q", "--depth", "1", "--no-single-branch",
                                  "file://" + repo_.path(), clone})
                .exit_code,
            0);
  fanout::testing::Run({"git", "-C", clone, "checkout", "-q", "feature"});

  // The base exists, the merge base does not.
  RunResult r = Fanout({"--base", "origin/main"}, clone);
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_NE(r.err.find("shallow"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("git fetch --deepen"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("origin/main"), std::string::npos) << r.err;
  // The base itself is missing.
  RunResult missing = Fanout({"--base", first_}, clone);
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_NE(missing.err.find(first_), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find("--deepen"), std::string::npos) << missing.err;

  RunResult all =
      Fanout({"--base", "origin/main", "--on-missing-base=all", "--format", "json"}, clone);
  EXPECT_EQ(all.exit_code, 0);
  EXPECT_EQ(json::parse(all.out)["all"], true);
  EXPECT_NE(all.err.find("warning"), std::string::npos);

  // With the history fetched, the answer is exact: only the feature's change.
  ASSERT_EQ(fanout::testing::Run({"git", "-C", clone, "fetch", "-q", "--deepen=10"}).exit_code, 0);
  RunResult deep = Fanout({"--base", "origin/main"}, clone);
  EXPECT_EQ(deep.exit_code, 0) << deep.err;
  EXPECT_EQ(deep.out, "other\n");
  // --direct compares the tips: main's changes count too.
  EXPECT_EQ(Fanout({"--base", "origin/main", "--direct"}, clone).out,
            "base\nother\nruntime\napp\n");
}

TEST_F(AffectedE2E, Affected_BareRepository) {
  repo_.Write("app/main.go", "package main // 2\n");
  std::string head = repo_.Commit("app");
  TempDir tmp;
  const std::string bare = tmp / "cache.git";
  ASSERT_EQ(fanout::testing::Run({"git", "clone", "-q", "--bare", repo_.path(), bare}).exit_code,
            0);
  RunResult r = Fanout(
      {"--repo", bare, "-f", "fanout.yaml", "--base", first_, "--head", head, "--format", "json"},
      tmp.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["head"], head);
  ASSERT_EQ(j["affected"].size(), 1u);
  EXPECT_EQ(j["affected"][0]["name"], "app");
  RunResult wt = Fanout({"--repo", bare, "--base", first_, "--head", "worktree"}, tmp.path());
  EXPECT_EQ(wt.exit_code, 2);
  EXPECT_NE(wt.err.find("bare"), std::string::npos) << wt.err;
}

TEST_F(AffectedE2E, Affected_ThousandsOfCommitsBetweenBaseAndHead) {
  // fast-import writes 3,000 commits in one process; one of them touches app/.
  std::string stream;
  for (int i = 0; i < 3000; ++i) {
    // Small directories keep each commit's new trees small.
    std::string path =
        i == 1500 ? "app/new.go" : "docs/d" + std::to_string(i / 50) + "/n" + std::to_string(i);
    std::string body = std::to_string(i) + "\n";
    stream += "commit refs/heads/main\ncommitter T <t@e> " + std::to_string(i) + " +0000\ndata 0\n";
    if (i == 0) stream += "from " + first_ + "\n";
    stream += "M 100644 inline " + path + "\ndata " + std::to_string(body.size()) + "\n" + body;
  }
  WriteFile(repo_ / ".git/stream", stream);
  // HEAD follows main; the work tree is not needed since the head is a commit.
  ASSERT_EQ(Sh("git fast-import --quiet --force < .git/stream", repo_.path()).exit_code, 0);
  EXPECT_EQ(Trim(repo_.Git({"rev-list", "--count", first_ + "..HEAD"})), "3000");
  json j = AffectedJson({"--base", first_});
  ASSERT_EQ(j["affected"].size(), 1u);
  EXPECT_EQ(j["affected"][0]["name"], "app");
  EXPECT_EQ(j["compared"], first_);
}

}  // namespace
}  // namespace fanout::testing
