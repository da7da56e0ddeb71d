// End-to-end: `inputs_from: {go: ...}` derives a Go program's inputs from `go list`
// (base/go_imports.h), with Debian's Go toolchain: the derived workspace builds and runs each
// program in the sandbox with nothing missing, while a hand-written list that misses an
// imported package fails to build (the positive control: the workspace holds only the
// inputs); a change to a package only `cmd/b` imports affects `b` and not `a`; a new import
// in `cmd/a` makes the same change affect `a` from that commit on, with no edit to
// fanout.yaml; and `--explain` says which import made a path an input.
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace fanout::testing {
namespace {

using Names = std::set<std::string>;

// Go in the sandbox: its caches in the workspace, no network, no user settings.
constexpr char kGoEnv[] =
    "export GOCACHE=$PWD/.cache/go GOPATH=$PWD/.cache/gopath GOPROXY=off \"GOFLAGS=-mod=mod "
    "-buildvcs=false\" "
    "GOENV=off CGO_ENABLED=0; ";

class GoInputsE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (fanout::testing::Run({"go", "version"}, "/", {"PATH=/usr/bin:/bin"}).exit_code != 0) {
      GTEST_SKIP() << "the Go toolchain ('go', Debian's golang-go) is not installed; "
                      "scripts/setup installs it";
    }
    const std::string env = kGoEnv;
    repo_.Write("fanout.yaml",
                "version: 1\ntargets:\n"
                "  a:\n    command: '" +
                    env +
                    "go build -o a.bin ./cmd/a && ./a.bin'\n"
                    "    inputs_from: {go: ./cmd/a}\n"
                    "  b:\n    command: '" +
                    env +
                    "go build -o b.bin ./cmd/b && ./b.bin'\n"
                    "    inputs_from: {go: cmd/b}\n"
                    "  narrow:\n    command: '" +
                    env +
                    "go build -o a.bin ./cmd/a'\n"
                    "    inputs: [go.mod, cmd/a]\n");
    repo_.Write("go.mod", "module example.com/mono\n\ngo 1.19\n");
    repo_.Write("cmd/a/main.go",
                "package main\n\nimport \"example.com/mono/pkg/shared\"\n\n"
                "func main() { println(\"a says\", shared.Word) }\n");
    repo_.Write("cmd/b/main.go",
                "package main\n\nimport (\n\t\"example.com/mono/pkg/onlyb\"\n"
                "\t\"example.com/mono/pkg/shared\"\n)\n\n"
                "func main() { println(\"b says\", shared.Word, onlyb.Word) }\n");
    repo_.Write("pkg/shared/shared.go", "package shared\n\nconst Word = \"shared\"\n");
    repo_.Write("pkg/onlyb/onlyb.go", "package onlyb\n\nconst Word = \"only-b\"\n");
    repo_.Write("docs/readme.md", "docs\n");
    repo_.Commit("programs");
  }

  RunResult Fanout(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {FanoutBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return fanout::testing::Run(argv, repo_.path(), {"PATH=/usr/bin:/bin:/usr/sbin:/sbin"});
  }

  Names Affected(const std::string& base) {
    RunResult r = Fanout({"affected", "--base", base, "--format", "json"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    Names names;
    if (r.exit_code != 0) return names;
    const nlohmann::json result = nlohmann::json::parse(r.out);
    for (const nlohmann::json& t : result["affected"]) names.insert(t["name"].get<std::string>());
    return names;
  }

  std::string Log(const std::string& target) {
    return ReadFile(repo_ / ("fanout-out/targets/" + target + "/log.txt"));
  }

  GitRepo repo_;
};

TEST_F(GoInputsE2E, TheDerivedWorkspaceBuildsTheProgramsAndAShortListDoesNot) {
  RunResult narrow = Fanout({"build", "narrow"});
  EXPECT_EQ(narrow.exit_code, 1) << narrow.out << narrow.err;
  EXPECT_NE(Log("narrow").find("example.com/mono/pkg/shared"), std::string::npos) << Log("narrow");

  RunResult r = Fanout({"build", "a", "b"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << Log("a") << Log("b");
  EXPECT_NE(Log("a").find("a says shared"), std::string::npos) << Log("a");
  EXPECT_NE(Log("b").find("b says shared only-b"), std::string::npos) << Log("b");
}

TEST_F(GoInputsE2E, AChangeAffectsWhatImportsItAndANewImportWidensFromItsCommitOn) {
  repo_.Write("pkg/onlyb/onlyb.go", "package onlyb\n\nconst Word = \"only-b2\"\n");
  repo_.Commit("only b");
  EXPECT_EQ(Affected("HEAD~1"), Names{"b"});

  repo_.Write("docs/readme.md", "more docs\n");
  repo_.Commit("docs");
  EXPECT_EQ(Affected("HEAD~1"), Names{});

  repo_.Write("pkg/shared/shared.go", "package shared\n\nconst Word = \"shared2\"\n");
  repo_.Commit("shared");
  EXPECT_EQ(Affected("HEAD~1"), (Names{"a", "b"}));

  repo_.Write("cmd/a/main.go",
              "package main\n\nimport (\n\t\"example.com/mono/pkg/onlyb\"\n"
              "\t\"example.com/mono/pkg/shared\"\n)\n\n"
              "func main() { println(\"a says\", shared.Word, onlyb.Word) }\n");
  repo_.Commit("a imports onlyb");
  repo_.Write("pkg/onlyb/onlyb.go", "package onlyb\n\nconst Word = \"only-b3\"\n");
  repo_.Commit("only b again");
  EXPECT_EQ(Affected("HEAD~1"), (Names{"a", "b"}));

  RunResult explain = Fanout({"affected", "--base", "HEAD~1", "--explain"});
  EXPECT_NE(explain.out.find("pkg/onlyb/onlyb.go (modified) matches 'pkg/onlyb/*.go' "
                             "(inputs_from: go example.com/mono/cmd/a imports "
                             "example.com/mono/pkg/onlyb)"),
            std::string::npos)
      << explain.out;
  RunResult list = Fanout({"list", "--inputs", "a"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("pkg/onlyb/onlyb.go\tpkg/onlyb/*.go\tinputs_from: go "
                          "example.com/mono/cmd/a imports example.com/mono/pkg/onlyb"),
            std::string::npos)
      << list.out;

  RunResult r = Fanout({"build", "a"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << Log("a");
  EXPECT_NE(Log("a").find("a says shared2 only-b3"), std::string::npos) << Log("a");
}

}  // namespace
}  // namespace fanout::testing
