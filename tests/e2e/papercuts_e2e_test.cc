// End-to-end: the small messages a CI engineer meets first (issue 15's papercuts) name the
// likely fix: "did you mean" for a misspelt target or revision, the right `git fetch`, a hint
// to quote a value that starts with '!', and counts in the singular when there is one.
#include <gtest/gtest.h>

#include "test_util.h"

namespace fanout::testing {
namespace {

class PapercutsE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.Write("fanout.yaml",
                "version: 1\npools:\n  images: 2\ntargets:\n"
                "  kvcache-watcher:\n    command: cat a.txt\n    inputs: [a.txt]\n");
    repo_.Write("a.txt", "a\n");
    repo_.Commit();
    repo_.Git({"branch", "-M", "main"});
  }
  RunResult Fanout(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {FanoutBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return fanout::testing::Run(argv, repo_.path());
  }
  GitRepo repo_;
};

TEST_F(PapercutsE2E, AMisspeltTargetGetsADidYouMean) {
  RunResult r = Fanout({"build", "kvcache-wacher"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown target 'kvcache-wacher'; did you mean 'kvcache-watcher'?"),
            std::string::npos)
      << r.err;
  // Nothing close: no guess.
  r = Fanout({"build", "zzz"});
  EXPECT_EQ(r.err.find("did you mean"), std::string::npos) << r.err;
}

TEST_F(PapercutsE2E, AMisspeltRevisionGetsADidYouMeanAndTheRightFetch) {
  RunResult r = Fanout({"affected", "--base", "mian"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("unknown revision 'mian': did you mean 'main'?"), std::string::npos)
      << r.err;
  r = Fanout({"affected", "--base", "origin/mian"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("'git fetch origin mian'"), std::string::npos) << r.err;
}

TEST_F(PapercutsE2E, AValueStartingWithABangIsToBeQuoted) {
  repo_.Write("fanout.yaml",
              "version: 1\ntargets:\n  t:\n    command: !echo hi\n"
              "    inputs: [a.txt]\n");
  RunResult r = Fanout({"check"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("fanout.yaml:4:14: error: YAML tag '!echo' before 'hi'"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("must be quoted: '!echo hi'"), std::string::npos) << r.err;

  repo_.Write("fanout.yaml",
              "version: 1\ntargets:\n  t:\n    command: cat a.txt\n"
              "    inputs: [a.txt, !b.txt]\n");
  r = Fanout({"check"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("help: a value that starts with '!' must be quoted"), std::string::npos)
      << r.err;

  // Quoted, both are fine.
  repo_.Write("fanout.yaml",
              "version: 1\ntargets:\n  t:\n    command: '!echo hi'\n"
              "    inputs: [a.txt, '!b.txt']\n");
  r = Fanout({"check"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ok: 1 target, 0 pools"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace fanout::testing
