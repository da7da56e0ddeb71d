// End-to-end: what `fanout build` prints while targets run, read through a pipe as a CI log
// is: a start line before the target ends, a heartbeat naming it (and its last log line) while
// it runs, an end line with its status and [k/n], and in GitHub Actions its log in a group.
#include <gtest/gtest.h>

#include "test_util.h"

namespace fanout::testing {
namespace {

class ProgressE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.Write("fanout.yaml",
                "version: 1\npools:\n  slow: 1\ntargets:\n"
                "  long:\n    command: echo halfway there; sleep 4; echo finished\n"
                "    inputs: [x]\n    pool: slow\n"
                "  broken:\n    command: echo about to fail; exit 3\n    inputs: [x]\n");
    repo_.Write("x", "1\n");
    repo_.Commit();
  }
  RunResult Build(std::vector<std::string> env) {
    env.push_back("FANOUT_HEARTBEAT=1");
    return fanout::testing::Run({FanoutBinary(), "build"}, repo_.path(), env);
  }
  static std::size_t At(const std::string& out, const std::string& what) {
    const std::size_t at = out.find(what);
    EXPECT_NE(at, std::string::npos) << "no '" << what << "' in:\n" << out;
    return at;
  }
  GitRepo repo_;
};

TEST_F(ProgressE2E, ALongTargetStartsBeatsAndEndsInTheLog) {
  RunResult r = Build({"GITHUB_ACTIONS="});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const std::size_t start = At(r.out, "fanout: start  long (pool slow)\n");
  const std::size_t beat = At(r.out, "fanout: running 1 target: long ");
  const std::size_t end = At(r.out, "fanout: done   long in ");
  EXPECT_LT(start, beat);
  EXPECT_LT(beat, end);
  // The heartbeat quotes what the target said last.
  EXPECT_NE(r.out.find("(pool slow) \"halfway there\"", beat), std::string::npos) << r.out;
  At(r.out, "fanout: FAILED broken in ");
  At(r.out, ": exited with status 3 [");
  // Ninja's own "[k/n] BUILD x" lines, printed as a target ends, are gone.
  EXPECT_EQ(r.out.find("] BUILD "), std::string::npos) << r.out;
  // Outside GitHub Actions, no groups.
  EXPECT_EQ(r.out.find("::group::"), std::string::npos) << r.out;
}

TEST_F(ProgressE2E, GitHubActionsGetsEachLogInAGroup) {
  RunResult r = Build({"GITHUB_ACTIONS=true"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  // Each log inside its group; fanout's own lines (the process tier's fallback warning, where
  // namespaces are missing) may come first.
  for (const auto& [group, body] :
       {std::pair<std::string, std::string>{"::group::log of broken (failed)\n", "about to fail\n"},
        {"::group::log of long (succeeded)\n", "halfway there\nfinished\n::endgroup::\n"}}) {
    const std::size_t open = At(r.out, group);
    const std::size_t text = r.out.find(body, open);
    EXPECT_NE(text, std::string::npos) << body << " after " << group << " in:\n" << r.out;
    EXPECT_LE(text, r.out.find("::endgroup::", open)) << r.out;
  }
}

}  // namespace
}  // namespace fanout::testing
