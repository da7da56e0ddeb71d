// End-to-end: `fanout build --base REV` builds only what the change affects (plus what those
// targets depend on) and reports the rest as skipped.
#include <algorithm>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace fanout::testing {
namespace {

using nlohmann::json;

class BuildBaseE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.Write("fanout.yaml", R"(version: 1
targets:
  a:
    command: cp a/x.txt "$FANOUT_OUT/a.txt"
    inputs: [a/**]
    artifacts: [a.txt]
  b:
    command: cat "$FANOUT_DEPS/a/a.txt" b/x.txt > "$FANOUT_OUT/b.txt"
    inputs: [b/**]
    deps: [a]
    artifacts: [b.txt]
  c:
    command: cp c/x.txt "$FANOUT_OUT/c.txt"
    inputs: [c/**]
    artifacts: [c.txt]
)");
    for (const char* d : {"a", "b", "c"}) repo_.Write(std::string(d) + "/x.txt", d);
    repo_.Commit("base");
  }

  /// Builds with --base HEAD~1 and returns the manifest.
  json BuildSinceParent() {
    RunResult r = fanout::testing::Run({FanoutBinary(), "build", "--base", "HEAD~1", "-j", "4"},
                                       repo_.path());
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return json::parse(ReadFile(repo_ / "fanout-out/manifest.json"));
  }

  static std::vector<std::string> Built(const json& manifest) {
    std::vector<std::string> out;
    for (const json& t : manifest["targets"]) {
      if (t["status"] == "succeeded") out.push_back(t["name"]);
    }
    return out;
  }

  GitRepo repo_;
};

TEST_F(BuildBaseE2E, Base_BuildsOnlyAffectedAndSkipsTheRest) {
  repo_.Write("c/x.txt", "c2");
  repo_.Commit("change c");
  json m = BuildSinceParent();
  EXPECT_EQ(Built(m), (std::vector<std::string>{"c"}));
  EXPECT_EQ(m["skipped"], json({"a", "b"}));
  EXPECT_FALSE(Exists(repo_ / "fanout-out/targets/a/result.json"));
  std::string summary = ReadFile(repo_ / "fanout-out/summary.md");
  EXPECT_NE(summary.find("skipped"), std::string::npos) << summary;
}

TEST_F(BuildBaseE2E, Base_PlainNinjaBuildsATargetAnEditNewlyAffects) {
  repo_.Write("c/x.txt", "c2");
  repo_.Commit("change c");
  json m = BuildSinceParent();
  EXPECT_EQ(Built(m), (std::vector<std::string>{"c"}));
  // An unstaged edit now affects a (and b, which depends on it): a plain `ninja` must see it.
  repo_.Write("a/x.txt", "a2");
  RunResult r = fanout::testing::Run({"ninja", "-C", repo_ / "fanout-out"}, repo_.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  m = json::parse(ReadFile(repo_ / "fanout-out/manifest.json"));
  EXPECT_EQ(Built(m), (std::vector<std::string>{"a", "b", "c"})) << m.dump(2);
  EXPECT_EQ(ReadFile(repo_ / "fanout-out/artifacts/b/b.txt"), "a2b");
  // And it settles at once: nothing left to do.
  r = fanout::testing::Run({"ninja", "-C", repo_ / "fanout-out"}, repo_.path());
  EXPECT_NE(r.out.find("no work to do"), std::string::npos) << r.out;
}

TEST_F(BuildBaseE2E, Base_PlainNinjaReselectsWhenTheBaseRefMoves) {
  repo_.Git({"branch", "base"});
  repo_.Write("c/x.txt", "c2");
  repo_.Commit("change c");
  RunResult r =
      fanout::testing::Run({FanoutBinary(), "build", "--base", "base", "-j", "4"}, repo_.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // As a fetch moves origin/main: the base catches up with HEAD, so nothing is affected.
  repo_.Git({"branch", "-f", "base", "HEAD"});
  r = fanout::testing::Run({"ninja", "-C", repo_ / "fanout-out"}, repo_.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Regenerating build.ninja"), std::string::npos) << r.out;
  const json m = json::parse(ReadFile(repo_ / "fanout-out/manifest.json"));
  EXPECT_EQ(m["skipped"], json({"a", "b", "c"})) << m.dump(2);
}

TEST_F(BuildBaseE2E, Base_DependentsOfAChangeAreBuilt) {
  repo_.Write("a/x.txt", "a2");
  repo_.Commit("change a");
  json m = BuildSinceParent();
  EXPECT_EQ(Built(m), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(m["skipped"], json({"c"}));
  EXPECT_EQ(ReadFile(repo_ / "fanout-out/artifacts/b/b.txt"), "a2b");
}

TEST_F(BuildBaseE2E, Base_DependenciesOfAnAffectedTargetAreBuiltToo) {
  repo_.Write("b/x.txt", "b2");
  repo_.Commit("change b");
  json m = BuildSinceParent();
  EXPECT_EQ(Built(m), (std::vector<std::string>{"a", "b"})) << "b needs a's artifact";
  EXPECT_EQ(m["skipped"], json({"c"}));
}

TEST_F(BuildBaseE2E, Base_NothingAffectedBuildsNothing) {
  repo_.Write("README.md", "docs only");
  repo_.Commit("docs");
  json m = BuildSinceParent();
  EXPECT_TRUE(Built(m).empty());
  EXPECT_EQ(m["skipped"], json({"a", "b", "c"}));
}

TEST_F(BuildBaseE2E, Base_UnknownRevisionIsAGitError) {
  RunResult r =
      fanout::testing::Run({FanoutBinary(), "build", "--base", "no-such-branch"}, repo_.path());
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("no-such-branch"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace fanout::testing
