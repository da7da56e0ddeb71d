// End-to-end: the local action cache (docs/cache.md). Results are restored by their action key
// across branch switches, build directories and clones; only what a change affects runs; a
// corrupt, truncated or incomplete entry is reported, discarded and rebuilt (and, as the
// positive control, the test-only build without verification restores the corrupt bytes);
// concurrent builds share one cache; what must never be cached is not.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace fanout::testing {
namespace {

using nlohmann::json;

constexpr const char* kDescription = R"yaml(version: 1
targets:
  base:
    command: echo "base $(cat a.txt)" > "$FANOUT_OUT/base.txt"; echo ran base
    inputs: [a.txt]
    artifacts: [base.txt]
  app:
    command: cat "$FANOUT_DEPS/base/base.txt" b.txt > "$FANOUT_OUT/app.bin"; chmod +x "$FANOUT_OUT/app.bin"; echo ran app
    inputs: [b.txt]
    deps: [base]
    artifacts: [app.bin]
  other:
    command: cat c.txt > "$FANOUT_OUT/other.txt"; echo ran other
    inputs: [c.txt]
    artifacts: [other.txt]
  volatile:
    command: cat c.txt > "$FANOUT_OUT/volatile.txt"; echo ran volatile
    inputs: [c.txt]
    artifacts: [volatile.txt]
    cache: false
)yaml";

class ActionCacheE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.Write("fanout.yaml", kDescription);
    repo_.Write("a.txt", "a1\n");
    repo_.Write("b.txt", "b1\n");
    repo_.Write("c.txt", "c1\n");
    repo_.Commit();
  }
  std::vector<std::string> CacheEnv(std::vector<std::string> extra = {}) const {
    extra.insert(extra.begin(), {"FANOUT_CACHE=on", "FANOUT_CACHE_DIR=" + cache_.path()});
    return extra;
  }
  RunResult Build(const std::string& dir, std::vector<std::string> env = {},
                  const std::string& where = "", const std::string& binary = "") {
    return fanout::testing::Run({binary.empty() ? FanoutBinary() : binary, "build", "-B", dir},
                                where.empty() ? repo_.path() : where, CacheEnv(std::move(env)));
  }
  /// Each target's status in `dir`'s manifest.
  std::map<std::string, std::string> Statuses(const std::string& dir,
                                              const std::string& where = "") {
    std::map<std::string, std::string> out;
    const json m = json::parse(
        ReadFile((where.empty() ? repo_.path() : where) + "/" + dir + "/manifest.json"));
    for (const json& t : m["targets"]) out[t["name"]] = t["status"];
    return out;
  }
  std::string Artifact(const std::string& dir, const std::string& target, const std::string& file) {
    return ReadFile(repo_ / (dir + "/targets/" + target + "/out/" + file));
  }
  /// The cache blob holding `content`.
  std::string BlobOf(const std::string& content) {
    RunResult sha = Sh("printf '%s' '" + content + "' | sha256sum | cut -c1-64");
    return cache_ / ("cas/" + sha.out.substr(0, 64));
  }

  GitRepo repo_;
  TempDir cache_;
};

const std::map<std::string, std::string> kAllCached = {
    {"app", "cached"}, {"base", "cached"}, {"other", "cached"}, {"volatile", "succeeded"}};

TEST_F(ActionCacheE2E, SwitchingBranchAndBackRestoresEveryTargetByteForByte) {
  RunResult r = Build("build");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Statuses("build"), (std::map<std::string, std::string>{{"app", "succeeded"},
                                                                   {"base", "succeeded"},
                                                                   {"other", "succeeded"},
                                                                   {"volatile", "succeeded"}}));
  const std::string app = Artifact("build", "app", "app.bin");
  EXPECT_EQ(app, "base a1\nb1\n");

  repo_.Git({"checkout", "-q", "-b", "feature"});
  repo_.Write("a.txt", "a2\n");
  repo_.Write("c.txt", "c2\n");
  repo_.Commit("feature");
  r = Build("build");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Artifact("build", "app", "app.bin"), "base a2\nb1\n");

  repo_.Git({"checkout", "-q", "main"});
  r = Build("build");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Statuses("build"), kAllCached) << r.out;
  EXPECT_EQ(Artifact("build", "app", "app.bin"), app);
  // Nothing ran: each log is the stored one, and says so.
  const std::string log = ReadFile(repo_ / "build/targets/app/log.txt");
  EXPECT_NE(log.find("restored from the local action cache"), std::string::npos) << log;
  struct stat st;
  ASSERT_EQ(stat((repo_ / "build/targets/app/out/app.bin").c_str(), &st), 0);
  EXPECT_TRUE(st.st_mode & S_IXUSR) << "the executable bit is restored";
  const json result = json::parse(ReadFile(repo_ / "build/targets/app/result.json"));
  EXPECT_EQ(result["status"], "cached");
  EXPECT_EQ(result["cached"]["store"], "local");
  EXPECT_EQ(result["action"]["key"].get<std::string>().size(), 64u);
  // The console and the JUnit report say `cached` too.
  EXPECT_NE(r.out.find("cached"), std::string::npos) << r.out;
}

TEST_F(ActionCacheE2E, AChangedInputRunsOnlyThatTargetAndWhatDependsOnIt) {
  ASSERT_EQ(Build("build").exit_code, 0);
  // A new build directory, so that Ninja runs every edge and only the cache can skip them.
  repo_.Write("b.txt", "b2\n");
  repo_.Commit("b");
  RunResult r = Build("build2");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Statuses("build2"), (std::map<std::string, std::string>{{"app", "succeeded"},
                                                                    {"base", "cached"},
                                                                    {"other", "cached"},
                                                                    {"volatile", "succeeded"}}));
  // A new build directory has no earlier result: the log compares with the cache's entry.
  EXPECT_NE(ReadFile(repo_ / "build2/targets/app/log.txt")
                .find("changed since the local cache's latest entry of this target: its inputs"),
            std::string::npos)
      << ReadFile(repo_ / "build2/targets/app/log.txt");
  repo_.Write("a.txt", "a3\n");
  repo_.Commit("a");
  r = Build("build3");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Statuses("build3"), (std::map<std::string, std::string>{{"app", "succeeded"},
                                                                    {"base", "succeeded"},
                                                                    {"other", "cached"},
                                                                    {"volatile", "succeeded"}}));
  EXPECT_EQ(Artifact("build3", "app", "app.bin"), "base a3\nb2\n");
  // explain: the key's parts, and what changed since the last result here.
  repo_.Write("b.txt", "b4\n");
  repo_.Commit("b4");
  r = fanout::testing::Run({FanoutBinary(), "explain", "-B", "build3", "app"}, repo_.path(),
                           CacheEnv());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("changed since: its inputs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("does not have this action"), std::string::npos) << r.out;
}

TEST_F(ActionCacheE2E, AFreshCloneWithThePopulatedCacheBuildsNothing) {
  ASSERT_EQ(Build("build").exit_code, 0);
  TempDir elsewhere;
  chmod(elsewhere.path().c_str(), 0755);
  ASSERT_EQ(
      fanout::testing::Run({"git", "clone", "-q", repo_.path(), elsewhere / "clone"}).exit_code, 0);
  RunResult r = Build("out", {}, elsewhere / "clone");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Statuses("out", elsewhere / "clone"), kAllCached);
  EXPECT_EQ(ReadFile(elsewhere / "clone/out/targets/app/out/app.bin"), "base a1\nb1\n");
}

TEST_F(ActionCacheE2E, CorruptTruncatedAndMissingBlobsAreReportedDiscardedAndRebuilt) {
  ASSERT_EQ(Build("build").exit_code, 0);
  const std::string blob = BlobOf("c1\n");  // other.txt (and volatile.txt, never stored)
  ASSERT_TRUE(Exists(blob)) << blob;

  // The positive control: without verification, the flipped byte is restored as the artifact
  // (and only gather's own check of result.json's digests then stops the build).
  WriteFile(blob, "C1\n");
  RunResult r = Build("control", {"FANOUT_TEST_WEAKEN=cache-verify"}, "", FANOUT_WEAKENED_BINARY);
  EXPECT_EQ(json::parse(ReadFile(repo_ / "control/targets/other/result.json"))["status"], "cached");
  EXPECT_EQ(Artifact("control", "other", "other.txt"), "C1\n");

  const std::vector<std::pair<std::string, std::function<void()>>> faults = {
      {"flipped", [&] { WriteFile(blob, "C1\n"); }},
      {"truncated", [&] { WriteFile(blob, "c"); }},
      {"deleted", [&] { unlink(blob.c_str()); }},
  };
  int n = 0;
  for (const auto& [name, fault] : faults) {
    SCOPED_TRACE(name);
    fault();
    const std::string dir = "build-" + std::to_string(++n);
    r = Build(dir);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE((r.out + r.err).find("is unusable"), std::string::npos) << r.out << r.err;
    EXPECT_EQ(Statuses(dir)["other"], "succeeded");
    EXPECT_EQ(Artifact(dir, "other", "other.txt"), "c1\n");
    // Rebuilt and stored again: the next build restores the good bytes.
    const std::string again = dir + "-again";
    r = Build(again);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(Statuses(again)["other"], "cached");
    EXPECT_EQ(Artifact(again, "other", "other.txt"), "c1\n");
  }
  r = fanout::testing::Run({FanoutBinary(), "cache", "verify", "--cache-dir", cache_.path()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST_F(ActionCacheE2E, TwoBuildsShareOneCacheAtOnce) {
  TempDir other;
  chmod(other.path().c_str(), 0755);
  ASSERT_EQ(fanout::testing::Run({"git", "clone", "-q", repo_.path(), other / "clone"}).exit_code,
            0);
  RunResult first, second;
  std::thread t([&] { first = Build("build"); });
  second = Build("build", {}, other / "clone");
  t.join();
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  RunResult r = Build("third");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Statuses("third"), kAllCached);
  EXPECT_EQ(Artifact("third", "app", "app.bin"), "base a1\nb1\n");
  r = fanout::testing::Run({FanoutBinary(), "cache", "verify", "--cache-dir", cache_.path()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST_F(ActionCacheE2E, WhatMustNotBeCachedIsNot) {
  // A failure is never stored: once the variable lets it succeed, it runs.
  repo_.Write("fanout.yaml", std::string(kDescription) +
                                 "  flag:\n    command: test \"$FLAG\" = yes && echo ok > "
                                 "\"$FANOUT_OUT/f.txt\"\n    inputs: [a.txt]\n"
                                 "    artifacts: [f.txt]\n    pass_env: [FLAG]\n");
  repo_.Commit("flag");
  RunResult r = Build("b1", {"FLAG=no"});
  ASSERT_NE(r.exit_code, 0);
  EXPECT_EQ(Statuses("b1")["flag"], "failed");
  r = Build("b2", {"FLAG=yes"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Statuses("b2")["flag"], "succeeded");
  // pass_env values are part of the key: the same value restores, another runs.
  r = Build("b3", {"FLAG=yes"});
  EXPECT_EQ(Statuses("b3")["flag"], "cached");
  // `cache: false` is never restored.
  EXPECT_EQ(Statuses("b3")["volatile"], "succeeded");
  // FANOUT_CACHE=read restores but stores nothing; off does neither.
  repo_.Write("c.txt", "c9\n");
  repo_.Commit("c9");
  r = Build("b4", {"FLAG=yes", "FANOUT_CACHE=read"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Statuses("b4")["other"], "succeeded");
  EXPECT_EQ(Statuses("b4")["app"], "cached");
  r = Build("b5", {"FLAG=yes"});
  EXPECT_EQ(Statuses("b5")["other"], "succeeded") << "read mode stored nothing";
  r = Build("b6", {"FLAG=yes", "FANOUT_CACHE=off"});
  EXPECT_EQ(Statuses("b6")["other"], "succeeded");
}

TEST_F(ActionCacheE2E, ResultsOfAnUnenforcedSandboxAreNotStoredUnlessAllowed) {
  // The process tier without Landlock (the test-only switch turns Landlock off) cannot keep a
  // command to its inputs.
  const std::vector<std::string> unenforced = {"FANOUT_SANDBOX=process",
                                               "FANOUT_TEST_WEAKEN=landlock"};
  RunResult r = Build("b1", unenforced, "", FANOUT_WEAKENED_BINARY);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(ReadFile(repo_ / "b1/targets/other/log.txt").find("not stored in the action cache"),
            std::string::npos);
  r = Build("b2");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Statuses("b2")["other"], "succeeded") << "nothing was stored";
  // With Landlock (where the kernel has it) or the namespaces tier, or when allowed: stored.
  repo_.Write("c.txt", "c5\n");
  repo_.Commit("c5");
  std::vector<std::string> allowed = unenforced;
  allowed.push_back("FANOUT_CACHE_UNENFORCED=true");
  r = Build("b3", allowed, "", FANOUT_WEAKENED_BINARY);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  r = Build("b4");
  EXPECT_EQ(Statuses("b4")["other"], "cached");
}

TEST_F(ActionCacheE2E, ABuildWithAProtectionTurnedOffNeitherStoresNorRestores) {
  // The test-only build with the seccomp filter off: its result proves nothing about a build
  // with it, and the other way round.
  RunResult r = Build("weak", {"FANOUT_TEST_WEAKEN=seccomp"}, "", FANOUT_WEAKENED_BINARY);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(ReadFile(repo_ / "weak/targets/other/log.txt").find("the action cache is not used"),
            std::string::npos);
  r = Build("real");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Statuses("real")["other"], "succeeded") << "nothing was stored by the weakened run";
  r = Build("weak2", {"FANOUT_TEST_WEAKEN=seccomp"}, "", FANOUT_WEAKENED_BINARY);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Statuses("weak2")["other"], "succeeded") << "nor restored by one";
}

}  // namespace
}  // namespace fanout::testing
