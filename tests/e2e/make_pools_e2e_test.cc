// End-to-end: pools under GNU Make (docs/cli.md, `fanout exec --pool-slots`). Make has no pools,
// so each pooled target's runner holds one of the pool's slots (a lock file) while it runs:
// `make -j 8` never runs more of a pool than its depth and does reach it, and a make killed
// with SIGKILL leaves no slot held. Intervals come from the commands themselves, measured in
// the same run; nothing is asserted about how long anything took.
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "test_util.h"

namespace fanout::testing {
namespace {

/// How many live processes have `marker` in their command line (and, when `cwd_under` is
/// given, a working directory beneath it: other tests' runners are not this one's).
int ProcessesWith(const std::string& marker, const std::string& cwd_under = "") {
  int n = 0;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return 0;
  while (dirent* e = readdir(proc)) {
    if (!std::isdigit(static_cast<unsigned char>(e->d_name[0]))) continue;
    std::string cmdline = ReadFile(std::string("/proc/") + e->d_name + "/cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    const std::string stat = ReadFile(std::string("/proc/") + e->d_name + "/stat");
    const std::size_t paren = stat.rfind(") ");
    const bool zombie = paren != std::string::npos && stat.compare(paren + 2, 1, "Z") == 0;
    if (zombie || cmdline.find(marker) == std::string::npos) continue;
    if (!cwd_under.empty()) {
      char cwd[4096];
      const std::string link = std::string("/proc/") + e->d_name + "/cwd";
      const ssize_t len = readlink(link.c_str(), cwd, sizeof cwd - 1);
      if (len <= 0 || std::string(cwd, len).rfind(cwd_under, 0) != 0) continue;
    }
    ++n;
  }
  closedir(proc);
  return n;
}

class MakePools : public ::testing::Test {
 protected:
  static constexpr int kTargets = 5;

  void SetUp() override {
    std::string yaml = "version: 1\npools:\n  two: 2\ntargets:\n";
    for (int i = 1; i <= kTargets; ++i) {
      // The command's own start and end, in the artifacts; $SLEEP_S from the runner.
      yaml += "  p" + std::to_string(i) +
              ":\n    command: 'date +%s.%N > \"$FANOUT_OUT/start\"; sleep \"$SLEEP_S\"; date "
              "+%s.%N > \"$FANOUT_OUT/end\"'\n    inputs: [src/**]\n    pass_env: [SLEEP_S]\n"
              "    artifacts: [start, end]\n    pool: two\n";
    }
    repo_.Write("fanout.yaml", yaml);
    repo_.Write("src/a.txt", "a\n");
    repo_.Write(".gitignore", "/build/\n");
    repo_.Commit("initial");
    RunResult gen = ::fanout::testing::Run(
        {FanoutBinary(), "gen", "--format", "make", "-B", "build"}, repo_.path());
    ASSERT_EQ(gen.exit_code, 0) << gen.out << gen.err;
  }

  /// `make -j 8` in the build directory, bounded; `fanout` is the binary its recipes run.
  RunResult Make(const std::string& sleep, const std::string& fanout = FanoutBinary(),
                 const std::vector<std::string>& env = {}) {
    std::vector<std::string> e = env;
    e.push_back("SLEEP_S=" + sleep);
    return ::fanout::testing::Run({"timeout", "120", "make", "-C", repo_ / "build", "-f",
                                   "Makefile", "-j", "8", "FANOUT=" + fanout},
                                  repo_.path(), e);
  }

  /// The most targets whose commands ran at the same moment, from their recorded intervals.
  int MaxOverlap() {
    std::vector<std::pair<double, int>> events;
    for (int i = 1; i <= kTargets; ++i) {
      const std::string out = repo_ / ("build/targets/p" + std::to_string(i) + "/out/");
      EXPECT_TRUE(Exists(out + "end")) << out;
      events.emplace_back(std::stod(ReadFile(out + "start")), +1);
      events.emplace_back(std::stod(ReadFile(out + "end")), -1);
    }
    std::sort(events.begin(), events.end());  // at a tie, an end (-1) comes before a start
    int now = 0, most = 0;
    for (const auto& [at, delta] : events) most = std::max(most, now += delta);
    return most;
  }

  GitRepo repo_;
};

TEST_F(MakePools, MakeJ8RunsAtMostThePoolsDepthAndReachesIt) {
  // Positive control: without the slots (the test-only switch), Make runs more of the pool at
  // once, so the measurement can see it.
  RunResult weak = Make("1", FANOUT_WEAKENED_BINARY, {"FANOUT_TEST_WEAKEN=pool-slots"});
  ASSERT_EQ(weak.exit_code, 0) << weak.out << weak.err;
  EXPECT_GT(MaxOverlap(), 2) << "without slots, make -j 8 should run more than 2 at once";

  Sh("rm -rf '" + repo_.path() + "/build/targets'");
  RunResult r = Make("0.5");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(MaxOverlap(), 2);
  // Those that waited say so in their logs.
  int waited = 0;
  for (int i = 1; i <= kTargets; ++i) {
    const std::string log = ReadFile(repo_ / ("build/targets/p" + std::to_string(i) + "/log.txt"));
    if (log.find("fanout: waiting for a slot of pool 'two': all 2 are taken") !=
        std::string::npos) {
      ++waited;
      EXPECT_NE(log.find("of pool 'two' after"), std::string::npos) << log;
    }
  }
  EXPECT_GE(waited, kTargets - 2);
}

TEST_F(MakePools, AMakeKilledWithSigkillHoldsNoSlotAndTheNextRunProceeds) {
  std::mt19937 rng(std::random_device{}());
  // fmt, not "literal" + std::string (GCC 12's -Wrestrict false positive at -O3, bug 105329).
  const std::string marker = fmt::format("3{}.{}", 100 + rng() % 800, rng() % 1000);
  TempDir logs;
  {
    Background make({"/usr/bin/make", "-C", repo_ / "build", "-f", "Makefile", "-j", "8",
                     "FANOUT=" + FanoutBinary()},
                    repo_.path(), {"SLEEP_S=" + marker}, logs / "out");
    // Two commands sleeping: both slots are held, the other targets wait for one.
    ASSERT_TRUE(WaitFor([&] { return ProcessesWith("sleep " + marker) == 2; }))
        << ReadFile(logs / "out");
    kill(make.pid(), SIGKILL);
    make.Wait();
  }
  // The runners see their parent die and stop their commands (nothing is left holding a slot).
  EXPECT_TRUE(WaitFor([&] { return ProcessesWith("sleep " + marker) == 0; }))
      << "the commands outlived the killed make";
  EXPECT_TRUE(WaitFor([&] { return ProcessesWith(" exec -B . --pool-slots", repo_.path()) == 0; }))
      << "runners outlived the killed make";

  RunResult r = Make("0.2");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(MaxOverlap(), 2);
}

}  // namespace
}  // namespace fanout::testing
