// End-to-end: `inputs_from: {python: ...}` derives a Python program's inputs from its imports
// (base/python_imports.h), with the host's python3: the derived workspace runs the program
// in the sandbox with nothing missing, while a hand-written list that misses an imported
// module fails (the positive control: the workspace holds only the inputs); a change to a
// module only `b` imports affects `b` and not `a`; and a new import in `a` makes the same
// change affect `a` from that commit on, with no edit to fanout.yaml.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace fanout::testing {
namespace {

using Names = std::set<std::string>;

class PythonInputsE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.Write("fanout.yaml",
                "version: 1\ntargets:\n"
                "  a:\n    command: PYTHONPATH=. python3 services/a/main.py\n"
                "    inputs_from: {python: services/a/main.py, path: [.]}\n"
                "  b:\n    command: PYTHONPATH=. python3 -m services.b\n"
                "    inputs_from: {python: services/b, path: [.]}\n"
                "  narrow:\n    command: PYTHONPATH=. python3 services/a/main.py\n"
                "    inputs: [services/a/main.py, lib/__init__.py, lib/util.py]\n");
    repo_.Write("services/a/main.py",
                "import sys\nimport lib.util\nfrom lib import helpers\n"
                "print(lib.util.name(), helpers.shout())\n");
    repo_.Write("services/__init__.py", "");
    repo_.Write("services/b/__init__.py", "");
    repo_.Write("services/b/__main__.py", "from lib.only_b import thing\nprint(thing)\n");
    repo_.Write("lib/__init__.py", "");
    repo_.Write("lib/util.py", "def name():\n    return 'a'\n");
    repo_.Write("lib/helpers.py",
                "from .util import name\ndef shout():\n    return name().upper()\n");
    repo_.Write("lib/only_b.py", "thing = 'b'\n");
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

  GitRepo repo_;
};

TEST_F(PythonInputsE2E, TheDerivedWorkspaceRunsTheProgramAndAShortListDoesNot) {
  RunResult narrow = Fanout({"build", "narrow"});
  EXPECT_EQ(narrow.exit_code, 1) << narrow.out << narrow.err;
  const std::string log = ReadFile(repo_ / "fanout-out/targets/narrow/log.txt");
  EXPECT_NE(log.find("cannot import name 'helpers'"), std::string::npos) << log;

  RunResult r = Fanout({"build", "a", "b"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << ReadFile(repo_ / "fanout-out/targets/a/log.txt")
                            << ReadFile(repo_ / "fanout-out/targets/b/log.txt");
  EXPECT_NE(ReadFile(repo_ / "fanout-out/targets/a/log.txt").find("a A"), std::string::npos);
  const std::string b_log = "\n" + ReadFile(repo_ / "fanout-out/targets/b/log.txt");
  EXPECT_NE(b_log.find("\nb\n"), std::string::npos) << b_log;
}

TEST_F(PythonInputsE2E, AChangeAffectsWhatImportsItAndANewImportWidensFromItsCommitOn) {
  repo_.Write("lib/only_b.py", "thing = 'b2'\n");
  repo_.Commit("only b");
  EXPECT_EQ(Affected("HEAD~1"), Names{"b"});

  repo_.Write("docs/readme.md", "more docs\n");
  repo_.Commit("docs");
  EXPECT_EQ(Affected("HEAD~1"), Names{});

  repo_.Write("lib/util.py", "def name():\n    return 'a2'\n");
  repo_.Commit("util");
  EXPECT_EQ(Affected("HEAD~1"), (Names{"a", "narrow"}));

  repo_.Write("services/a/main.py",
              "import sys\nimport lib.util\nfrom lib import helpers, only_b\n"
              "print(lib.util.name(), helpers.shout(), only_b.thing)\n");
  repo_.Commit("a imports only_b");
  repo_.Write("lib/only_b.py", "thing = 'b3'\n");
  repo_.Commit("only b again");
  EXPECT_EQ(Affected("HEAD~1"), (Names{"a", "b"}));

  RunResult explain = Fanout({"affected", "--base", "HEAD~1", "--explain"});
  EXPECT_NE(explain.out.find("lib/only_b.py (modified) matches 'lib/only_b.py' (inputs_from: "
                             "services/a/main.py:3 from lib import helpers, only_b)"),
            std::string::npos)
      << explain.out;
  RunResult r = Fanout({"build", "a"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << ReadFile(repo_ / "fanout-out/targets/a/log.txt");
  EXPECT_NE(ReadFile(repo_ / "fanout-out/targets/a/log.txt").find("a2 A2 b3"), std::string::npos);
}

TEST_F(PythonInputsE2E, ModulesReadOnceAreNotReadAgainByTheNextRun) {
  // A python3 first on PATH that counts its starts, then runs the real one; the cache in a
  // directory of this test's.
  TempDir dir;
  WriteFile(dir / "bin/python3",
            "#!/bin/sh\necho run >>" + (dir / "runs") + "\nexec /usr/bin/python3 \"$@\"\n");
  ASSERT_EQ(Sh("chmod +x " + (dir / "bin/python3")).exit_code, 0);
  auto runs = [&] {
    const std::string text = ReadFile(dir / "runs");
    return std::count(text.begin(), text.end(), '\n');
  };
  const std::vector<std::string> env = {"PATH=" + (dir / "bin") + ":/usr/bin:/bin",
                                        "XDG_CACHE_HOME=" + (dir / "cache")};
  auto affected = [&] {
    RunResult r = fanout::testing::Run(
        {FanoutBinary(), "affected", "--base", "HEAD~1", "--format", "json"}, repo_.path(), env);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return r.out;
  };
  repo_.Write("lib/only_b.py", "thing = 'b2'\n");
  repo_.Commit("only b");
  const std::string first = affected();
  const auto started = runs();
  EXPECT_GE(started, 1);  // python3 read the modules
  EXPECT_EQ(affected(), first);
  EXPECT_EQ(runs(), started);  // every module's imports came from the cache
  // A module with new bytes is read again, by a python3 started for it.
  repo_.Write("lib/util.py", "import lib.only_b\ndef name():\n    return 'a'\n");
  repo_.Commit("util imports only_b");
  affected();
  EXPECT_EQ(runs(), started + 1);
}

}  // namespace
}  // namespace fanout::testing
