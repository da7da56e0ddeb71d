// End-to-end: an image target's default inputs are exactly the files the engine sends. The
// same context, with a .dockerignore full of awkward rules, is built by the engine itself
// (the tests' own daemon, docker_daemon.h) and by fanout; the files in the engine's image are
// compared with the inputs fanout computes (`fanout affected`) and with the image fanout
// built from its workspace.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>
#include <sstream>

#include "docker_daemon.h"
#include "image/oci_layout.h"
#include "test_util.h"

namespace fanout::testing {
namespace {

using nlohmann::json;
using Paths = std::set<std::string>;

// Cases the engine reads in ways a reader might not guess (base/dockerignore.h lists them).
constexpr const char* kDockerignore =
    "# a comment, then a blank line\n"
    "\n"
    "*.md\n"
    "!README*.md\n"
    "README-secret.md\n"
    "**/*.log\n"
    "!keep/**/*.log\n"
    "build\n"
    "!build/keep\n"
    "build/keep/*.tmp\n"
    "/docs/*.txt\n"
    "   spaced.txt   \n"
    "x/../y\n"
    "**/tmp\n"
    "!deep/q/tmp\n"
    "gen/**\n"
    "!gen/**/*.md\n"
    "node/a\n"
    "[ab].cfg\n"
    "Dockerfile\n";

constexpr const char* kFiles[] = {"README.md",
                                  "README-secret.md",
                                  "CHANGES.md",
                                  "sub/notes.md",
                                  "app.log",
                                  "logs/a/b.log",
                                  "keep/x/c.log",
                                  "build/out.o",
                                  "build/keep/k.txt",
                                  "build/keep/d.tmp",
                                  "docs/a.txt",
                                  "sub/docs/a.txt",
                                  "spaced.txt",
                                  "y/f",
                                  "cache/tmp/t1",
                                  "deep/q/tmp/t2",
                                  "v/w/tmp/t3",
                                  "gen/a/b/c.txt",
                                  "gen/a/b/d.md",
                                  "node/a/b/c",
                                  "node/ab",
                                  "a.cfg",
                                  "c.cfg",
                                  "main.go",
                                  "lib/sub/y.go"};

class DockerignoreE2E : public ::testing::Test {
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
    const std::string sock = daemon_->socket();
    repo_.Write("fanout.yaml", "version: 1\ntargets:\n  img:\n    network: false\n    sockets: [" +
                                   sock +
                                   "]\n    pass_env: [DOCKER_HOST]\n"
                                   "    image:\n      context: ctx\n");
    repo_.Write("other.txt", "outside the context\n");
    repo_.Commit("description");  // the base: nothing in the context yet
    repo_.Write("ctx/Dockerfile", "FROM scratch\nCOPY . /ctx\n");
    repo_.Write("ctx/.dockerignore", kDockerignore);
    for (const char* f : kFiles) repo_.Write(std::string("ctx/") + f, std::string(f) + "\n");
    repo_.Commit("context");
  }

  RunResult Fanout(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {FanoutBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return fanout::testing::Run(
        argv, repo_.path(),
        {"DOCKER_HOST=" + daemon_->host(), "PATH=/usr/bin:/bin:/usr/sbin:/sbin"});
  }

  /// The paths (relative to the context) whose change `fanout affected --base BASE` says
  /// affects `img`; empty when it is unaffected.
  Paths AffectedPaths(const std::string& base) {
    RunResult r = Fanout({"affected", "--base", base, "--format", "json"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    Paths paths;
    if (r.exit_code != 0) return paths;
    const json result = json::parse(r.out);  // outlives the loop, unlike a temporary
    for (const json& t : result["affected"]) {
      for (const json& reason : t["reasons"]) {
        if (reason["kind"] == "input") {
          paths.insert(reason["path"].get<std::string>().substr(std::string("ctx/").size()));
        }
      }
    }
    return paths;
  }

  /// The files under /ctx in the single layer of an image, read from `tar_command`'s output
  /// (a tar of the layer on stdout).
  static Paths LayerFiles(const std::string& tar_command) {
    RunResult r = Sh(tar_command + " | tar -t");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    Paths files;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("ctx/", 0) == 0 && line.back() != '/') files.insert(line.substr(4));
    }
    return files;
  }

  GitRepo repo_;
  static inline std::string missing_;
  static inline DockerDaemon* daemon_ = nullptr;
};

TEST_F(DockerignoreE2E, TheDefaultInputsAreExactlyTheFilesTheEngineSends) {
  // The engine's answer: the context built by hand, then the files in its one layer.
  const std::string tag = "fanout-e2e/dockerignore:engine";
  RunResult built = fanout::testing::Run(
      {"/usr/bin/docker", "--host", daemon_->host(), "build", "-q", "-t", tag, repo_ / "ctx"},
      repo_.path(), {"DOCKER_BUILDKIT=1"});
  ASSERT_EQ(built.exit_code, 0) << built.err;
  const Paths engine = LayerFiles("/usr/bin/docker --host " + daemon_->host() + " save " + tag +
                                  " | tar -xO --wildcards '*/layer.tar'");
  // The rules really dropped files, kept re-included ones, and dropped the Dockerfile.
  EXPECT_TRUE(engine.count("README.md") && engine.count("build/keep/k.txt") &&
              engine.count("deep/q/tmp/t2") && engine.count(".dockerignore"));
  EXPECT_FALSE(engine.count("README-secret.md") || engine.count("gen/a/b/d.md") ||
               engine.count("Dockerfile"));

  // fanout's answer: every context file was added since the base, so the paths that affect
  // the target are exactly its inputs in the context.
  Paths inputs = AffectedPaths("HEAD~1");
  EXPECT_TRUE(inputs.count("Dockerfile")) << "the Dockerfile is always an input";
  EXPECT_TRUE(inputs.count(".dockerignore"));
  inputs.erase("Dockerfile");  // an input, though the engine does not copy it
  EXPECT_EQ(inputs, engine);

  // And the image fanout built from its workspace holds the same files: the workspace lacked
  // nothing the engine would have sent.
  RunResult r = Fanout({"build"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << ReadFile(repo_ / "fanout-out/targets/img/log.txt");
  const std::string layout = repo_ / "fanout-out/targets/img/out/image";
  auto image = image::ReadOciLayout(layout);
  ASSERT_TRUE(image.ok()) << image.error().message;
  const json oci_manifest =
      json::parse(ReadFile(layout + "/blobs/sha256/" + image::DigestHex(image->manifest_digest)));
  ASSERT_EQ(oci_manifest["layers"].size(), 1u) << oci_manifest.dump();
  const std::string layer = oci_manifest["layers"][0]["digest"].get<std::string>().substr(7);
  EXPECT_EQ(LayerFiles("gzip -dc " + layout + "/blobs/sha256/" + layer), engine);
}

TEST_F(DockerignoreE2E, AChangeToAnIgnoredFileDoesNotAffectTheTargetAChangeToTheRulesDoes) {
  // Positive control: a file the engine sends affects the target.
  repo_.Write("ctx/main.go", "changed\n");
  repo_.Commit("sent file");
  EXPECT_EQ(AffectedPaths("HEAD~1"), Paths{"main.go"});

  repo_.Write("ctx/README-secret.md", "changed\n");
  repo_.Write("ctx/gen/a/b/d.md", "changed\n");
  repo_.Commit("ignored files");
  EXPECT_EQ(AffectedPaths("HEAD~1"), Paths{});

  repo_.Write("ctx/.dockerignore", std::string(kDockerignore) + "c.cfg\n");
  repo_.Commit("rules");
  EXPECT_EQ(AffectedPaths("HEAD~1"), Paths{".dockerignore"});

  // A Dockerfile-specific ignore file replaces .dockerignore (BuildKit's rule): adding one
  // affects the target, and from then on its rules decide.
  repo_.Write("ctx/Dockerfile.dockerignore", "main.go\n");
  repo_.Commit("own rules");
  EXPECT_EQ(AffectedPaths("HEAD~1"), Paths{"Dockerfile.dockerignore"});
  repo_.Write("ctx/README-secret.md", "changed again\n");
  repo_.Write("ctx/main.go", "changed again\n");
  repo_.Commit("now sent, now ignored");
  EXPECT_EQ(AffectedPaths("HEAD~1"), Paths{"README-secret.md"});
}

}  // namespace
}  // namespace fanout::testing
