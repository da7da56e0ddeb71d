// End-to-end: an image target's default inputs are exactly the files the engine sends. The
// same context, with a .dockerignore full of awkward rules, is built by the engine itself
// (the tests' own daemon, context_fixture.h) and by fanout; the files in the engine's image are
// compared with the inputs fanout computes (`fanout affected`) and with the image fanout
// built from its workspace.
#include <gtest/gtest.h>

#include "context_fixture.h"

namespace fanout::testing {
namespace {

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

class DockerignoreE2E : public ContextE2E {
 protected:
  void SetUp() override {
    ContextE2E::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    repo_.Write("fanout.yaml", "version: 1\ntargets:\n  img:\n    network: false\n    sockets: [" +
                                   Socket() +
                                   "]\n    pass_env: [DOCKER_HOST]\n"
                                   "    image:\n      context: ctx\n");
    repo_.Write("other.txt", "outside the context\n");
    repo_.Commit("description");  // the base: nothing in the context yet
    repo_.Write("ctx/Dockerfile", "FROM scratch\nCOPY . /ctx\n");
    repo_.Write("ctx/.dockerignore", kDockerignore);
    for (const char* f : kFiles) repo_.Write(std::string("ctx/") + f, std::string(f) + "\n");
    repo_.Commit("context");
  }

  /// The paths (relative to the context) whose change `fanout affected --base BASE` says
  /// affects `img`; empty when it is unaffected.
  Paths AffectedPaths(const std::string& base) { return ContextE2E::AffectedPaths(base, "img"); }
};

TEST_F(DockerignoreE2E, TheDefaultInputsAreExactlyTheFilesTheEngineSends) {
  // The engine's answer: the context built by hand, then the files in its one layer.
  const Paths engine = EngineFiles("fanout-e2e/dockerignore:engine");
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
  EXPECT_EQ(BuiltFiles("img"), engine);
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
