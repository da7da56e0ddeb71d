// End-to-end: a bare repository (as CI caches often are) works for `list`, `check` and
// `gen --source REV`, with the description read from the commit.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace fanout::testing {
namespace {

class BareRepoE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.Write("fanout.yaml",
                "version: 1\ntargets:\n  app:\n    command: cp src/a.txt \"$FANOUT_OUT/a.txt\"\n"
                "    inputs: [src/**]\n    artifacts: [a.txt]\n");
    repo_.Write("src/a.txt", "from the commit\n");
    repo_.Commit("initial");
    RunResult clone = fanout::testing::Run({"git", "clone", "-q", "--bare", repo_.path(), bare()});
    ASSERT_EQ(clone.exit_code, 0) << clone.err;
  }
  std::string bare() const { return out_ / "repo.git"; }
  RunResult Fanout(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {FanoutBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return fanout::testing::Run(argv, out_.path());
  }

  GitRepo repo_;
  TempDir out_;
};

TEST_F(BareRepoE2E, List_ReadsTheCommittedDescription) {
  RunResult r = Fanout({"list", "--json", "--repo", bare(), "-f", "fanout.yaml"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["targets"].size(), 1u);
  EXPECT_EQ(j["targets"][0]["name"], "app");
}

TEST_F(BareRepoE2E, Gen_SourceRevBuildsFromTheBareRepository) {
  RunResult gen = Fanout(
      {"gen", "--repo", bare(), "-f", "fanout.yaml", "--source", "HEAD", "-B", out_ / "build"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  RunResult ninja = fanout::testing::Run({"ninja", "-C", out_ / "build"});
  ASSERT_EQ(ninja.exit_code, 0) << ninja.out << ninja.err;
  EXPECT_EQ(ReadFile(out_ / "build/artifacts/app/a.txt"), "from the commit\n");
  RunResult again = fanout::testing::Run({"ninja", "-C", out_ / "build"});
  EXPECT_NE(again.out.find("no work to do"), std::string::npos) << again.out;
}

TEST_F(BareRepoE2E, Gen_WorktreeSourceInABareRepositoryIsAnError) {
  RunResult gen = Fanout({"gen", "--repo", bare(), "-f", "fanout.yaml", "-B", out_ / "build"});
  EXPECT_EQ(gen.exit_code, 2);
  EXPECT_NE(gen.err.find("--source REV"), std::string::npos) << gen.err;
}

}  // namespace
}  // namespace fanout::testing
