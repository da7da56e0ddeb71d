// End-to-end: fanout's graph inside builds the user already has (generator/fragment.h). A
// hand-written build.ninja with rules of its own `subninja`s BUILD/fragment.ninja, and a
// Makefile `include`s BUILD/fragment.mk; each builds its own targets and fanout's together,
// a second run is a no-op, an edited input reruns only what reads it, and an edited
// description regenerates the fragment from the parent. Then the CMake route of
// docs/existing-builds.md: a custom target that runs `fanout build`.
#include <sys/stat.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace fanout::testing {
namespace {

using nlohmann::json;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

/// The modification time of `path` in nanoseconds, or -1.
long long MtimeNs(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return -1;
  return st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
}

class FragmentE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    Describe("");
    repo_.Write("src/a.txt", "a1\n");
    repo_.Write("src/b.txt", "b1\n");
    repo_.Write(".gitignore", "/parent/\n");
    repo_.Commit("init");
    // The parent build lives beside the sources (as a CMake or hand-written build would), with
    // fanout's build directory inside it.
    WriteFile(parent() + "/own.in", "own\n");
  }

  /// Two targets in a pool of depth 1, one depending on the other, plus `extra`.
  void Describe(const std::string& extra) {
    repo_.Write("fanout.yaml",
                "version: 1\n"
                "pools:\n  one: 1\n"
                "targets:\n"
                "  a:\n"
                "    command: cat src/a.txt > \"$FANOUT_OUT/a.txt\"\n"
                "    inputs: ['src/a.txt']\n"
                "    artifacts: [a.txt]\n"
                "    pool: one\n"
                "  b:\n"
                "    command: cat src/b.txt > \"$FANOUT_OUT/b.txt\"\n"
                "    inputs: ['src/b.txt']\n"
                "    artifacts: [b.txt]\n"
                "    pool: one\n"
                "    deps: [a]\n" +
                    extra);
  }

  std::string parent() const { return repo_ / "parent"; }
  std::string build() const { return parent() + "/out/fanout"; }

  RunResult Gen(const std::string& format) {
    return ::fanout::testing::Run({FanoutBinary(), "gen", "-f", repo_ / "fanout.yaml", "-B",
                                   "out/fanout", "--fragment", format},
                                  parent());
  }

  RunResult Ninja(const std::vector<std::string>& targets = {}) {
    std::vector<std::string> argv = {"timeout", "120", "ninja"};
    argv.insert(argv.end(), targets.begin(), targets.end());
    return ::fanout::testing::Run(argv, parent());
  }

  RunResult Make(const std::vector<std::string>& targets = {}) {
    std::vector<std::string> argv = {"timeout", "120", "make", "-j", "8"};
    argv.insert(argv.end(), targets.begin(), targets.end());
    return ::fanout::testing::Run(argv, parent());
  }

  json Manifest() { return json::parse(ReadFile(build() + "/manifest.json")); }

  /// gen printed the line to add to the parent; the parent's first build then made both its
  /// own file and fanout's targets and manifest.
  void ExpectGenAndFirstBuild(const RunResult& gen, const std::string& line,
                              const RunResult& first) {
    ASSERT_EQ(gen.exit_code, 0) << gen.out << gen.err;
    EXPECT_TRUE(Contains(gen.out, line)) << gen.out;
    ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
    EXPECT_EQ(ReadFile(parent() + "/own.txt"), "own\n");
    EXPECT_EQ(ReadFile(build() + "/targets/b/out/b.txt"), "b1\n");
    EXPECT_EQ(Manifest()["status"], "succeeded") << Manifest().dump();
  }

  /// Configures the CMake project `cmake_lists` in the parent (FANOUT and REPO given as cache
  /// variables) and builds it; returns the build's result.
  RunResult CMakeBuild(const std::string& cmake_lists) {
    WriteFile(parent() + "/CMakeLists.txt", cmake_lists);
    RunResult configure =
        ::fanout::testing::Run({"cmake", "-G", "Ninja", "-S", parent(), "-B", parent() + "/cmake",
                                "-DFANOUT=" + FanoutBinary(), "-DREPO=" + repo_.path()},
                               parent());
    if (configure.exit_code != 0) return configure;
    return CMakeRebuild();
  }
  RunResult CMakeRebuild() {
    return ::fanout::testing::Run({"timeout", "300", "cmake", "--build", parent() + "/cmake"},
                                  parent());
  }

  /// The description gains a third target, `c`.
  void AddTargetC() {
    Describe(
        "  c:\n"
        "    command: echo c > \"$FANOUT_OUT/c.txt\"\n"
        "    inputs: ['src/a.txt']\n"
        "    artifacts: [c.txt]\n");
  }

  /// A target that sleeps 0.3 s and records when it started and ended, optionally in `pool`.
  static std::string TimedTarget(const std::string& name, const std::string& pool = "") {
    return "  " + name +
           ":\n    command: 'date +%s%N > \"$FANOUT_OUT/start\"; sleep 0.3; date +%s%N > "
           "\"$FANOUT_OUT/end\"'\n    inputs: ['src/a.txt']\n    artifacts: [start, end]\n" +
           (pool.empty() ? "" : "    pool: " + pool + "\n");
  }

  GitRepo repo_;
};

TEST_F(FragmentE2E, AHandWrittenBuildNinjaSubninjasTheFragmentAndBuildsBoth) {
  WriteFile(parent() + "/build.ninja",
            "# The user's own build: a rule of its own, and fanout's graph.\n"
            "rule copy\n"
            "  command = cp $in $out\n"
            "build own.txt: copy own.in\n"
            "subninja out/fanout/fragment.ninja\n"
            "build build.ninja: phony out/fanout/fragment.ninja\n"
            "default own.txt fanout-all\n");
  RunResult gen = Gen("ninja");
  RunResult first = Ninja();
  ExpectGenAndFirstBuild(gen, "subninja out/fanout/fragment.ninja", first);

  // A no-op after is a no-op: nothing runs, not even the snapshot.
  RunResult noop = Ninja();
  ASSERT_EQ(noop.exit_code, 0) << noop.out << noop.err;
  EXPECT_TRUE(Contains(noop.out, "ninja: no work to do.")) << noop.out;

  // fanout's aliases are there, prefixed, and an edited input reruns only its target.
  repo_.Write("src/b.txt", "b2\n");
  const long long a_result = MtimeNs(build() + "/targets/a/result.json");
  RunResult edit = Ninja({"fanout-b"});
  ASSERT_EQ(edit.exit_code, 0) << edit.out << edit.err;
  EXPECT_TRUE(Contains(edit.out, "BUILD b")) << edit.out;
  EXPECT_FALSE(Contains(edit.out, "BUILD a")) << edit.out;
  EXPECT_EQ(MtimeNs(build() + "/targets/a/result.json"), a_result);
  EXPECT_EQ(ReadFile(build() + "/targets/b/out/b.txt"), "b2\n");

  // An edited description regenerates the fragment from the parent, which reloads it and
  // builds the new target; then it is a no-op again.
  AddTargetC();
  RunResult regen = Ninja();
  ASSERT_EQ(regen.exit_code, 0) << regen.out << regen.err;
  EXPECT_TRUE(Contains(regen.out, "Regenerating out/fanout/fragment.ninja")) << regen.out;
  EXPECT_TRUE(Contains(regen.out, "BUILD c")) << regen.out;
  EXPECT_EQ(ReadFile(build() + "/targets/c/out/c.txt"), "c\n");
  EXPECT_EQ(Manifest()["targets"].size(), 3u) << Manifest().dump();
  RunResult after = Ninja();
  ASSERT_EQ(after.exit_code, 0) << after.out << after.err;
  EXPECT_TRUE(Contains(after.out, "ninja: no work to do.")) << after.out;

  // The fragment names nothing of its own outside its prefix, and sets no default.
  const std::string fragment = ReadFile(build() + "/fragment.ninja");
  EXPECT_FALSE(Contains(fragment, "\ndefault ")) << fragment;
  EXPECT_TRUE(Contains(fragment, "\npool fanout-one\n")) << fragment;
  EXPECT_FALSE(Contains(fragment, "\nrule exec\n")) << fragment;
}

TEST_F(FragmentE2E, TheFragmentsPoolHoldsUnderTheParentsNinja) {
  // The pool of depth 1 is Ninja's own under the parent too: a and b never overlap, whatever
  // -j says. Each command records when it ran, in the same clock.
  Describe(TimedTarget("p1", "one") + TimedTarget("p2", "one") + TimedTarget("free1") +
           TimedTarget("free2"));
  repo_.Commit("timed");
  WriteFile(parent() + "/build.ninja", "subninja out/fanout/fragment.ninja\n");
  ASSERT_EQ(Gen("ninja").exit_code, 0);
  RunResult r = Ninja({"-j", "8", "fanout-all"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto interval = [&](const std::string& t) {
    return std::make_pair(std::stoll(ReadFile(build() + "/targets/" + t + "/out/start")),
                          std::stoll(ReadFile(build() + "/targets/" + t + "/out/end")));
  };
  auto overlap = [](std::pair<long long, long long> x, std::pair<long long, long long> y) {
    return x.first < y.second && y.first < x.second;
  };
  EXPECT_FALSE(overlap(interval("p1"), interval("p2")));
  // Control, measured in the same run: the two targets outside the pool do overlap, so the
  // build ran things at once and the pool is what kept p1 and p2 apart.
  EXPECT_TRUE(overlap(interval("free1"), interval("free2")));
}

TEST_F(FragmentE2E, AMakefileIncludesTheFragmentAndBuildsItsOwnTargetsAlongside) {
  WriteFile(parent() + "/Makefile",
            "all: own.txt fanout-all\n"
            "own.txt: own.in\n"
            "\tcp own.in own.txt\n"
            "include out/fanout/fragment.mk\n"
            ".PHONY: all\n");
  RunResult gen = Gen("make");
  RunResult first = Make();
  ExpectGenAndFirstBuild(gen, "include out/fanout/fragment.mk", first);
  // The including Makefile's default goal is still its own (`all`), not fanout's.
  EXPECT_TRUE(Contains(first.out, "cp own.in own.txt")) << first.out;

  // A second run rebuilds nothing: only the snapshot runs (it always does under Make).
  const long long b_result = MtimeNs(build() + "/targets/b/result.json");
  const long long manifest = MtimeNs(build() + "/manifest.json");
  RunResult again = Make();
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_FALSE(Contains(again.out, " exec ")) << again.out;
  EXPECT_FALSE(Contains(again.out, " gather ")) << again.out;
  EXPECT_EQ(MtimeNs(build() + "/targets/b/result.json"), b_result);
  EXPECT_EQ(MtimeNs(build() + "/manifest.json"), manifest);

  // `make fanout-b` after an edit of b's input reruns b alone.
  repo_.Write("src/b.txt", "b2\n");
  RunResult one = Make({"fanout-b"});
  ASSERT_EQ(one.exit_code, 0) << one.out << one.err;
  EXPECT_TRUE(Contains(one.out, "exec -B . --pool-slots b")) << one.out;
  EXPECT_FALSE(Contains(one.out, "--pool-slots a")) << one.out;
  EXPECT_EQ(ReadFile(build() + "/targets/b/out/b.txt"), "b2\n");

  // An edited description: Make remakes the included fragment and starts again.
  AddTargetC();
  RunResult regen = Make();
  ASSERT_EQ(regen.exit_code, 0) << regen.out << regen.err;
  EXPECT_TRUE(Contains(regen.out, " gen ")) << regen.out;
  EXPECT_EQ(ReadFile(build() + "/targets/c/out/c.txt"), "c\n");
  EXPECT_EQ(Manifest()["targets"].size(), 3u);

  const std::string fragment = ReadFile(build() + "/fragment.mk");
  EXPECT_FALSE(Contains(fragment, ".DEFAULT_GOAL")) << fragment;
  EXPECT_FALSE(Contains(fragment, ".SUFFIXES")) << fragment;
  EXPECT_TRUE(Contains(fragment, "\nfanout_fanout := ")) << fragment;
}

TEST_F(FragmentE2E, ABuildDirectoryMakeCannotNameIsRefusedWithThePath) {
  WriteFile(parent() + "/Makefile", "include out dir/fragment.mk\n");
  RunResult gen = ::fanout::testing::Run(
      {FanoutBinary(), "gen", "-f", repo_ / "fanout.yaml", "-B", "out dir", "--fragment", "make"},
      parent());
  EXPECT_EQ(gen.exit_code, 2) << gen.out << gen.err;
  EXPECT_TRUE(Contains(gen.err, "out dir")) << gen.err;
  EXPECT_TRUE(Contains(gen.err, "cannot be written in a Makefile")) << gen.err;
  // Control: Ninja can name it, so the Ninja fragment is written.
  RunResult ninja = ::fanout::testing::Run(
      {FanoutBinary(), "gen", "-f", repo_ / "fanout.yaml", "-B", "out dir", "--fragment", "ninja"},
      parent());
  EXPECT_EQ(ninja.exit_code, 0) << ninja.err;
  WriteFile(parent() + "/build.ninja", "subninja out$ dir/fragment.ninja\n");
  RunResult built = Ninja({"fanout-all"});
  ASSERT_EQ(built.exit_code, 0) << built.out << built.err;
  EXPECT_EQ(ReadFile(parent() + "/out dir/targets/b/out/b.txt"), "b1\n");
  RunResult noop = Ninja({"fanout-all"});
  EXPECT_TRUE(Contains(noop.out, "ninja: no work to do.")) << noop.out;
}

TEST_F(FragmentE2E, UsageErrors) {
  RunResult both = ::fanout::testing::Run({FanoutBinary(), "gen", "-f", repo_ / "fanout.yaml", "-B",
                                           "out/fanout", "--fragment", "ninja", "--format", "make"},
                                          parent());
  EXPECT_EQ(both.exit_code, 2) << both.err;
  EXPECT_TRUE(Contains(both.err, "drop --format make")) << both.err;
  RunResult prefix =
      ::fanout::testing::Run({FanoutBinary(), "gen", "-f", repo_ / "fanout.yaml", "-B",
                              "out/fanout", "--fragment", "ninja", "--prefix", "bad name"},
                             parent());
  EXPECT_EQ(prefix.exit_code, 2) << prefix.err;
  EXPECT_TRUE(Contains(prefix.err, "--prefix 'bad name'")) << prefix.err;
  RunResult parent_alone = ::fanout::testing::Run(
      {FanoutBinary(), "gen", "-f", repo_ / "fanout.yaml", "-B", "out/fanout", "--parent", "."},
      parent());
  EXPECT_EQ(parent_alone.exit_code, 2) << parent_alone.err;
}

TEST_F(FragmentE2E, CMakeRunsFanoutAsACustomTarget) {
  // The route for CMake users (docs/existing-builds.md): CMake's generated build.ninja cannot
  // subninja a file of ours, so a custom target runs `fanout build` into a directory of the
  // CMake build, alongside the project's own targets.
  RunResult built = CMakeBuild(
      "cmake_minimum_required(VERSION 3.16)\n"
      "project(parent NONE)\n"
      "add_custom_command(OUTPUT own.txt COMMAND cp ${CMAKE_SOURCE_DIR}/own.in own.txt\n"
      "                   DEPENDS own.in)\n"
      "add_custom_target(own ALL DEPENDS own.txt)\n"
      "add_custom_target(images ALL\n"
      "  COMMAND \"${FANOUT}\" build -f \"${REPO}/fanout.yaml\" -B \"${CMAKE_BINARY_DIR}/fanout\"\n"
      "  USES_TERMINAL VERBATIM)\n");
  ASSERT_EQ(built.exit_code, 0) << built.out << built.err;
  EXPECT_EQ(ReadFile(parent() + "/cmake/own.txt"), "own\n");
  const json manifest = json::parse(ReadFile(parent() + "/cmake/fanout/manifest.json"));
  EXPECT_EQ(manifest["status"], "succeeded") << manifest.dump();
  // A second build runs the custom target again (CMake's custom targets always do); fanout
  // then builds nothing.
  const long long b_result = MtimeNs(parent() + "/cmake/fanout/targets/b/result.json");
  RunResult again = CMakeRebuild();
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(MtimeNs(parent() + "/cmake/fanout/targets/b/result.json"), b_result);
}

TEST_F(FragmentE2E, CMakeRunsFanoutAsAnExternalProject) {
  // The other CMake route of docs/existing-builds.md: fanout's gen as the configure step and
  // ninja as the build step of an external project.
  RunResult built = CMakeBuild(
      "cmake_minimum_required(VERSION 3.16)\n"
      "project(parent NONE)\n"
      "include(ExternalProject)\n"
      "ExternalProject_Add(images\n"
      "  SOURCE_DIR ${REPO}\n"
      "  BINARY_DIR ${CMAKE_BINARY_DIR}/fanout\n"
      "  CONFIGURE_COMMAND ${FANOUT} gen -f <SOURCE_DIR>/fanout.yaml -B <BINARY_DIR>\n"
      "  BUILD_COMMAND ninja -C <BINARY_DIR>\n"
      "  BUILD_ALWAYS TRUE\n"
      "  INSTALL_COMMAND \"\")\n");
  ASSERT_EQ(built.exit_code, 0) << built.out << built.err;
  const json manifest = json::parse(ReadFile(parent() + "/cmake/fanout/manifest.json"));
  EXPECT_EQ(manifest["status"], "succeeded") << manifest.dump();
  EXPECT_EQ(ReadFile(parent() + "/cmake/fanout/targets/b/out/b.txt"), "b1\n");
  // BUILD_ALWAYS runs the inner ninja again, which finds nothing to do.
  RunResult again = CMakeRebuild();
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_TRUE(Contains(again.out, "ninja: no work to do.")) << again.out;
}

}  // namespace
}  // namespace fanout::testing
