// End-to-end fault injection (issue 17): signals at random moments during a build of sleeping
// targets, a killed Ninja or runner, two builds in one build directory, a full disk and a
// read-only build directory. Each case asserts the final state: no process of the build left
// (found by scanning /proc), no mount left, a report that matches the records, and a rebuild
// that reruns exactly what did not finish. The protections have positive controls: the test-only
// `fanout-weakened` with FANOUT_TEST_WEAKEN=reaper or build-lock shows the fault doing harm.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace fanout::testing {
namespace {

using nlohmann::json;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

/// Whether process `pid` has a handler for `sig` (the SigCgt mask in /proc/PID/status). Before
/// a program's main installs its handlers the kernel's default action kills it, and no
/// program can do better: the signal tests start their random delay from here.
bool CatchesSignal(pid_t pid, int sig) {
  std::istringstream status(ReadFile("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("SigCgt:", 0) != 0) continue;
    const unsigned long long mask = std::stoull(line.substr(7), nullptr, 16);
    return (mask >> (sig - 1)) & 1;
  }
  return false;
}

/// A process found in /proc: its pid, state letter and command line.
struct Proc {
  pid_t pid;
  char state;
  std::string cmdline;
};

/// The live (not zombie) processes whose command line contains `marker` and, when `cwd_under`
/// is given, whose working directory is in it (other tests run fanout at the same time).
std::vector<Proc> LiveProcessesWith(const std::string& marker, const std::string& cwd_under = "") {
  std::vector<Proc> found;
  DIR* proc = opendir("/proc");
  if (!proc) return found;
  while (dirent* e = readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (*end != '\0' || pid <= 0 || pid == getpid()) continue;
    std::string cmdline = ReadFile(std::string("/proc/") + e->d_name + "/cmdline");
    for (char& c : cmdline) c = c == '\0' ? ' ' : c;
    if (!Contains(cmdline, marker)) continue;
    if (!cwd_under.empty()) {
      char cwd[4096];
      const ssize_t n =
          readlink((std::string("/proc/") + e->d_name + "/cwd").c_str(), cwd, sizeof cwd - 1);
      if (n <= 0 || std::string(cwd, static_cast<size_t>(n)).rfind(cwd_under, 0) != 0) continue;
    }
    const std::string line = ReadFile(std::string("/proc/") + e->d_name + "/stat");
    const size_t paren = line.rfind(')');
    const char state =
        paren != std::string::npos && paren + 2 < line.size() ? line[paren + 2] : '?';
    if (state == 'Z' || state == 'X' || state == '?') continue;
    found.push_back({static_cast<pid_t>(pid), state, cmdline});
  }
  closedir(proc);
  return found;
}

std::string Describe(const std::vector<Proc>& procs) {
  std::string s;
  for (const Proc& p : procs) s += std::to_string(p.pid) + " " + p.state + " " + p.cmdline + "\n";
  return s;
}

/// Mounts of this mount namespace under `dir`.
std::vector<std::string> MountsUnder(const std::string& dir) {
  std::vector<std::string> found;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devs, root, point;
    fields >> id >> parent >> devs >> root >> point;
    if (point == dir || point.rfind(dir + "/", 0) == 0) found.push_back(point);
  }
  return found;
}

/// The processes holding a lock on `path` (/proc/locks, which any user can read): a target's
/// runner holds its workspace lock, BUILD/.fanout/ws/TARGET.lock (sandbox/runner.cc), whether
/// Ninja started it as `fanout exec` or it was forked from the build's exec server
/// (cli/exec_server.h).
std::vector<pid_t> HoldersOf(const std::string& path) {
  std::vector<pid_t> found;
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return found;
  const std::string id = fmt::format("{:02x}:{:02x}:{}", major(st.st_dev), minor(st.st_dev),
                                     static_cast<unsigned long>(st.st_ino));
  std::istringstream locks(ReadFile("/proc/locks"));
  for (std::string line; std::getline(locks, line);) {
    // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"
    std::istringstream fields(line);
    std::string n, kind, mode, access, dev;
    long pid = 0;
    fields >> n >> kind >> mode >> access >> pid >> dev;
    if (kind == "FLOCK" && dev == id && pid > 0) found.push_back(static_cast<pid_t>(pid));
  }
  return found;
}

/// The pid of a direct child of `parent` whose command line contains `marker`, or -1.
pid_t ChildWith(pid_t parent, const std::string& marker) {
  for (const Proc& p : LiveProcessesWith(marker)) {
    const std::string line = ReadFile("/proc/" + std::to_string(p.pid) + "/stat");
    const size_t paren = line.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream rest(line.substr(paren + 2));
    char state;
    pid_t ppid;
    rest >> state >> ppid;
    if (ppid == parent) return p.pid;
  }
  return -1;
}

class FaultInjection : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    seed_ = rd();
    rng_.seed(seed_);
    marker_ = std::to_string(3000 + seed_ % 1000) + "." + std::to_string(100000 + seed_ % 899999);
    repo_.Write("src/main.txt", "source\n");
    repo_.Write(".gitignore", "fanout-out/\n");
  }

  /// Sleeping targets: four in tier 0 (one leaving a background child that would outlive its
  /// shell, marked so that /proc finds it), two depending on them, pool `two` of depth 2.
  void DescribeSleepers() {
    std::string t;
    auto target = [&](const std::string& name, const std::string& command,
                      const std::string& deps) {
      t += "  " + name + ":\n    command: '" + command +
           "; echo ok > \"$FANOUT_OUT/o.txt\"'\n    inputs: [src/**]\n    artifacts: [o.txt]\n" +
           "    pool: two\n" + (deps.empty() ? "" : "    deps: [" + deps + "]\n");
    };
    target("a1", "sleep 0.6", "");
    target("a2", "sleep 1.1", "");
    target("a3", "(sleep " + marker_ + " &); sleep 0.9", "");
    target("a4", "sleep 0.4", "");
    target("b1", "sleep 0.7", "a1");
    target("b2", "sleep " + marker_ + " & sleep 0.5; kill %1", "a3, a4");
    repo_.Write("fanout.yaml", "version: 1\npools:\n  two: 2\ntargets:\n" + t);
    repo_.Commit("initial");
    names_ = {"a1", "a2", "a3", "a4", "b1", "b2"};
  }

  std::string Build(const std::string& rel) const { return repo_ / ("fanout-out/" + rel); }
  /// a3's workspace lock (HoldersOf).
  std::string A3Lock() const { return Build(".fanout/ws/a3.lock"); }

  json Manifest() const {
    const std::string text = ReadFile(Build("manifest.json"));
    return json::parse(text, nullptr, false);
  }

  std::map<std::string, json> ManifestTargets() const {
    std::map<std::string, json> by_name;
    const json m = Manifest();
    if (!m.is_object()) return by_name;
    for (const json& t : m["targets"]) by_name[t["name"].get<std::string>()] = t;
    return by_name;
  }

  static double MtimeOf(const std::string& path) {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) return 0;
    return static_cast<double>(st.st_mtim.tv_sec) + static_cast<double>(st.st_mtim.tv_nsec) / 1e9;
  }

  /// The report matches the records: `succeeded` exactly where a result.json and its artifact
  /// are; never `failed` (no command failed); each record written before the manifest.
  /// Returns the targets that succeeded.
  std::set<std::string> CheckConsistentReport(const std::string& context) {
    std::set<std::string> done;
    std::map<std::string, json> targets = ManifestTargets();
    EXPECT_EQ(targets.size(), names_.size()) << context << ReadFile(Build("manifest.json"));
    const double manifest_at = MtimeOf(Build("manifest.json"));
    struct stat manifest_stat {};
    EXPECT_EQ(stat(Build("manifest.json").c_str(), &manifest_stat), 0) << context;
    EXPECT_EQ(manifest_stat.st_uid, user_)
        << context << "the manifest's owner is not who ran fanout";
    for (const std::string& name : names_) {
      const std::string status = targets[name].value("status", "");
      const bool result = Exists(Build("targets/" + name + "/result.json"));
      EXPECT_NE(status, "failed") << context << name << ": " << targets[name].dump();
      EXPECT_EQ(status == "succeeded", result) << context << name << ": " << targets[name].dump();
      if (result) {
        done.insert(name);
        EXPECT_EQ(ReadFile(Build("targets/" + name + "/out/o.txt")), "ok\n") << context << name;
      }
      for (const char* record : {"result.json", "failure.json"}) {
        const std::string path = Build("targets/" + name + "/" + record);
        if (Exists(path)) {
          EXPECT_LE(MtimeOf(path), manifest_at) << context << path;
        }
      }
    }
    return done;
  }

  /// Nothing of the build left running, and no mount under the repository.
  void CheckNothingLeft(const std::string& context) {
    EXPECT_EQ(Describe(LiveProcessesWith(marker_)), "") << context << "left running";
    EXPECT_EQ(Describe(LiveProcessesWith("exec -B . ", repo_.path())), "")
        << context << "runners left";
    EXPECT_EQ(Describe(LiveProcessesWith("exec-server", repo_.path())), "")
        << context << "the exec server or its workers left";
    EXPECT_TRUE(MountsUnder(repo_.path()).empty()) << context;
  }

  /// Rebuilds; the targets that had succeeded keep their result (same start time), the rest
  /// run now.
  void CheckRebuildRerunsExactlyTheUnfinished(const std::set<std::string>& done,
                                              const std::vector<std::string>& env,
                                              const std::string& context) {
    std::map<std::string, double> started;
    for (const std::string& name : done) {
      started[name] =
          json::parse(ReadFile(Build("targets/" + name + "/result.json"))).value("started_at", 0.0);
    }
    const double before = static_cast<double>(time(nullptr)) - 1;
    RunResult again =
        ::fanout::testing::Run(As({FanoutBinary(), "build", "-j", "4"}), repo_.path(), env);
    ASSERT_EQ(again.exit_code, 0) << context << again.out << again.err;
    for (const std::string& name : names_) {
      const json r = json::parse(ReadFile(Build("targets/" + name + "/result.json")));
      if (done.count(name)) {
        EXPECT_EQ(r.value("started_at", 0.0), started[name]) << context << name << " reran";
      } else {
        EXPECT_GE(r.value("started_at", 0.0), before) << context << name << " did not run";
      }
    }
  }

  /// `argv`, run as the user the test runs fanout as (`user_`: root, or an unprivileged uid
  /// through setpriv).
  std::vector<std::string> As(std::vector<std::string> argv) const {
    if (user_ == 0) return argv;
    const std::string id = std::to_string(user_);
    argv.insert(argv.begin(),
                {"/usr/bin/setpriv", "--reuid=" + id, "--regid=" + id, "--clear-groups"});
    return argv;
  }

  GitRepo repo_;
  uid_t user_ = 0;
  unsigned seed_ = 0;
  std::mt19937 rng_;
  std::string marker_;
  std::vector<std::string> names_;
};

/// The fault tests run in each sandbox tier, as root (as CI runs fanout) and as an unprivileged
/// user (as a developer does): the parameter is "TIER" or "TIER_unprivileged".
class SignalAtRandom : public FaultInjection, public ::testing::WithParamInterface<const char*> {
 protected:
  static constexpr uid_t kNobody = 65534;

  void SetUp() override {
    FaultInjection::SetUp();
    if (Unprivileged()) {
      if (geteuid() != 0 || access("/usr/bin/setpriv", X_OK) != 0) {
        GTEST_SKIP() << "needs root and setpriv to run fanout as an unprivileged user";
      }
      user_ = kNobody;
      // The user's own home, and (after DescribeSleepers) its own checkout: libgit2's owner
      // validation refuses a repository of another user.
      Sh("chown " + std::to_string(kNobody) + ":" + std::to_string(kNobody) + " '" + home_.path() +
         "'");
    }
    if (Tier() != "namespaces") return;
    // A machine without the tier (a chroot, a locked-down CI runner, user namespaces closed to
    // unprivileged users) says so and skips.
    RunResult doctor = ::fanout::testing::Run(As({FanoutBinary(), "doctor", "--require-sandbox"}),
                                              home_.path(), Env());
    if (doctor.exit_code != 0) {
      GTEST_SKIP() << "the namespaces tier is not available here: " << doctor.out << doctor.err;
    }
  }
  std::string Tier() const {
    const std::string p = GetParam();
    return p.substr(0, p.find('_'));
  }
  bool Unprivileged() const {
    return std::string(GetParam()).find("_unprivileged") != std::string::npos;
  }
  std::vector<std::string> Env() const {
    std::vector<std::string> env = {"FANOUT_SANDBOX=" + Tier(), "FANOUT_CACHE=off"};
    if (Unprivileged()) env.push_back("HOME=" + home_.path());
    return env;
  }
  /// The sleeping targets, in a checkout the user running fanout owns.
  void DescribeSleepersForUser() {
    DescribeSleepers();
    if (user_ != 0) {
      Sh("chown -R " + std::to_string(user_) + ":" + std::to_string(user_) + " '" + repo_.path() +
         "'");
    }
  }

  TempDir home_;
};

// CI cancelling a job sends SIGTERM to the process it started, not to its group.
TEST_P(SignalAtRandom, SigtermToBuildAloneStopsEverythingAndReportsWhatHappened) {
  DescribeSleepersForUser();
  std::uniform_int_distribution<int> delay_ms(0, 2500);
  for (int round = 0; round < 3; ++round) {
    // The first round's signal comes as soon as fanout can catch it, while it reads the
    // description (a CI job cancelled at once); the others at a random moment.
    const int delay = round == 0 ? 0 : delay_ms(rng_);
    const std::string context = "seed " + std::to_string(seed_) + ", round " +
                                std::to_string(round) + ", SIGTERM after " + std::to_string(delay) +
                                " ms: ";
    TempDir logs;
    std::set<std::string> done;
    // Each round starts from an empty build directory: only this round's records count.
    Sh("rm -rf '" + repo_.path() + "/fanout-out'");
    {
      Background build(As({FanoutBinary(), "build", "-j", "4"}), repo_.path(), Env(), logs / "out");
      // Polled closely: fanout reads a description this small in a few milliseconds.
      bool catches = false;
      for (int i = 0; i < 300000 && !catches && build.Running(); ++i) {
        catches = CatchesSignal(build.pid(), SIGTERM);
        if (!catches) std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      ASSERT_TRUE(catches || !build.Running()) << context << "fanout build never caught SIGTERM";
      std::this_thread::sleep_for(std::chrono::milliseconds(delay));
      kill(build.pid(), SIGTERM);
      const int rc = build.Wait();
      const std::string out = ReadFile(logs / "out");
      // It may have finished before the signal came.
      ASSERT_TRUE(rc == 143 || rc == 0) << context << rc << "\n" << out;
      CheckNothingLeft(context);
      done = CheckConsistentReport(context + out);
      if (rc == 0) {
        EXPECT_EQ(done.size(), names_.size()) << context << out;
      }
    }
    CheckRebuildRerunsExactlyTheUnfinished(done, Env(), context);
  }
}

TEST_P(SignalAtRandom, SigkillOfNinjaStopsItsEdgesAndNoTargetIsReportedFailed) {
  DescribeSleepersForUser();
  const std::string context = "seed " + std::to_string(seed_) + ": ";
  TempDir logs;
  std::set<std::string> done;
  {
    Background build(As({FanoutBinary(), "build", "-j", "4"}), repo_.path(), Env(), logs / "out");
    pid_t ninja = -1;
    ASSERT_TRUE(WaitFor([&] {
      ninja = ChildWith(build.pid(), "ninja -C");
      return ninja > 0 && !LiveProcessesWith(marker_).empty();
    })) << ReadFile(logs / "out");
    kill(ninja, SIGKILL);
    const int rc = build.Wait();
    EXPECT_NE(rc, 0) << ReadFile(logs / "out");
    CheckNothingLeft(context);
    done = CheckConsistentReport(context + ReadFile(logs / "out"));
    EXPECT_LT(done.size(), names_.size());
  }
  CheckRebuildRerunsExactlyTheUnfinished(done, Env(), context);
}

TEST_P(SignalAtRandom, SigkillOfARunnerLeavesNoOrphanAndItsTargetIsInterruptedNotFailed) {
  DescribeSleepersForUser();
  const std::string context = "seed " + std::to_string(seed_) + ": ";
  TempDir logs;
  Background build(As({FanoutBinary(), "build", "-j", "4"}), repo_.path(), Env(), logs / "out");
  ASSERT_TRUE(WaitFor([&] {
    // a3's runner, once its command has started the marked background sleep.
    return !LiveProcessesWith(marker_).empty() && !HoldersOf(A3Lock()).empty();
  })) << ReadFile(logs / "out");
  for (pid_t p : HoldersOf(A3Lock())) kill(p, SIGKILL);
  // The marked sleep is an orphan now; it must not outlive its runner for long, nor the build.
  ASSERT_TRUE(WaitFor([&] { return LiveProcessesWith(marker_).empty() || !build.Running(); }));
  const int rc = build.Wait();
  const std::string out = ReadFile(logs / "out");
  EXPECT_EQ(rc, 1) << out;
  CheckNothingLeft(context);
  std::map<std::string, json> targets = ManifestTargets();
  EXPECT_EQ(targets["a3"].value("status", ""), "interrupted") << targets["a3"].dump() << out;
  EXPECT_EQ(targets["b2"].value("status", ""), "blocked") << targets["b2"].dump();
  CheckConsistentReport(context + out);
}

INSTANTIATE_TEST_SUITE_P(Tiers, SignalAtRandom,
                         ::testing::Values("namespaces", "process", "namespaces_unprivileged",
                                           "process_unprivileged"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param);
                         });

// The positive control of the three above: with the build's reaper turned off, a runner's
// orphan outlives the build.
TEST_F(FaultInjection, WithoutTheReaperARunnersOrphanOutlivesTheBuild) {
  DescribeSleepers();
  TempDir logs;
  const std::vector<std::string> env = {"FANOUT_SANDBOX=process", "FANOUT_CACHE=off",
                                        "FANOUT_TEST_WEAKEN=reaper"};
  Background build({FANOUT_WEAKENED_BINARY, "build", "-j", "4"}, repo_.path(), env, logs / "out");
  ASSERT_TRUE(WaitFor([&] {
    return !LiveProcessesWith(marker_).empty() && !HoldersOf(A3Lock()).empty();
  })) << ReadFile(logs / "out");
  for (pid_t p : HoldersOf(A3Lock())) kill(p, SIGKILL);
  build.Wait();
  const std::vector<Proc> left = LiveProcessesWith(marker_);
  EXPECT_FALSE(left.empty()) << "the fault did no harm: this control shows nothing";
  for (const Proc& p : left) kill(p.pid, SIGKILL);
}

TEST_F(FaultInjection, SigkillOfBuildStopsNinjaAndItsEdges) {
  DescribeSleepers();
  TempDir logs;
  // Where the build makes its exec server's socket directory (cli/exec_server.h).
  TempDir tmp;
  const std::vector<std::string> env = {"FANOUT_CACHE=off", "TMPDIR=" + tmp.path()};
  auto socket_dirs = [&] {
    std::vector<std::string> found;
    for (const auto& e : std::filesystem::directory_iterator(tmp.path())) {
      if (e.path().filename().string().starts_with("fanout-exec-")) found.push_back(e.path());
    }
    return found;
  };
  {
    Background build({FanoutBinary(), "build", "-j", "4"}, repo_.path(), env, logs / "out");
    ASSERT_TRUE(WaitFor([&] { return !LiveProcessesWith(marker_).empty(); }))
        << ReadFile(logs / "out");
    ASSERT_EQ(socket_dirs().size(), 1u) << "the build runs no exec server: nothing to check";
    kill(build.pid(), SIGKILL);
    build.Wait();
  }
  // Ninja got SIGTERM when the build died, and stops its edges; nothing is left once they
  // have recorded their interruption.
  EXPECT_TRUE(WaitFor([&] {
    return LiveProcessesWith(marker_).empty() &&
           LiveProcessesWith("exec -B . ", repo_.path()).empty() &&
           LiveProcessesWith("exec-server", repo_.path()).empty() &&
           LiveProcessesWith("ninja -C " + repo_.path()).empty();
  })) << Describe(LiveProcessesWith(repo_.path()))
      << Describe(LiveProcessesWith(marker_));
  for (const std::string& name : names_) {
    const std::string failure = ReadFile(Build("targets/" + name + "/failure.json"));
    if (failure.empty()) continue;
    EXPECT_EQ(json::parse(failure).value("status", ""), "interrupted") << name << failure;
  }
  // The server, gone last, removed its socket and directory, which the build could not.
  EXPECT_TRUE(WaitFor([&] { return socket_dirs().empty(); })) << socket_dirs().front();
}

// --- One build directory, one build -------------------------------------------------------

TEST_F(FaultInjection, ASecondBuildWaitsForTheFirstOrRefusesWithNoWait) {
  DescribeSleepers();
  TempDir logs;
  const std::vector<std::string> env = {"FANOUT_CACHE=off"};
  Background first({FanoutBinary(), "build", "-j", "4"}, repo_.path(), env, logs / "first");
  const pid_t first_pid = first.pid();
  ASSERT_TRUE(WaitFor([&] { return !LiveProcessesWith(marker_).empty(); }))
      << ReadFile(logs / "first");

  RunResult refused =
      ::fanout::testing::Run({FanoutBinary(), "build", "--no-wait"}, repo_.path(), env);
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_TRUE(
      Contains(refused.err, "is in use by pid " + std::to_string(first_pid) + ": fanout build"))
      << refused.err;
  EXPECT_TRUE(Contains(refused.err, "use another build directory (-B)")) << refused.err;
  RunResult gen = ::fanout::testing::Run({FanoutBinary(), "gen", "--no-wait"}, repo_.path(), env);
  EXPECT_EQ(gen.exit_code, 2) << gen.err;

  // The second one waits, says so, and then builds: everything is up to date by then.
  Background second({FanoutBinary(), "build", "-j", "4"}, repo_.path(), env, logs / "second");
  EXPECT_EQ(first.Wait(), 0) << ReadFile(logs / "first");
  EXPECT_EQ(second.Wait(), 0) << ReadFile(logs / "second");
  EXPECT_TRUE(Contains(ReadFile(logs / "second"),
                       "waiting for pid " + std::to_string(first_pid) + ": fanout build to finish"))
      << ReadFile(logs / "second");
  EXPECT_TRUE(Contains(ReadFile(logs / "second"), "6 targets: 6 succeeded"))
      << ReadFile(logs / "second");
}

// The positive control: without the lock, the second build's Ninja runs beside the first's,
// and the first one's targets are run twice at once.
TEST_F(FaultInjection, WithoutTheLockTwoBuildsRunTheSameTargetsAtOnce) {
  DescribeSleepers();
  TempDir logs;
  const std::vector<std::string> env = {"FANOUT_CACHE=off", "FANOUT_TEST_WEAKEN=build-lock"};
  Background first({FANOUT_WEAKENED_BINARY, "build", "-j", "4"}, repo_.path(), env, logs / "first");
  ASSERT_TRUE(WaitFor([&] { return !LiveProcessesWith(marker_).empty(); }))
      << ReadFile(logs / "first");
  RunResult second =
      ::fanout::testing::Run({FANOUT_WEAKENED_BINARY, "build", "-j", "4"}, repo_.path(), env);
  first.Wait();
  EXPECT_FALSE(Contains(second.err, "waiting for")) << second.err;
  EXPECT_TRUE(Contains(second.out + second.err, "is already being built by another"))
      << "the fault did no harm: this control shows nothing\n"
      << second.out << second.err;
}

TEST_F(FaultInjection, ASecondRunnerOfATargetTouchesNothingOfTheFirst) {
  repo_.Write("fanout.yaml", "version: 1\ntargets:\n  long:\n    command: 'sleep " + marker_ +
                                 " & sleep 3; kill %1; echo done'\n    inputs: [src/**]\n");
  repo_.Commit("initial");
  TempDir logs;
  const std::vector<std::string> env = {"FANOUT_CACHE=off"};
  Background build({FanoutBinary(), "build"}, repo_.path(), env, logs / "out");
  ASSERT_TRUE(WaitFor([&] { return !LiveProcessesWith(marker_).empty(); }))
      << ReadFile(logs / "out");
  const std::string log = Build("targets/long/log.txt");
  const double log_mtime = MtimeOf(log);
  RunResult second = ::fanout::testing::Run({FanoutBinary(), "exec", "-B", ".", "long"},
                                            repo_.path() + "/fanout-out", env);
  EXPECT_EQ(second.exit_code, 1) << second.err;
  EXPECT_TRUE(Contains(second.err, "is already being built by another 'fanout exec'"))
      << second.err;
  EXPECT_EQ(MtimeOf(log), log_mtime) << "the second runner touched the first one's log";
  EXPECT_FALSE(Exists(Build("targets/long/failure.json")));
  EXPECT_EQ(build.Wait(), 0) << ReadFile(logs / "out");
  EXPECT_TRUE(Contains(ReadFile(log), "done")) << ReadFile(log);
}

// --- Full disks and read-only build directories ---------------------------------------------

class SmallDisk : public FaultInjection {
 protected:
  void SetUp() override {
    FaultInjection::SetUp();
    if (geteuid() != 0) GTEST_SKIP() << "mounting a small tmpfs needs root";
    dir_ = repo_ / "fanout-out";
    mkdir(dir_.c_str(), 0755);
    ASSERT_EQ(mount("tmpfs", dir_.c_str(), "tmpfs", 0, "size=5m"), 0) << strerror(errno);
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
  }
  std::string dir_;
  bool mounted_ = false;
};

TEST_F(SmallDisk, AnArtifactLargerThanTheDiskFailsItsTargetLeavesNothingHalfWrittenAndRecovers) {
  repo_.Write(
      "fanout.yaml",
      "version: 1\ntargets:\n"
      "  big:\n    command: 'head -c ${SIZE_MB}000000 /dev/zero > \"$FANOUT_OUT/big.bin\"'\n"
      "    inputs: [src/**]\n    artifacts: [big.bin]\n    env: {SIZE_MB: \"8\"}\n");
  repo_.Commit("initial");
  const std::vector<std::string> env = {"FANOUT_CACHE=off"};
  RunResult r = ::fanout::testing::Run({FanoutBinary(), "build"}, repo_.path(), env);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out + r.err, "No space left on device")) << r.out << r.err;
  EXPECT_FALSE(Exists(Build("targets/big/out/big.bin"))) << "the partial artifact was kept";
  EXPECT_FALSE(Exists(Build("targets/big/result.json")));
  std::map<std::string, json> targets = ManifestTargets();
  EXPECT_EQ(targets["big"].value("status", ""), "failed") << r.out;
  EXPECT_TRUE(Contains(ReadFile(Build("summary.md")), "| big | ❌ failed |"));

  // Space is back (nothing partial was kept): a target that fits builds, without any `rm`.
  std::string text = ReadFile(repo_ / "fanout.yaml");
  text.replace(text.find("SIZE_MB: \"8\""), 12, "SIZE_MB: \"1\"");
  repo_.Write("fanout.yaml", text);
  RunResult again = ::fanout::testing::Run({FanoutBinary(), "build"}, repo_.path(), env);
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_TRUE(Exists(Build("targets/big/result.json")));
}

TEST_F(SmallDisk, AFullBuildDirectoryIsAnIoErrorNamingThePathAndTheNextBuildRecovers) {
  repo_.Write("fanout.yaml",
              "version: 1\ntargets:\n  small:\n    command: 'echo ok > \"$FANOUT_OUT/o.txt\"'\n"
              "    inputs: [src/**]\n    artifacts: [o.txt]\n");
  repo_.Commit("initial");
  const std::vector<std::string> env = {"FANOUT_CACHE=off"};
  // Filled by someone else.
  Sh("head -c 6000000 /dev/zero > '" + dir_ + "/filler' 2>/dev/null; true");
  RunResult r = ::fanout::testing::Run({FanoutBinary(), "build"}, repo_.path(), env);
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  EXPECT_TRUE(Contains(r.err, "No space left on device; free space on the file system")) << r.err;
  EXPECT_TRUE(Contains(r.err, dir_)) << r.err;
  unlink((dir_ + "/filler").c_str());
  RunResult again = ::fanout::testing::Run({FanoutBinary(), "build"}, repo_.path(), env);
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
}

TEST_F(SmallDisk, AReadOnlyBuildDirectoryIsAnIoErrorSayingSo) {
  repo_.Write("fanout.yaml",
              "version: 1\ntargets:\n  small:\n    command: 'echo ok > \"$FANOUT_OUT/o.txt\"'\n"
              "    inputs: [src/**]\n    artifacts: [o.txt]\n");
  repo_.Commit("initial");
  ASSERT_EQ(mount(nullptr, dir_.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr), 0)
      << strerror(errno);
  RunResult r =
      ::fanout::testing::Run({FanoutBinary(), "build"}, repo_.path(), {"FANOUT_CACHE=off"});
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  EXPECT_TRUE(Contains(r.err, "Read-only file system")) << r.err;
  EXPECT_TRUE(Contains(r.err, "use a writable build directory (-B)")) << r.err;
}

}  // namespace
}  // namespace fanout::testing
