// End-to-end: image targets built by a real Docker daemon (the tests' own, docker_daemon.h),
// chained through OCI layouts, from `FROM scratch` images of a static busybox; no registry or
// network is reached.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <memory>

#include "docker_daemon.h"
#include "image/oci_layout.h"
#include "test_util.h"

namespace fanout::testing {
namespace {

using nlohmann::json;

class ImageE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    missing_ = ImageToolsMissing();
    if (missing_.empty()) daemon_ = new DockerDaemon();
  }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
  }

  void SetUp() override {
    // Root runs CI: there every tool must be present, and a missing one fails the test.
    if (geteuid() != 0) GTEST_SKIP() << missing_;
    ASSERT_TRUE(missing_.empty()) << missing_;
    ASSERT_TRUE(daemon_->ok()) << daemon_->error();
    // A machine whose daemon cannot run a build step (a chroot) lacks a feature: skipped.
    if (!daemon_->BuildProblem().empty()) GTEST_SKIP() << daemon_->BuildProblem();
    repo_.Write("base/Dockerfile", "FROM scratch\nCOPY busybox /bin/busybox\n");
    repo_.Write("app/Dockerfile",
                "ARG BASE\nFROM $BASE\nCOPY hello.txt /hello.txt\n"
                "CMD [\"/bin/busybox\", \"cat\", \"/hello.txt\"]\n");
    repo_.Write("app/hello.txt", "hello 1\n");
    ASSERT_TRUE(CopyBusybox(repo_ / "base/busybox"));
    WriteDescription("");
    repo_.Commit("images");
  }

  void WriteDescription(const std::string& app_extra) {
    const std::string sock = daemon_->socket();
    repo_.Write("fanout.yaml",
                "version: 1\n"
                "pools:\n  images: 2\n"
                "targets:\n"
                "  base:\n"
                "    pool: images\n    network: false\n"
                "    sockets: [" +
                    sock +
                    "]\n    pass_env: [DOCKER_HOST]\n"
                    "    image:\n      context: base\n"
                    "  app:\n"
                    "    pool: images\n    network: false\n    deps: [base]\n"
                    "    sockets: [" +
                    sock + "]\n    pass_env: [DOCKER_HOST]\n" + app_extra +
                    "    image:\n      context: app\n      args: {BASE: \"{image:base}\"}\n"
                    "      tags: [\"registry.example/app:{short}\", \"app:{target}-{digest}\"]\n");
  }

  RunResult Fanout(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {FanoutBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    // Debian's docker CLI (20.10, BuildKit built in) ahead of any other on this machine.
    return fanout::testing::Run(
        argv, repo_.path(),
        {"DOCKER_HOST=" + daemon_->host(), "PATH=/usr/bin:/bin:/usr/sbin:/sbin"});
  }

  json Manifest() { return json::parse(ReadFile(repo_ / "fanout-out/manifest.json")); }
  static const json& Entry(const json& manifest, const std::string& name) {
    for (const json& t : manifest["targets"]) {
      if (t["name"] == name) return t;
    }
    static const json none;
    return none;
  }

  GitRepo repo_;
  static inline std::string missing_;
  static inline DockerDaemon* daemon_ = nullptr;
};

TEST_F(ImageE2E, AChainOfImagesIsBuiltIntoLayoutsWithTheirDigestsInTheManifest) {
  RunResult r = Fanout({"build"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << ReadFile(repo_ / "fanout-out/targets/app/log.txt");
  const json manifest = Manifest();
  const json& base = Entry(manifest, "base");
  const json& app = Entry(manifest, "app");
  ASSERT_TRUE(base.contains("image")) << manifest.dump(2);
  ASSERT_TRUE(app.contains("image")) << manifest.dump(2);

  // The recorded digests are those of the layouts gathered for post-submit.
  auto base_layout =
      image::ReadOciLayout(repo_ / ("fanout-out/" + base["image"]["layout"].get<std::string>()));
  auto app_layout =
      image::ReadOciLayout(repo_ / ("fanout-out/" + app["image"]["layout"].get<std::string>()));
  ASSERT_TRUE(base_layout.ok()) << base_layout.error().message;
  ASSERT_TRUE(app_layout.ok()) << app_layout.error().message;
  EXPECT_EQ(app["image"]["manifest_digest"], app_layout->manifest_digest);
  EXPECT_EQ(app["image"]["config_digest"], app_layout->config_digest);
  EXPECT_EQ(base["image"]["manifest_digest"], base_layout->manifest_digest);
  EXPECT_GT(app["image"]["size"].get<std::uint64_t>(), 1000u);

  // The dependent was built on its dependency's exact image: its layers start with the base's.
  ASSERT_EQ(base_layout->diff_ids.size(), 1u);
  ASSERT_EQ(app_layout->diff_ids.size(), 2u);
  EXPECT_EQ(app_layout->diff_ids[0], base_layout->diff_ids[0]);

  // Tags resolved from the commit and the digest.
  const std::string head = repo_.Git({"rev-parse", "HEAD"});
  const std::string short_commit = head.substr(0, 12);
  EXPECT_EQ(app["image"]["tags"],
            json({"registry.example/app:" + short_commit,
                  "app:app-" + image::DigestHex(app_layout->manifest_digest)}));
  // The build script is in the log, for whoever reads why a build failed.
  EXPECT_NE(
      ReadFile(repo_ / "fanout-out/targets/app/log.txt").find("docker-daemon:fanout.invalid/dep:"),
      std::string::npos);
}

TEST_F(ImageE2E, ADirtyBuildLeavesOutTheTagsThatNameTheCommit) {
  // Positive control: from a clean tree, the {short} tag names the commit.
  RunResult r = Fanout({"build"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << ReadFile(repo_ / "fanout-out/targets/app/log.txt");
  const std::string short_commit = repo_.Git({"rev-parse", "HEAD"}).substr(0, 12);
  json app = Entry(Manifest(), "app");
  EXPECT_EQ(app["image"]["tags"][0], "registry.example/app:" + short_commit);
  EXPECT_FALSE(app["image"].contains("dropped_tags"));
  EXPECT_EQ(Manifest()["source"]["dirty"], false);

  // An uncommitted edit in app's context: the image is rebuilt from it, and no tag may say it
  // is that commit's. The digest tag stays: it names exactly what was built.
  repo_.Write("app/hello.txt", "hello, not committed\n");
  r = fanout::testing::Run({FanoutBinary(), "build"}, repo_.path(),
                           {"DOCKER_HOST=" + daemon_->host(), "PATH=/usr/bin:/bin:/usr/sbin:/sbin",
                            "CI=true", "GITHUB_ACTIONS="});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << ReadFile(repo_ / "fanout-out/targets/app/log.txt");
  const json manifest = Manifest();
  EXPECT_EQ(manifest["source"]["dirty"], true);
  EXPECT_EQ(manifest["source"]["changed_paths"], json({"app/hello.txt"}));
  app = Entry(manifest, "app");
  EXPECT_EQ(app["change"], "rebuilt");
  const std::string digest = app["image"]["manifest_digest"];
  EXPECT_EQ(app["image"]["tags"], json({"app:app-" + image::DigestHex(digest)}));
  EXPECT_EQ(app["image"]["dropped_tags"], json({"registry.example/app:{short}"}));
  EXPECT_EQ(app["image"].dump().find(short_commit), std::string::npos) << app.dump(2);
  EXPECT_NE(r.err.find("1 image tag naming the commit was left out"), std::string::npos)
      << r.out << r.err;
}

TEST_F(ImageE2E, AfterTheDaemonIsPrunedTheDependencyIsReloadedFromItsLayoutNeverPulled) {
  ASSERT_EQ(Fanout({"build"}).exit_code, 0);
  const std::string base_digest = Entry(Manifest(), "base")["image"]["manifest_digest"];
  RunResult prune = fanout::testing::Run(
      {"docker", "--host", daemon_->host(), "system", "prune", "--all", "--force"});
  ASSERT_EQ(prune.exit_code, 0) << prune.err;
  // Positive control: after the prune the daemon has no such image, and building on it alone
  // goes to the (unreachable) registry and fails. fanout must load it from base's layout.
  const std::string dep_ref = "fanout.invalid/dep:" + image::DigestHex(base_digest);
  RunResult alone = fanout::testing::Run({"/usr/bin/docker", "--host", daemon_->host(), "build",
                                          "--build-arg", "BASE=" + dep_ref, repo_ / "app"},
                                         repo_.path(), {"DOCKER_BUILDKIT=1"});
  EXPECT_NE(alone.exit_code, 0) << "the pruned image is still in the daemon: " << alone.out;
  repo_.Write("app/hello.txt", "hello 2\n");
  repo_.Commit("app changes");
  RunResult r = Fanout({"build"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << ReadFile(repo_ / "fanout-out/targets/app/log.txt");
  const json manifest = Manifest();
  EXPECT_EQ(Entry(manifest, "base")["image"]["manifest_digest"], base_digest)
      << "base was not affected and is not rebuilt";
  auto app_layout = image::ReadOciLayout(
      repo_ / ("fanout-out/" + Entry(manifest, "app")["image"]["layout"].get<std::string>()));
  auto base_layout = image::ReadOciLayout(
      repo_ / ("fanout-out/" + Entry(manifest, "base")["image"]["layout"].get<std::string>()));
  ASSERT_TRUE(app_layout.ok() && base_layout.ok());
  EXPECT_EQ(app_layout->diff_ids[0], base_layout->diff_ids[0]);
}

TEST_F(ImageE2E, ACachedImageIsRestoredAsItsLayoutAndItsDependentBuildsOnIt) {
  // The action cache (docs/cache.md) with a real engine: a restored image is its OCI layout,
  // which a dependent loads into a daemon that has never seen it.
  TempDir cache;
  auto build = [&] {
    return fanout::testing::Run(
        {FanoutBinary(), "build"}, repo_.path(),
        {"DOCKER_HOST=" + daemon_->host(), "PATH=/usr/bin:/bin:/usr/sbin:/sbin", "FANOUT_CACHE=on",
         "FANOUT_CACHE_DIR=" + cache.path()});
  };
  RunResult r = build();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json first = Manifest();
  const std::string base_digest = Entry(first, "base")["image"]["manifest_digest"];
  const std::string app_digest = Entry(first, "app")["image"]["manifest_digest"];

  auto forget = [&] {
    ASSERT_EQ(fanout::testing::Run({"rm", "-rf", repo_ / "fanout-out"}).exit_code, 0);
    RunResult prune = fanout::testing::Run(
        {"docker", "--host", daemon_->host(), "system", "prune", "--all", "--force"});
    ASSERT_EQ(prune.exit_code, 0) << prune.err;
  };
  forget();
  repo_.Write("app/hello.txt", "hello 3\n");
  repo_.Commit("app changes");
  r = build();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << ReadFile(repo_ / "fanout-out/targets/app/log.txt");
  json manifest = Manifest();
  EXPECT_EQ(Entry(manifest, "base")["status"], "cached");
  EXPECT_EQ(Entry(manifest, "app")["status"], "succeeded");
  EXPECT_EQ(Entry(manifest, "base")["image"]["manifest_digest"], base_digest);
  auto app_layout = image::ReadOciLayout(
      repo_ / ("fanout-out/" + Entry(manifest, "app")["image"]["layout"].get<std::string>()));
  auto base_layout = image::ReadOciLayout(
      repo_ / ("fanout-out/" + Entry(manifest, "base")["image"]["layout"].get<std::string>()));
  ASSERT_TRUE(app_layout.ok() && base_layout.ok());
  EXPECT_EQ(base_layout->manifest_digest, base_digest) << "the restored layout is whole";
  EXPECT_EQ(app_layout->diff_ids[0], base_layout->diff_ids[0]);

  // Back to the first commit: both images restored, byte for byte the first build's.
  forget();
  repo_.Git({"checkout", "-q", "HEAD~1"});
  r = build();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  manifest = Manifest();
  EXPECT_EQ(Entry(manifest, "base")["status"], "cached");
  EXPECT_EQ(Entry(manifest, "app")["status"], "cached");
  EXPECT_EQ(Entry(manifest, "app")["image"]["manifest_digest"], app_digest);
}

TEST_F(ImageE2E, ADockerfileErrorFailsTheTargetWithTheEnginesMessageInTheReport) {
  repo_.Write("app/Dockerfile", "ARG BASE\nFROMM $BASE\n");
  repo_.Commit("broken");
  RunResult r = Fanout({"build"});
  EXPECT_NE(r.exit_code, 0);
  const std::string log = ReadFile(repo_ / "fanout-out/targets/app/log.txt");
  EXPECT_NE(log.find("FROMM"), std::string::npos) << log;
  // The engine's message reaches what CI shows: the JUnit report and the step summary.
  EXPECT_NE(ReadFile(repo_ / "fanout-out/junit.xml").find("unknown instruction: FROMM"),
            std::string::npos);
  RunResult report = fanout::testing::Run({FanoutBinary(), "report"}, repo_.path(),
                                          {"GITHUB_STEP_SUMMARY=" + (repo_ / "summary.md")});
  EXPECT_NE(ReadFile(repo_ / "summary.md").find("unknown instruction: FROMM"), std::string::npos)
      << report.out << report.err;
}

TEST_F(ImageE2E, ATimeoutCancelsTheBuildItself) {
  repo_.Write("app/Dockerfile",
              "ARG BASE\nFROM $BASE\nRUN [\"/bin/busybox\", \"sleep\", \"127\"]\n");
  WriteDescription("    timeout: 8s\n");
  repo_.Commit("a build that outlives its timeout");
  // While the build runs, its RUN step is seen (the control: the check below can see one);
  // after the timeout, none is left. The pattern's brackets keep it from matching this script.
  const std::string script =
      "\"$0\" build > build.out 2>&1 &\n"
      "for i in $(seq 150); do pgrep -f 'busybox slee[p] 127' && break; sleep 0.1; done > seen\n"
      "wait $!; echo $? > rc\n"
      "for i in $(seq 100); do pgrep -f 'busybox slee[p] 127' > left || break; sleep 0.1; done\n";
  RunResult r = fanout::testing::Run(
      {"sh", "-c", script, FanoutBinary()}, repo_.path(),
      {"DOCKER_HOST=" + daemon_->host(), "PATH=/usr/bin:/bin:/usr/sbin:/sbin"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(ReadFile(repo_ / "seen"), "")
      << "the RUN step never started: " << ReadFile(repo_ / "build.out");
  EXPECT_NE(ReadFile(repo_ / "rc"), "0\n");
  EXPECT_NE(ReadFile(repo_ / "build.out").find("timed out"), std::string::npos)
      << ReadFile(repo_ / "build.out");
  EXPECT_EQ(ReadFile(repo_ / "left"), "") << "the build's RUN step outlived the timeout";
}

TEST_F(ImageE2E, APoolOfDepthOneBuildsOneImageAtATime) {
  // base and a second independent image share a pool of depth 1.
  repo_.Write("other/Dockerfile", "FROM scratch\nCOPY busybox /bin/busybox\n");
  ASSERT_EQ(fanout::testing::Run({"cp", repo_ / "base/busybox", repo_ / "other/busybox"}).exit_code,
            0);
  std::string yaml = ReadFile(repo_ / "fanout.yaml");
  yaml.replace(yaml.find("images: 2"), 9, "images: 1");
  yaml += "  other:\n    pool: images\n    network: false\n    sockets: [" + daemon_->socket() +
          "]\n    pass_env: [DOCKER_HOST]\n    image:\n      context: other\n";
  repo_.Write("fanout.yaml", yaml);
  repo_.Commit("two roots in one pool");
  RunResult r = Fanout({"build", "-j", "4", "base", "other"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto interval = [&](const std::string& t) {
    const json j = json::parse(ReadFile(repo_ / ("fanout-out/targets/" + t + "/result.json")));
    return std::make_pair(j["started_at"].get<double>(), j["finished_at"].get<double>());
  };
  const auto [b0, b1] = interval("base");
  const auto [o0, o1] = interval("other");
  EXPECT_TRUE(b1 <= o0 || o1 <= b0)
      << "base ran " << b0 << "-" << b1 << ", other " << o0 << "-" << o1;
}

}  // namespace
}  // namespace fanout::testing
