// End-to-end: when `fanout build` runs the post-submit step (never on a pull request unless
// asked with --post-submit; never with --no-post-submit), that a skipped step does not report
// an earlier failure as this build's, and the runner's FANOUT_PASS_ENV_ALLOW allow-list. Real
// git repositories, the real fanout binary and the real ninja.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace fanout::testing {
namespace {

using nlohmann::json;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

/// The variables fanout reads to tell a pull-request build, all set to values that mean "not a
/// pull request", so the tests do not depend on the CI job that runs them. A test appends its
/// own setting after these (putenv: the last one wins).
std::vector<std::string> NotAPullRequest() {
  return {"GITHUB_EVENT_NAME=",   "CI_MERGE_REQUEST_IID=", "BUILDKITE_PULL_REQUEST=false",
          "BUILD_REASON=",        "BITBUCKET_PR_ID=",      "CHANGE_ID=",
          "CIRCLE_PULL_REQUEST=", "TRAVIS_PULL_REQUEST=",  "CI_PIPELINE_EVENT=",
          "DRONE_BUILD_EVENT="};
}

class PostSubmitGateE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.Write(".gitignore", "fanout-out/\n");
    repo_.Write("src/main.txt", "source\n");
    // The post-submit step records that it ran, and fails while outside_/fail exists.
    repo_.Write("fanout.yaml",
                "version: 1\n"
                "targets:\n"
                "  app:\n"
                "    command: 'echo app > \"$FANOUT_OUT/app.txt\"'\n"
                "    inputs: [src/**]\n"
                "    artifacts: [app.txt]\n"
                "post_submit:\n"
                "  command: 'echo ran >> " +
                    (outside_ / "runs.txt") + "; echo post-submit-ran; test ! -e " +
                    (outside_ / "fail") + " || { echo publish-denied-marker; exit 5; }'\n");
    repo_.Commit("initial");
  }

  RunResult Fanout(const std::vector<std::string>& args,
                   const std::vector<std::string>& extra_env = {}) {
    std::vector<std::string> argv = {FanoutBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<std::string> env = NotAPullRequest();
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    return ::fanout::testing::Run(argv, repo_.path(), env);
  }

  /// How many times the post-submit command has run.
  int Runs() {
    const std::string text = ReadFile(outside_ / "runs.txt");
    return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  }

  std::string Build(const std::string& rel) { return repo_ / ("fanout-out/" + rel); }

  GitRepo repo_;
  TempDir outside_;
};

TEST_F(PostSubmitGateE2E, NoPostSubmit_IgnoresAnEarlierPostSubmitFailure) {
  WriteFile(outside_ / "fail", "");
  RunResult failed = Fanout({"build"});
  // The control: the step ran, failed, and the build reports it.
  ASSERT_EQ(failed.exit_code, 1) << failed.out << failed.err;
  ASSERT_EQ(Runs(), 1);
  ASSERT_TRUE(Contains(failed.out, "1 target: 1 succeeded; post-submit failed")) << failed.out;

  // Unchanged tree, the same manifest: the earlier failure is not this build's.
  RunResult skipped = Fanout({"build", "--no-post-submit"});
  EXPECT_EQ(skipped.exit_code, 0) << skipped.out << skipped.err;
  EXPECT_EQ(Runs(), 1) << "--no-post-submit ran the step";
  EXPECT_FALSE(Contains(skipped.out, "post-submit failed")) << skipped.out;
  EXPECT_TRUE(Contains(skipped.out, "1 target: 1 succeeded; post-submit not run")) << skipped.out;
  EXPECT_TRUE(Contains(skipped.out, "not running the post-submit step: --no-post-submit"))
      << skipped.out;
  EXPECT_FALSE(Contains(ReadFile(Build("summary.md")), "publish-denied-marker"));
  EXPECT_FALSE(Contains(ReadFile(Build("junit.xml")), "<failure")) << ReadFile(Build("junit.xml"));
  // `fanout report` reads the same build directory afterwards and agrees.
  RunResult report = Fanout({"report"});
  EXPECT_EQ(report.exit_code, 0) << report.out << report.err;
  EXPECT_FALSE(Contains(report.out, "post-submit failed")) << report.out;

  // A skip does not count as a run: the next build that may run the step runs it again.
  std::remove((outside_ / "fail").c_str());
  RunResult again = Fanout({"build"});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(Runs(), 2);
  EXPECT_TRUE(Contains(again.out, "1 target: 1 succeeded; post-submit succeeded")) << again.out;
}

TEST_F(PostSubmitGateE2E, NoPostSubmit_KeepsAnEarlierSuccessForTheSameManifest) {
  ASSERT_EQ(Fanout({"build"}).exit_code, 0);
  ASSERT_EQ(Runs(), 1);
  RunResult skipped = Fanout({"build", "--no-post-submit"});
  EXPECT_EQ(skipped.exit_code, 0) << skipped.out << skipped.err;
  // The step already ran for this manifest; a later build must not publish it a second time.
  RunResult again = Fanout({"build"});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(Runs(), 1) << again.out;
  EXPECT_TRUE(Contains(again.out, "post-submit succeeded")) << again.out;
}

/// One environment that marks a pull-request build, as a CI system sets it.
struct PullRequestCase {
  const char* name;
  const char* env;
};

class PullRequestE2E : public PostSubmitGateE2E,
                       public ::testing::WithParamInterface<PullRequestCase> {};

TEST_P(PullRequestE2E, SkipsThePostSubmitStepWithANotice) {
  // The control: the same build outside a pull request runs the step.
  TempDir other;
  RunResult pushed = Fanout({"build", "-B", other / "b"});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.out << pushed.err;
  ASSERT_EQ(Runs(), 1);

  RunResult r = Fanout({"build"}, {GetParam().env});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Runs(), 1) << "the post-submit step ran on a pull request: " << r.out;
  EXPECT_TRUE(Contains(r.out, std::string("fanout: not running the post-submit step: this is a "
                                          "pull request (") +
                                  GetParam().env + "); pass --post-submit to run it anyway\n"))
      << r.out;
  EXPECT_TRUE(Contains(r.out, "1 target: 1 succeeded; post-submit not run")) << r.out;
}

TEST_P(PullRequestE2E, PostSubmitFlagRunsItAnyway) {
  RunResult r = Fanout({"build", "--post-submit"}, {GetParam().env});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Runs(), 1) << r.out;
  EXPECT_TRUE(Contains(r.out, "post-submit-ran")) << r.out;
  EXPECT_TRUE(Contains(r.out, "post-submit succeeded")) << r.out;
}

INSTANTIATE_TEST_SUITE_P(
    CiSystems, PullRequestE2E,
    ::testing::Values(PullRequestCase{"GitHubPullRequest", "GITHUB_EVENT_NAME=pull_request"},
                      PullRequestCase{"GitHubPullRequestTarget",
                                      "GITHUB_EVENT_NAME=pull_request_target"},
                      PullRequestCase{"GitLabMergeRequest", "CI_MERGE_REQUEST_IID=17"},
                      PullRequestCase{"Buildkite", "BUILDKITE_PULL_REQUEST=42"}),
    [](const ::testing::TestParamInfo<PullRequestCase>& info) { return info.param.name; });

TEST_F(PostSubmitGateE2E, NotAPullRequest_RunsTheStep) {
  for (const char* env : {"GITHUB_EVENT_NAME=push", "BUILDKITE_PULL_REQUEST=false"}) {
    TempDir dir;
    RunResult r = Fanout({"build", "-B", dir / "b"}, {env});
    EXPECT_EQ(r.exit_code, 0) << env << ": " << r.out << r.err;
    EXPECT_FALSE(Contains(r.out, "not running the post-submit step")) << env << ": " << r.out;
  }
  EXPECT_EQ(Runs(), 2);
}

TEST_F(PostSubmitGateE2E, PostSubmitAndNoPostSubmitIsAUsageError) {
  RunResult r = Fanout({"build", "--post-submit", "--no-post-submit"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(Contains(r.err, "--post-submit")) << r.err;
  EXPECT_FALSE(Exists(Build("build.ninja"))) << "a usage error builds nothing";
  EXPECT_EQ(Runs(), 0);
}

// ---- FANOUT_PASS_ENV_ALLOW ------------------------------------------------------------------

class PassEnvAllowE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.Write(".gitignore", "build*/\n");
    repo_.Write("src/main.txt", "source\n");
    repo_.Write("fanout.yaml",
                "version: 1\n"
                "targets:\n"
                "  app:\n"
                "    command: 'env | sort > \"$FANOUT_OUT/env.txt\"'\n"
                "    inputs: [src/**]\n"
                "    artifacts: [env.txt]\n"
                "    pass_env: [GOFLAGS, NPM_TOKEN, DEPLOY_KEY, FANOUT_PASS_ENV_ALLOW]\n");
    repo_.Commit("initial");
  }

  /// Builds into its own build directory (the variables are no input: an existing result
  /// would be up to date) and returns the command's environment.
  std::string BuildEnv(const std::string& build, const std::vector<std::string>& argv_prefix,
                       const std::vector<std::string>& env) {
    std::vector<std::string> argv = argv_prefix;
    argv.insert(argv.end(), {FanoutBinary(), "build", "-B", build});
    std::vector<std::string> all = {"GOFLAGS=-mod=vendor", "NPM_TOKEN=npm-secret-1",
                                    "DEPLOY_KEY=deploy-secret-2"};
    all.insert(all.end(), env.begin(), env.end());
    RunResult r = ::fanout::testing::Run(argv, repo_.path(), all);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return ReadFile(repo_ / (build + "/targets/app/out/env.txt"));
  }

  GitRepo repo_;
};

TEST_F(PassEnvAllowE2E, OnlyAllowedNamesReachTheCommand) {
  // The control: without the allow-list, every pass_env name gets through.
  std::string open = BuildEnv("build-open", {"env", "-u", "FANOUT_PASS_ENV_ALLOW"}, {});
  EXPECT_TRUE(Contains(open, "DEPLOY_KEY=deploy-secret-2\n")) << open;
  EXPECT_TRUE(Contains(open, "NPM_TOKEN=npm-secret-1\n")) << open;
  EXPECT_TRUE(Contains(open, "GOFLAGS=-mod=vendor\n")) << open;

  std::string limited = BuildEnv("build-limited", {}, {"FANOUT_PASS_ENV_ALLOW=GOFLAGS,NPM_*"});
  EXPECT_TRUE(Contains(limited, "GOFLAGS=-mod=vendor\n")) << limited;
  EXPECT_TRUE(Contains(limited, "NPM_TOKEN=npm-secret-1\n")) << limited;
  EXPECT_FALSE(Contains(limited, "deploy-secret-2")) << limited;
  EXPECT_FALSE(Contains(limited, "FANOUT_PASS_ENV_ALLOW")) << limited;
  const std::string log = ReadFile(repo_ / "build-limited/targets/app/log.txt");
  EXPECT_TRUE(Contains(log,
                       "fanout: warning: pass_env 'DEPLOY_KEY' of target 'app' is not allowed by "
                       "FANOUT_PASS_ENV_ALLOW; not passed\n"))
      << log;

  // Set but empty: nothing of pass_env gets through.
  std::string closed = BuildEnv("build-closed", {}, {"FANOUT_PASS_ENV_ALLOW="});
  EXPECT_FALSE(Contains(closed, "GOFLAGS")) << closed;
  EXPECT_FALSE(Contains(closed, "npm-secret-1")) << closed;
  EXPECT_FALSE(Contains(closed, "deploy-secret-2")) << closed;
}

}  // namespace
}  // namespace fanout::testing
