// End-to-end: `inputs_from: {dockerfile: ...}` derives an image target's inputs from what its
// Dockerfile takes from the context, checked against the engine (the tests' own daemon,
// docker_daemon.h): the image fanout builds from a workspace holding only the derived inputs
// has the same files as the engine's own build of the full context, a hand-written list that
// misses a COPY source fails (the positive control: the workspace really holds only the
// inputs), and a new COPY widens the inputs from its commit on with no edit to fanout.yaml.
#include <gtest/gtest.h>

#include "context_fixture.h"

namespace fanout::testing {
namespace {

constexpr const char* kDockerfile =
    "FROM scratch\n"
    "COPY src/ /ctx/src/\n"
    "COPY [\"conf/a.conf\", \\\n"
    "      \"/ctx/conf/\"]\n"
    "COPY static/*.txt /ctx/static/\n";

constexpr const char* kFiles[] = {"src/main.c",   "src/lib/u.c",  "src/lib/x.tmp",
                                  "conf/a.conf",  "conf/b.conf",  "static/a.txt",
                                  "static/b.txt", "static/c.css", "docs/readme.md"};

class InputsFromE2E : public ContextE2E {
 protected:
  void SetUp() override {
    ContextE2E::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    const std::string common = "    network: false\n    sockets: [" + Socket() +
                               "]\n    pass_env: [DOCKER_HOST]\n    image: {context: ctx}\n";
    repo_.Write("fanout.yaml", "version: 1\ntargets:\n  img:\n" + common +
                                   "    inputs_from: {dockerfile: ctx/Dockerfile}\n"
                                   "  narrow:\n" +
                                   common + "    inputs: [ctx/Dockerfile, ctx/src/**]\n");
    repo_.Write("other.txt", "outside the context\n");
    repo_.Commit("description");  // the base: nothing in the context yet
    repo_.Write("ctx/Dockerfile", kDockerfile);
    repo_.Write("ctx/.dockerignore", "src/**/*.tmp\n");
    for (const char* f : kFiles) repo_.Write(std::string("ctx/") + f, std::string(f) + "\n");
    repo_.Commit("context");
  }

  Paths AffectedPaths(const std::string& base, std::vector<std::string>* rules = nullptr) {
    return ContextE2E::AffectedPaths(base, "img", rules);
  }
};

TEST_F(InputsFromE2E, TheDerivedInputsBuildTheImageTheEngineBuildsFromTheWholeContext) {
  const Paths copied = {"src/main.c", "src/lib/u.c", "conf/a.conf", "static/a.txt", "static/b.txt"};
  // Every context file was added since the base, so the paths that affect the target are
  // exactly its inputs in the context: what the Dockerfile copies, less what .dockerignore
  // drops, and the Dockerfile and .dockerignore themselves.
  Paths inputs = AffectedPaths("HEAD~1");
  Paths expected = copied;
  expected.insert("Dockerfile");
  expected.insert(".dockerignore");
  EXPECT_EQ(inputs, expected);

  // Positive control: a hand-written list without conf/ and static/ fails, because the
  // workspace holds only the inputs and the engine misses a COPY source.
  RunResult narrow = Fanout({"build", "narrow"});
  EXPECT_EQ(narrow.exit_code, 1) << narrow.out << narrow.err;
  EXPECT_NE(ReadFile(repo_ / "fanout-out/targets/narrow/log.txt").find("a.conf"), std::string::npos)
      << ReadFile(repo_ / "fanout-out/targets/narrow/log.txt");

  RunResult r = Fanout({"build", "img"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << ReadFile(repo_ / "fanout-out/targets/img/log.txt");
  const Paths engine = EngineFiles("fanout-e2e/inputs-from:engine");
  EXPECT_EQ(engine, copied) << "the engine's own build of the whole context";
  EXPECT_EQ(BuiltFiles("img"), engine);
}

TEST_F(InputsFromE2E, ANewCopyWidensTheInputsFromItsCommitOnWithNoEditToTheDescription) {
  // Positive control: a copied file affects the target, and the reason names the rule.
  repo_.Write("ctx/src/lib/u.c", "changed\n");
  repo_.Commit("copied file");
  std::vector<std::string> rules;
  EXPECT_EQ(AffectedPaths("HEAD~1", &rules), Paths{"src/lib/u.c"});
  EXPECT_EQ(rules, std::vector<std::string>{"inputs_from: ctx/Dockerfile:2 COPY"});
  RunResult explain = Fanout({"affected", "--base", "HEAD~1", "--explain"});
  EXPECT_NE(explain.out.find("ctx/src/lib/u.c (modified) matches 'ctx/src' (inputs_from: "
                             "ctx/Dockerfile:2 COPY)"),
            std::string::npos)
      << explain.out;

  repo_.Write("ctx/docs/readme.md", "changed\n");
  repo_.Write("ctx/conf/b.conf", "changed\n");
  repo_.Write("ctx/src/lib/x.tmp", "changed\n");
  repo_.Commit("files the build never reads");
  EXPECT_EQ(AffectedPaths("HEAD~1"), Paths{});

  repo_.Write("ctx/Dockerfile", std::string(kDockerfile) + "COPY docs /ctx/docs\n");
  repo_.Commit("copy docs too");
  EXPECT_EQ(AffectedPaths("HEAD~1"), Paths{"Dockerfile"});

  repo_.Write("ctx/docs/readme.md", "changed again\n");
  repo_.Commit("docs");
  EXPECT_EQ(AffectedPaths("HEAD~1"), Paths{"docs/readme.md"});

  RunResult r = Fanout({"build", "img"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << ReadFile(repo_ / "fanout-out/targets/img/log.txt");
  EXPECT_TRUE(BuiltFiles("img").count("docs/readme.md"));
}

}  // namespace
}  // namespace fanout::testing
