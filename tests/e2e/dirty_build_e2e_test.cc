// End-to-end: a build of uncommitted changes is marked dirty in source.json, result.json and the
// manifest, with the changed paths its targets read (tracked edits and untracked files alike),
// and `fanout build` warns about it in CI only (CI=true; GitHub's `::warning::` form under
// GITHUB_ACTIONS=true). A clean build says "dirty": false. The tag rule for such builds is
// checked with a real image in image_e2e_test.cc (ADirtyBuildLeavesOutTheTagsThatNameTheCommit).
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace fanout::testing {
namespace {

using nlohmann::json;

constexpr const char* kWarning = "this build is of uncommitted changes";

class DirtyBuildE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.Write("fanout.yaml",
                "version: 1\ntargets:\n"
                "  a:\n    command: cat a.txt extra/*.txt > a.out\n"
                "    inputs: [a.txt, \"extra/**\"]\n    artifacts: [a.out]\n"
                "  b:\n    command: cat b.txt > b.out\n    inputs: [b.txt]\n"
                "    artifacts: [b.out]\n");
    repo_.Write("a.txt", "a1\n");
    repo_.Write("extra/one.txt", "one\n");
    repo_.Write("b.txt", "b1\n");
    repo_.Write("notes.txt", "read by no target\n");
    repo_.Commit();
  }
  /// `fanout build` with `env`; CI and GITHUB_ACTIONS are cleared first, whatever runs the test.
  RunResult Build(std::vector<std::string> env) {
    env.insert(env.begin(), {"CI=", "GITHUB_ACTIONS=", "GITHUB_EVENT_NAME="});
    return fanout::testing::Run({FanoutBinary(), "build", "-B", "build"}, repo_.path(), env);
  }
  json Source() { return json::parse(ReadFile(repo_ / "build/manifest.json"))["source"]; }
  json TargetSource(const std::string& name) {
    return json::parse(ReadFile(repo_ / ("build/targets/" + name + "/result.json")))["source"];
  }
  GitRepo repo_;
};

TEST_F(DirtyBuildE2E, UncommittedInputsMarkTheBuildDirtyAndCiWarns) {
  const std::string head = repo_.Git({"rev-parse", "HEAD"}).substr(0, 40);

  // Clean: "dirty": false, no paths, and no warning even in CI.
  RunResult r = Build({"CI=true"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Source()["dirty"], false) << Source().dump();
  EXPECT_EQ(Source()["changed_paths"], json::array());
  EXPECT_EQ(Source()["commit"], head);
  EXPECT_EQ(TargetSource("a")["dirty"], false);
  EXPECT_EQ((r.out + r.err).find(kWarning), std::string::npos) << r.out << r.err;

  // A tracked input edited, an untracked file one target reads, one that no target reads, and
  // a tracked file no target reads edited: only the first two are listed.
  repo_.Write("a.txt", "a2\n");
  repo_.Write("extra/new.txt", "new\n");
  repo_.Write("untracked-notes.txt", "read by no target\n");
  repo_.Write("notes.txt", "edited, read by no target\n");
  r = Build({"CI=true"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json source = Source();
  EXPECT_EQ(source["dirty"], true) << source.dump();
  EXPECT_EQ(source["changed_paths"], json({"a.txt", "extra/new.txt"}));
  EXPECT_EQ(source["changed_paths_omitted"], 0);
  EXPECT_EQ(source["commit"], head) << "the commit is still HEAD's, and dirty says it is not all";
  // a ran from the dirty tree and says so; b was up to date from the clean build.
  EXPECT_EQ(TargetSource("a")["dirty"], true);
  EXPECT_EQ(TargetSource("b")["dirty"], false);
  EXPECT_EQ(ReadFile(repo_ / "build/artifacts/a/a.out"), "a2\nnew\none\n");
  // The CI warning: how many paths, and which.
  const std::string expected =
      "fanout: warning: this build is of uncommitted changes: 2 paths the targets read differ "
      "from commit " +
      head.substr(0, 12) + " (a.txt, extra/new.txt)";
  EXPECT_NE(r.err.find(expected), std::string::npos) << r.out << r.err;

  // Not in CI: no warning; the manifest still says it (a no-op: source.json is as it was).
  r = Build({});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ((r.out + r.err).find(kWarning), std::string::npos) << r.out << r.err;
  EXPECT_EQ(Source()["dirty"], true);
  r = Build({"CI=false"});
  EXPECT_EQ((r.out + r.err).find(kWarning), std::string::npos) << r.out << r.err;

  // GitHub Actions: a workflow command on stdout, which the runner turns into an annotation.
  r = Build({"GITHUB_ACTIONS=true"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("::warning::fanout: this build is of uncommitted changes: 2 paths"),
            std::string::npos)
      << r.out << r.err;

  // Committed: clean again, and CI has nothing to warn about.
  repo_.Commit("the changes");
  r = Build({"CI=true"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Source()["dirty"], false) << Source().dump();
  EXPECT_EQ(Source()["changed_paths"], json::array());
  EXPECT_EQ((r.out + r.err).find(kWarning), std::string::npos) << r.out << r.err;
}

TEST_F(DirtyBuildE2E, ADeletedInputAndABuildOfARevisionAreJudgedAsGitWould) {
  ASSERT_EQ(unlink((repo_ / "extra/one.txt").c_str()), 0);
  repo_.Write("extra/two.txt", "two\n");
  RunResult r = Build({"CI=true"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Source()["changed_paths"], json({"extra/one.txt", "extra/two.txt"}));
  // The reference: git's own view of the same change, limited to a's inputs.
  const std::string status =
      repo_.Git({"status", "--porcelain", "--untracked-files=all", "--", "extra"});
  EXPECT_NE(status.find(" D extra/one.txt"), std::string::npos) << status;
  EXPECT_NE(status.find("?? extra/two.txt"), std::string::npos) << status;

  // --source HEAD builds the commit: never dirty, whatever the work tree holds.
  r = fanout::testing::Run({FanoutBinary(), "build", "-B", "build-rev", "--source", "HEAD"},
                           repo_.path(), {"CI=true", "GITHUB_ACTIONS=", "GITHUB_EVENT_NAME="});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json rev = json::parse(ReadFile(repo_ / "build-rev/manifest.json"))["source"];
  EXPECT_EQ(rev["dirty"], false) << rev.dump();
  EXPECT_EQ((r.out + r.err).find(kWarning), std::string::npos) << r.out << r.err;
}

}  // namespace
}  // namespace fanout::testing
