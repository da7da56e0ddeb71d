// End-to-end: `image.secrets` (docs/images.md#secrets) with a real engine (the docker engine;
// the buildah engine refuses secrets, description/validate_image.cc). A `RUN
// --mount=type=secret` step sees the value; no file under the build directory holds it; the
// runner's allow-lists decide what may be read; changing a value does not rebuild.
#include <gtest/gtest.h>
#include <unistd.h>

#include "docker_daemon.h"
#include "test_util.h"

namespace fanout::testing {
namespace {

class ImageSecretsE2E : public ::testing::Test {
 protected:
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
  }

  void SetUp() override {
    // Root runs CI: there every tool must be present, and a missing one fails the test.
    if (geteuid() != 0) GTEST_SKIP() << "the image tests run as root, as CI does";
    const std::string missing = ImageToolsMissing();
    ASSERT_TRUE(missing.empty()) << missing;
    if (!daemon_) daemon_ = new DockerDaemon();
    ASSERT_TRUE(daemon_->ok()) << daemon_->error();
    // A machine whose daemon cannot run a build step (a chroot) lacks a feature: skipped.
    if (!daemon_->BuildProblem().empty()) GTEST_SKIP() << daemon_->BuildProblem();
    // Values no file of the test holds, so a match can only be a leak. The salt is in the RUN
    // step too: BuildKit's cache key has no secret in it, and a step cached by an earlier
    // test would show that test's values.
    const std::string salt = std::to_string(getpid()) + "-" + std::to_string(time(nullptr));
    key_value_ = "key-value-" + salt;
    token_value_ = "token-value-" + salt;
    WriteFile(secrets_ / "key", key_value_);
    repo_.Write("app/Dockerfile",
                "FROM scratch\n"
                "COPY busybox /bin/busybox\n"
                "# control-marker-" +
                    salt +
                    "\n"
                    "RUN --mount=type=secret,id=key --mount=type=secret,id=tok "
                    "[\"/bin/busybox\", \"sh\", \"-c\", \"/bin/busybox cat /run/secrets/key "
                    "/run/secrets/tok > /both; /bin/busybox sha256sum < /both > /seen; "
                    "/bin/busybox rm /both; : " +
                    salt + "\"]\n");
    ASSERT_TRUE(CopyBusybox(repo_ / "app/busybox"));
    const std::string socket =
        "    sockets: [" + daemon_->socket() + "]\n    pass_env: [DOCKER_HOST]\n";
    repo_.Write("fanout.yaml", "version: 1\ntargets:\n  app:\n    network: false\n" + socket +
                                   "    image:\n      context: app\n      secrets:\n"
                                   "        - {id: key, file: " +
                                   (secrets_ / "key") +
                                   "}\n"
                                   "        - {id: tok, env: FANOUT_TEST_TOKEN}\n");
    repo_.Commit("image with secrets");
  }

  RunResult Fanout(const std::vector<std::string>& args, std::vector<std::string> env = {},
                   const std::string& binary = FANOUT_BINARY) {
    std::vector<std::string> argv = {binary};
    argv.insert(argv.end(), args.begin(), args.end());
    env.push_back("PATH=/usr/bin:/bin:/usr/sbin:/sbin");
    env.push_back("DOCKER_HOST=" + daemon_->host());
    return fanout::testing::Run(argv, repo_.path(), env);
  }

  std::vector<std::string> Allowed(const std::string& token) {
    return {"FANOUT_SECRET_FILES_ALLOW=" + secrets_.path() + "/", "FANOUT_TEST_TOKEN=" + token};
  }

  /// A file of the built image's layers, read from its OCI layout.
  std::string FileInImage(const std::string& name) {
    return fanout::testing::Run(
               {"sh", "-c",
                "cd fanout-out/targets/app/out/image && for b in blobs/sha256/*; do "
                "tar -xOf \"$b\" " +
                    name + " 2>/dev/null && exit 0; tar -xOf \"$b\" ./" + name +
                    " 2>/dev/null && exit 0; done; exit 1"},
               repo_.path())
        .out;
  }

  /// The files under the build directory that hold `text`.
  std::string FilesHolding(const std::string& text) {
    return fanout::testing::Run({"grep", "-rlF", "--", text, "fanout-out"}, repo_.path()).out;
  }

  std::string Log() { return ReadFile(repo_ / "fanout-out/targets/app/log.txt"); }

  GitRepo repo_;
  TempDir secrets_;
  std::string key_value_, token_value_;
  static inline DockerDaemon* daemon_ = nullptr;
};

TEST_F(ImageSecretsE2E, ARunStepSeesTheValuesWhichNoFileOfTheBuildDirectoryHolds) {
  RunResult r = Fanout({"build"}, Allowed(token_value_));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << Log();
  // The step read both values: the image holds their digest (never the values).
  const std::string expected =
      fanout::testing::Run({"sh", "-c", "printf %s \"$0\" | sha256sum", key_value_ + token_value_})
          .out;
  EXPECT_EQ(FileInImage("seen"), expected.substr(0, 64) + "  -\n");
  // Positive control: the search reaches the build directory's files, the workspace and the
  // layer store among them (the Dockerfile's marker is there).
  const std::string marker =
      "control-marker-" + key_value_.substr(std::string("key-value-").size());
  EXPECT_NE(FilesHolding(marker), "");
  EXPECT_EQ(FilesHolding(key_value_), "");
  EXPECT_EQ(FilesHolding(token_value_), "");
  // The log shows where the engine reads each secret, not what it holds.
  EXPECT_NE(Log().find("id=key,src=/proc/$$/fd/"), std::string::npos) << Log();
  // plan.json names the sources only.
  const std::string plan = ReadFile(repo_ / "fanout-out/.fanout/plan.json");
  EXPECT_NE(plan.find("FANOUT_TEST_TOKEN"), std::string::npos);

  // A new value is not a new image, as with BuildKit: nothing runs.
  RunResult again = Fanout({"build"}, Allowed("another-" + token_value_));
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("up to date"), std::string::npos) << again.out;
  EXPECT_EQ(again.out.find("start  app"), std::string::npos) << again.out;
}

TEST_F(ImageSecretsE2E, TheProcessTierHandsThemOverToo) {
  // No namespaces: the build runs as the build uid under Landlock, which must still let the
  // engine open the shell's descriptor.
  std::vector<std::string> env = Allowed(token_value_);
  env.push_back("FANOUT_SANDBOX=process");
  RunResult r = Fanout({"build"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << Log();
  EXPECT_NE(Log().find("in the process sandbox tier"), std::string::npos) << Log();
  const std::string expected =
      fanout::testing::Run({"sh", "-c", "printf %s \"$0\" | sha256sum", key_value_ + token_value_})
          .out;
  EXPECT_EQ(FileInImage("seen"), expected.substr(0, 64) + "  -\n");
  EXPECT_EQ(FilesHolding(key_value_), "");
}

TEST_F(ImageSecretsE2E, TheRunnerDecidesWhichFilesAndVariablesABuildMayRead) {
  // No FANOUT_SECRET_FILES_ALLOW: no file at all.
  RunResult r = Fanout({"build"}, {"FANOUT_TEST_TOKEN=" + token_value_});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE((r.out + r.err + Log())
                .find("secret 'key' of 'app' reads the file '" + (secrets_ / "key") +
                      "', which FANOUT_SECRET_FILES_ALLOW does not allow"),
            std::string::npos)
      << r.out << r.err << Log();
  // The variable is refused by the runner's pass_env allow-list.
  std::vector<std::string> env = Allowed(token_value_);
  env.push_back("FANOUT_PASS_ENV_ALLOW=DOCKER_HOST");
  r = Fanout({"build"}, env);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE((r.out + r.err + Log())
                .find("secret 'tok' of 'app' reads the variable 'FANOUT_TEST_TOKEN', which "
                      "FANOUT_PASS_ENV_ALLOW does not allow"),
            std::string::npos)
      << r.out << r.err << Log();
  // Positive control: allowed, the same build succeeds.
  env.back() = "FANOUT_PASS_ENV_ALLOW=DOCKER_HOST,FANOUT_TEST_*";
  r = Fanout({"build"}, env);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << Log();
}

}  // namespace
}  // namespace fanout::testing
