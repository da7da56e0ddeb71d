// End-to-end: BuildKit's cache through `cache_from` and `cache_to` (docs/images.md#cache), as
// an ephemeral CI runner uses it: an image that carries its cache is in a registry (the tests'
// own, on loopback, anonymous), and a daemon that has nothing left reuses its steps from there;
// a cache export the engine cannot make stops the build.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "docker_daemon.h"
#include "local_registry.h"
#include "test_util.h"

namespace fanout::testing {
namespace {

class ImageCacheE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    missing_ = ImageToolsMissing();
    if (missing_.empty()) missing_ = RegistryMissing();
    if (missing_.empty()) {
      daemon_ = new DockerDaemon();
      registry_ = new LocalRegistry(LocalRegistry::Access::kAnonymous);
    }
  }
  static void TearDownTestSuite() {
    delete daemon_;
    delete registry_;
    daemon_ = nullptr;
    registry_ = nullptr;
  }

  void SetUp() override {
    // Root runs CI: there every tool must be present, and a missing one fails the test.
    if (geteuid() != 0) GTEST_SKIP() << "the image tests run as root, as CI does";
    ASSERT_TRUE(missing_.empty()) << missing_;
    ASSERT_TRUE(daemon_->ok()) << daemon_->error();
    // A machine whose daemon cannot run a build step (a chroot) lacks a feature: skipped.
    if (!daemon_->BuildProblem().empty()) GTEST_SKIP() << daemon_->BuildProblem();
    ASSERT_TRUE(registry_->ok()) << registry_->error();
    repo_.Write("app/Dockerfile",
                "FROM scratch\nCOPY busybox /bin/busybox\n"
                "RUN [\"/bin/busybox\", \"sh\", \"-c\", \"echo built > /stamp\"]\n");
    ASSERT_TRUE(CopyBusybox(repo_ / "app/busybox"));
    WriteDescription("");
  }

  /// `app` is the image, with `app_extra` more of its `image`.
  void WriteDescription(const std::string& app_extra) {
    repo_.Write("fanout.yaml", "version: 1\ntargets:\n  app:\n    network: false\n    sockets: [" +
                                   daemon_->socket() +
                                   "]\n    pass_env: [DOCKER_HOST]\n"
                                   "    image:\n      context: app\n" +
                                   app_extra);
    repo_.Commit("images");
  }

  std::string Reference() const { return registry_->host() + "/app:main"; }

  RunResult Fanout(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {FanoutBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return fanout::testing::Run(
        argv, repo_.path(),
        {"DOCKER_HOST=" + daemon_->host(), "PATH=/usr/bin:/bin:/usr/sbin:/sbin"});
  }

  RunResult Docker(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"/usr/bin/docker", "--host", daemon_->host()};
    argv.insert(argv.end(), args.begin(), args.end());
    return fanout::testing::Run(argv, repo_.path(), {"DOCKER_BUILDKIT=1"});
  }

  void PruneDaemon() {
    RunResult prune = fanout::testing::Run(
        {"/usr/bin/docker", "--host", daemon_->host(), "system", "prune", "--all", "--force"});
    ASSERT_EQ(prune.exit_code, 0) << prune.err;
  }

  std::string Log() { return ReadFile(repo_ / "fanout-out/targets/app/log.txt"); }

  GitRepo repo_;
  static inline std::string missing_;
  static inline DockerDaemon* daemon_ = nullptr;
  static inline LocalRegistry* registry_ = nullptr;
};

TEST_F(ImageCacheE2E, AnEmptyDaemonReusesTheStepsOfTheImageCacheFromNames) {
  // The previous CI run left an image with its inline cache in the registry.
  RunResult built = Docker({"build", "--network", "none", "--build-arg", "BUILDKIT_INLINE_CACHE=1",
                            "--tag", Reference(), "app"});
  ASSERT_EQ(built.exit_code, 0) << built.err;
  RunResult pushed = Docker({"push", Reference()});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.out << pushed.err;

  // Positive control: a fresh runner (empty daemon, new build directory) without cache_from
  // runs every step.
  PruneDaemon();
  RunResult r = Fanout({"build"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << Log();
  EXPECT_EQ(Log().find("CACHED"), std::string::npos) << Log();

  // With cache_from, BuildKit takes the steps from the registry.
  PruneDaemon();
  fanout::testing::Run({"rm", "-rf", repo_ / "fanout-out"});
  WriteDescription("      cache_from: [\"" + Reference() + "\"]\n");
  r = Fanout({"build"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << Log();
  EXPECT_NE(Log().find("CACHED"), std::string::npos) << Log();
  EXPECT_NE(registry_->Log().find("/v2/app/manifests/main"), std::string::npos);
}

TEST_F(ImageCacheE2E, AnExportTheBuiltInBuilderCannotMakeFailsTheBuildSayingWhatToInstall) {
  WriteDescription("      cache_to: [\"type=registry,ref=" + registry_->host() + "/app:cache\"]\n");
  RunResult r = Fanout({"build"});
  // Without buildx (Debian 12's docker.io), the build stops rather than skip the export.
  if (fanout::testing::Run({"/usr/bin/docker", "buildx", "version"}).exit_code == 0) {
    GTEST_SKIP() << "this docker CLI has buildx, which takes the export";
  }
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(Log().find("needs 'docker buildx', which this docker CLI does not have"),
            std::string::npos)
      << Log();
}

}  // namespace
}  // namespace fanout::testing
