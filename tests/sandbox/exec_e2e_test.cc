// End-to-end tests of `fanout exec` through the real binary, in every sandbox tier this
// machine can run (the namespaces tier is skipped, with the probe's reason, where it cannot).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/file_util.h"
#include "base/sha256.h"
#include "exec_fixture.h"
#include "sandbox/landlock.h"

namespace fanout::testing {
namespace {

using nlohmann::json;

class ExecE2E : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "namespaces") {
      std::string why;
      if (!NamespacesAvailable(&why)) GTEST_SKIP() << "namespaces tier cannot run here: " << why;
    }
  }
  bool Namespaces() const { return GetParam() == "namespaces"; }
  void NeedWriteProtection() {
    if (!Namespaces() && !LandlockAvailable()) {
      GTEST_SKIP() << "the process tier restricts writes with Landlock, which this kernel lacks";
    }
  }
  RunResult Exec(const std::string& target, std::vector<std::string> env = {}) {
    env.push_back("FANOUT_SANDBOX=" + GetParam());
    env.push_back("FANOUT_KILL_GRACE=1");
    return fx_.Exec(target, env);
  }
  json Result(const std::string& t) {
    return json::parse(ReadFile(fx_.Build("targets/" + t + "/result.json")));
  }
  json Failure(const std::string& t) {
    return json::parse(ReadFile(fx_.Build("targets/" + t + "/failure.json")));
  }
  std::string Log(const std::string& t) { return ReadFile(fx_.Build("targets/" + t + "/log.txt")); }
  /// A number unlikely to appear in any other process's command line.
  std::string Marker() {
    static std::mt19937 rng(std::random_device{}());
    return std::to_string(700000 + rng() % 200000);
  }

  ExecFixture fx_;
};

TEST_P(ExecE2E, Success_WritesResultWithArtifactsLast) {
  Target& t = fx_.AddTarget(
      "t", "cp src/main.txt \"$FANOUT_OUT/a.txt\" && echo built > b.txt && echo log-line");
  t.artifacts = {"a.txt", "b.txt"};
  fx_.Write();
  RunResult r = Exec("t");
  ASSERT_EQ(r.exit_code, 0) << r.err << Log("t");
  json res = Result("t");
  EXPECT_EQ(res["target"], "t");
  EXPECT_EQ(res["status"], "succeeded");
  EXPECT_EQ(res["exit_code"], 0);
  EXPECT_EQ(res["attempts"], 1);
  EXPECT_EQ(res["source"]["tree"], fx_.tree());
  EXPECT_EQ(res["source"]["commit"], fx_.commit());
  EXPECT_EQ(res["input_digest"], "digest-t");
  EXPECT_EQ(res["sandbox"]["tier"], GetParam());
  EXPECT_EQ(res["log"], "targets/t/log.txt");
  EXPECT_GE(res["finished_at"].get<double>(), res["started_at"].get<double>());
  ASSERT_EQ(res["artifacts"].size(), 2u);
  EXPECT_EQ(res["artifacts"][0]["path"], "a.txt");
  EXPECT_EQ(res["artifacts"][0]["size"], 6);
  EXPECT_EQ(res["artifacts"][0]["sha256"], Sha256Hex("hello\n"));
  EXPECT_EQ(res["artifacts"][1]["path"], "b.txt");  // found in the workspace, copied to out/
  EXPECT_EQ(ReadFile(fx_.Build("targets/t/out/b.txt")), "built\n");
  EXPECT_NE(Log("t").find("log-line"), std::string::npos);
  EXPECT_FALSE(Exists(fx_.Build("targets/t/failure.json")));
}

TEST_P(ExecE2E, ProfileSaysWhereTheTimeWentOnlyWhenAsked) {
  // FANOUT_EXEC_PROFILE (sandbox/exec_profile.h): one JSON line per run, phases in order and
  // the sandbox's own points on the runner's clock. Here the command sleeps 0.3 s, so that
  // the split is checked against something known: it falls in "the command", between the
  // sandbox's set-up and command points, and inside the sandbox phase.
  Target& t = fx_.AddTarget("t", "sleep 0.3; echo x > \"$FANOUT_OUT/a.txt\"");
  t.artifacts = {"a.txt"};
  fx_.Write();
  ASSERT_EQ(Exec("t").exit_code, 0) << Log("t");  // control: unset, nothing written
  const std::string path = fx_.Build("profile.jsonl");
  EXPECT_FALSE(Exists(path));
  ASSERT_EQ(Exec("t", {"FANOUT_EXEC_PROFILE=" + path}).exit_code, 0) << Log("t");
  ASSERT_EQ(Exec("t", {"FANOUT_EXEC_PROFILE=" + path}).exit_code, 0) << Log("t");
  std::istringstream lines(ReadFile(path));
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    ++count;
    const json p = json::parse(line);
    EXPECT_EQ(p["target"], "t");
    std::vector<std::string> names;
    std::int64_t sum = 0, sandbox = 0;
    for (const json& phase : p["phases"]) {
      names.push_back(phase[0].get<std::string>());
      const std::int64_t us = phase[1].get<std::int64_t>();
      EXPECT_GE(us, 0) << line;
      sum += us;
      if (names.back() == "sandbox") sandbox = us;
    }
    EXPECT_EQ(names.front(), "libgit2_init") << line;
    EXPECT_EQ(names.back(), "teardown") << line;
    for (const char* n : {"read_plan", "workspace", "sandbox", "write_result_and_cache"}) {
      EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n << ": " << line;
    }
    const std::int64_t start = p["start_us"], end = p["end_us"];
    // The phases account for the runner's whole time, to each phase's rounding to 1 us.
    EXPECT_NEAR(static_cast<double>(sum), static_cast<double>(end - start),
                static_cast<double>(names.size()))
        << line;
    const json& points = p["points_us"];
    const std::int64_t setup = points["sandbox_setup_done"], command = points["command_done"],
                       collected = points["collection_done"];
    EXPECT_LT(start, setup) << line;
    EXPECT_LE(setup, command) << line;
    EXPECT_LE(command, collected) << line;
    EXPECT_LT(collected, end) << line;
    EXPECT_GE(command - setup, 300000) << "the 0.3 s sleep is the command's: " << line;
    EXPECT_GE(sandbox, 300000) << line;
  }
  EXPECT_EQ(count, 2);
}

TEST_P(ExecE2E, UndeclaredFileRead_FailsWithNoSuchFile) {
  fx_.repo().Write("secret/token.txt", "s3cr3t\n");
  fx_.repo().Write("pkg/a.txt", "a\n");
  fx_.AddTarget("t", "cat pkg/a.txt && cat secret/token.txt", {"pkg"});
  fx_.Write();
  RunResult r = Exec("t");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("No such file"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("fanout: target 't' failed (exited with status 1); log: " +
                       fx_.Build("targets/t/log.txt")),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(Exists(fx_.Build("targets/t/result.json")));
  json f = Failure("t");
  EXPECT_EQ(f["status"], "failed");
  EXPECT_EQ(f["exit_code"], 1);
  EXPECT_TRUE(f["signal"].is_null());
  EXPECT_NE(f["log_tail"].get<std::string>().find("No such file"), std::string::npos);
}

TEST_P(ExecE2E, WritesOutsideWorkspace_AreImpossible) {
  NeedWriteProtection();
  const std::string host_home = getenv("HOME") ? getenv("HOME") : "/root";
  const std::string m = Marker();
  Target& t = fx_.AddTarget(
      "t", "for f in /etc/fanout-" + m + " \"$REPO/pwned-" + m + "\" \"$HOST_HOME/fanout-" + m +
               "\" \"$BUILD/pwned-" + m +
               "\"; do (echo x > \"$f\") 2>/dev/null && echo WROTE $f || echo DENIED; done;"
               " echo x > \"$HOME/mine\" && echo x > \"$TMPDIR/mine\" && echo OWN-OK;"
               " mount -o remount,rw / 2>/dev/null && echo REMOUNTED || echo NO-REMOUNT");
  t.env = {{"REPO", fx_.repo().path()}, {"HOST_HOME", host_home}, {"BUILD", fx_.build_dir()}};
  fx_.Write();
  RunResult r = Exec("t");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string log = Log("t");
  if (getenv("FANOUT_TEST_DEBUG"))
    fprintf(stderr, "LOG[%s]:\n%s\n", GetParam().c_str(), log.c_str());
  EXPECT_EQ(log.find("WROTE"), std::string::npos) << log;
  EXPECT_NE(log.find("OWN-OK"), std::string::npos) << log;
  EXPECT_EQ(log.find("REMOUNTED"), std::string::npos) << log;
  EXPECT_FALSE(Exists("/etc/fanout-" + m));
  EXPECT_FALSE(Exists(fx_.repo() / ("pwned-" + m)));
  EXPECT_FALSE(Exists(host_home + "/fanout-" + m));
  EXPECT_FALSE(Exists(fx_.Build("pwned-" + m)));
}

TEST_P(ExecE2E, BackgroundDaemon_LeavesNoProcess) {
  const std::string m = Marker();
  // The daemon says it started (its pid), and the command checks it is alive before ending:
  // without that, the test would pass with a daemon that never ran.
  fx_.AddTarget("t",
                "setsid sh -c 'echo $$ > \"$TMPDIR/d.pid\"; exec sleep " + m +
                    "' < /dev/null > /dev/null 2>&1 & i=0; "
                    "while [ ! -s \"$TMPDIR/d.pid\" ] && [ $i -lt 3000 ]; do sleep 0.01; "
                    "i=$((i+1)); done; kill -0 \"$(cat \"$TMPDIR/d.pid\")\" && echo DAEMON-ALIVE");
  fx_.Write();
  RunResult r = Exec("t");
  ASSERT_EQ(r.exit_code, 0) << r.err << Log("t");
  ASSERT_NE(Log("t").find("DAEMON-ALIVE"), std::string::npos) << Log("t");
  EXPECT_EQ(ProcessesMatching("sleep " + m), std::vector<int>{});
}

TEST_P(ExecE2E, NetworkFalse_CannotReachHostListener) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(s, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(s, 16), 0);
  socklen_t len = sizeof addr;
  getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string port = std::to_string(ntohs(addr.sin_port));
  const std::string cmd = "bash -c 'echo hi > /dev/tcp/127.0.0.1/" + port +
                          "' 2>/dev/null && echo CONNECTED || echo BLOCKED";
  Target& off = fx_.AddTarget("off", cmd);
  off.network = false;
  fx_.AddTarget("on", cmd);  // the control: the same probe reaches it with network on
  fx_.Write();
  RunResult r = Exec("off");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(Log("off").find("BLOCKED"), std::string::npos) << Log("off");
  r = Exec("on");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(Log("on").find("CONNECTED"), std::string::npos) << Log("on");
  close(s);
}

TEST_P(ExecE2E, Environment_OnlyScrubbedPassedAndDeclared) {
  Target& t = fx_.AddTarget("t", "env > \"$FANOUT_OUT/env.txt\"");
  t.artifacts = {"env.txt"};
  t.pass_env = {"PASSED_VAR"};
  t.env = {{"DECLARED", "d"}};
  fx_.Write();
  RunResult r = Exec("t", {"FANOUT_TEST_SECRET=hunter2", "PASSED_VAR=ok"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string env = ReadFile(fx_.Build("targets/t/out/env.txt"));
  EXPECT_EQ(env.find("hunter2"), std::string::npos) << env;
  EXPECT_EQ(env.find("FANOUT_TEST_SECRET"), std::string::npos) << env;
  EXPECT_NE(env.find("PASSED_VAR=ok\n"), std::string::npos) << env;
  EXPECT_NE(env.find("DECLARED=d\n"), std::string::npos) << env;
  EXPECT_NE(env.find("FANOUT_TARGET=t\n"), std::string::npos) << env;
  EXPECT_NE(env.find("FANOUT_OUT=" + fx_.Build("targets/t/out") + "\n"), std::string::npos) << env;
  EXPECT_NE(env.find("HOME=" + fx_.Build(".fanout/ws/t/home") + "\n"), std::string::npos) << env;
  EXPECT_NE(env.find("TMPDIR=" + fx_.Build(".fanout/ws/t/tmp") + "\n"), std::string::npos) << env;
  EXPECT_NE(env.find("GIT_CEILING_DIRECTORIES=" + fx_.Build(".fanout/ws/t") + "\n"),
            std::string::npos)
      << env;
}

TEST_P(ExecE2E, Timeout_KillsProcessTreeWithinGracePeriod) {
  const std::string m = Marker();
  // Both the shell and a grandchild ignore SIGTERM, so only the SIGKILL after the grace ends them.
  Target& t = fx_.AddTarget(
      "t", "trap '' TERM; sh -c \"trap '' TERM; sleep " + m + "\" & sleep " + m + "; wait");
  t.timeout_seconds = 1;
  fx_.Write();
  auto start = std::chrono::steady_clock::now();
  RunResult r = Exec("t");  // FANOUT_KILL_GRACE=1
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_GE(elapsed, 1.0);  // not stopped before its timeout (an order, not a speed)
  json f = Failure("t");
  EXPECT_EQ(f["status"], "timed_out");
  EXPECT_EQ(f["message"], "timed out after 1s");
  EXPECT_FALSE(Exists(fx_.Build("targets/t/result.json")));
  EXPECT_EQ(ProcessesMatching("sleep " + m), std::vector<int>{});
}

TEST_P(ExecE2E, SigintToNinja_LeavesNoProcessAndNoResult) {
  const std::string m = Marker();
  fx_.AddTarget("t",
                "setsid sleep " + m + " < /dev/null > /dev/null 2>&1 & echo started; sleep " + m);
  fx_.Write();
  WriteFile(fx_.Build("build.ninja"), "rule exec\n  command = " + FanoutBinary() +
                                          " exec -B . $target\nbuild t.done: exec\n  target = t\n");
  const std::string ninja_out = fx_.Build("ninja.out");
  pid_t ninja = fork();
  if (ninja == 0) {
    setpgid(0, 0);
    if (chdir(fx_.build_dir().c_str()) != 0) _exit(127);
    int fd = open(ninja_out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    setenv("FANOUT_SANDBOX", GetParam().c_str(), 1);
    setenv("FANOUT_KILL_GRACE", "1", 1);
    execlp("ninja", "ninja", (char*)nullptr);
    _exit(127);
  }
  bool started = false;
  for (int i = 0; i < 300 && !started; ++i) {
    started = Log("t").find("started") != std::string::npos;
    if (!started) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(started) << ReadFile(ninja_out);
  EXPECT_FALSE(ProcessesMatching("sleep " + m).empty());
  kill(ninja, SIGINT);
  int status = 0;
  waitpid(ninja, &status, 0);
  EXPECT_NE(ReadFile(ninja_out).find("interrupted"), std::string::npos) << ReadFile(ninja_out);
  EXPECT_EQ(ProcessesMatching("sleep " + m), std::vector<int>{});
  EXPECT_FALSE(Exists(fx_.Build("targets/t/result.json")));
  json f = Failure("t");
  EXPECT_EQ(f["status"], "interrupted");
  EXPECT_EQ(f["signal"], SIGINT);
}

TEST_P(ExecE2E, ArtifactSymlinkToEtcPasswd_IsRejected) {
  Target& out = fx_.AddTarget("out", "ln -s /etc/passwd \"$FANOUT_OUT/passwd\"");
  out.artifacts = {"passwd"};
  Target& ws = fx_.AddTarget("ws", "ln -s /etc/passwd leak");
  ws.artifacts = {"leak"};
  fx_.Write();
  for (const char* t : {"out", "ws"}) {
    RunResult r = Exec(t);
    EXPECT_EQ(r.exit_code, 1) << t;
    EXPECT_NE(r.err.find("symlink that points outside"), std::string::npos) << r.err;
    EXPECT_FALSE(Exists(fx_.Build(std::string("targets/") + t + "/result.json")));
  }
  EXPECT_FALSE(Exists(fx_.Build("targets/ws/out/leak")));
}

TEST_P(ExecE2E, MissingArtifact_Fails) {
  Target& t = fx_.AddTarget("t", "true");
  t.artifacts = {"nothere.tar"};
  fx_.Write();
  RunResult r = Exec("t");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(Failure("t")["message"].get<std::string>().find("'nothere.tar' was not produced"),
            std::string::npos);
}

TEST_P(ExecE2E, Retries_RerunInFreshWorkspaceAndReportFlaky) {
  Target& t =
      fx_.AddTarget("t",
                    "test -e stale && { echo STALE; exit 3; }; touch stale; echo x > src/main.txt;"
                    " [ \"$FANOUT_ATTEMPT\" = 2 ] || exit 1; cat src/main.txt > \"$FANOUT_OUT/r\"");
  t.retries = 2;
  t.artifacts = {"r"};
  fx_.Write();
  RunResult r = Exec("t");
  ASSERT_EQ(r.exit_code, 0) << r.err << Log("t");
  json res = Result("t");
  EXPECT_EQ(res["status"], "flaky");
  EXPECT_EQ(res["attempts"], 2);
  EXPECT_EQ(Log("t").find("STALE"), std::string::npos);
  EXPECT_EQ(ReadFile(fx_.Build("targets/t/out/r")), "x\n");
}

TEST_P(ExecE2E, Deps_ArtifactsVisibleReadOnly) {
  Target& down = fx_.AddTarget(
      "down",
      "cat \"$FANOUT_DEPS/up/lib.txt\" > \"$FANOUT_OUT/copy.txt\";"
      " (echo x > \"$FANOUT_DEPS/up/lib.txt\") 2>/dev/null && echo WROTE || echo READONLY");
  down.deps = {"up"};
  down.artifacts = {"copy.txt"};
  fx_.AddTarget("up", "true");
  fx_.Write();
  WriteFile(fx_.Build("targets/up/out/lib.txt"), "lib\n");
  RunResult r = Exec("down");
  if (!Namespaces() && !LandlockAvailable()) {
    // Without Landlock the process tier detects the write instead of preventing it.
    EXPECT_EQ(r.exit_code, 1);
    return;
  }
  ASSERT_EQ(r.exit_code, 0) << r.err << Log("down");
  EXPECT_NE(Log("down").find("READONLY"), std::string::npos) << Log("down");
  EXPECT_EQ(ReadFile(fx_.Build("targets/down/out/copy.txt")), "lib\n");
  EXPECT_EQ(ReadFile(fx_.Build("targets/up/out/lib.txt")), "lib\n");
}

TEST_P(ExecE2E, Limits_NofileAsRlimitMemoryByCgroupElseRlimit) {
  Target& t = fx_.AddTarget("t", "echo nofile=$(ulimit -n) data=$(ulimit -d)");
  t.limits.nofile = 64;
  t.limits.memory_bytes = 256ull << 20;
  fx_.Write();
  RunResult r = Exec("t");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json limits = Result("t")["sandbox"]["limits"];
  EXPECT_EQ(limits["nofile"], "rlimit");
  // limits_e2e_test.cc tests the cgroup side in depth.
  if (limits["memory"] == "rlimit") {
    EXPECT_NE(Log("t").find("nofile=64 data=262144"), std::string::npos) << Log("t");
    EXPECT_FALSE(Result("t")["sandbox"]["limits_fallback_reason"].is_null());
  } else {
    EXPECT_NE(Log("t").find("nofile=64 data=unlimited"), std::string::npos) << Log("t");
  }
}

TEST_P(ExecE2E, Rerun_ReusesBaseAndLeavesNoStaleResult) {
  Target& t =
      fx_.AddTarget("t", "test ! -e leftover && touch leftover && echo ok > \"$FANOUT_OUT/o\"");
  t.artifacts = {"o"};
  fx_.Write();
  ASSERT_EQ(Exec("t").exit_code, 0) << Log("t");
  RunResult second = Exec("t");
  ASSERT_EQ(second.exit_code, 0) << Log("t");  // a fresh workspace: 'leftover' is gone
  EXPECT_NE(
      Log("t").find("undeclared file(s) written in the workspace were not collected: leftover"),
      std::string::npos)
      << Log("t");
}

// A rerun takes the earlier result's name away before anything else and removes the file once
// its own records are written, as it empties the overlay's work directory then
// (sandbox/exec_attempt.cc, ~Exec); what a run killed before that leaves is removed by the next.
TEST_P(ExecE2E, Rerun_RemovesWhatItReplacedAndWhatAKilledRunLeft) {
  namespace fs = std::filesystem;
  fx_.AddTarget("t", "grep -q hello src/main.txt");
  fx_.Write();
  const fs::path ws = fx_.Build(".fanout/ws/t");
  const fs::path superseded = ws / "superseded-result.json";
  const fs::path work = ws / "work";  // the overlay's work directory (the process tier has none)
  auto work_is_empty = [&] { return !fs::exists(work) || fs::is_empty(work); };
  ASSERT_EQ(Exec("t").exit_code, 0) << Log("t");
  EXPECT_TRUE(Exists(fx_.Build("targets/t/result.json")));
  EXPECT_FALSE(fs::exists(superseded));
  EXPECT_TRUE(work_is_empty());

  // A failing rerun leaves no result, under either name.
  fx_.repo().Write("src/main.txt", "bye\n");
  fx_.Write();
  ASSERT_EQ(Exec("t").exit_code, 1) << Log("t");
  EXPECT_FALSE(Exists(fx_.Build("targets/t/result.json")));
  EXPECT_FALSE(fs::exists(superseded));
  EXPECT_EQ(Failure("t")["status"], "failed");

  // What a run killed after its records leaves: the result it replaced, and the overlay's work
  // directory with the marker of a `volatile` mount (the kernel's work/incompat/volatile), its
  // directories mode 0 as the kernel makes them.
  WriteFile(superseded, "{}\n");
  const fs::path kernel_work = work / "work";
  const fs::path marker = kernel_work / "incompat" / "volatile";
  fs::create_directories(marker);
  for (const fs::path& d : {marker, marker.parent_path(), kernel_work}) {
    ASSERT_EQ(chmod(d.c_str(), 0), 0) << d;
  }
  fx_.repo().Write("src/main.txt", "hello\n");
  fx_.Write();
  ASSERT_EQ(Exec("t").exit_code, 0) << Log("t");
  EXPECT_TRUE(Exists(fx_.Build("targets/t/result.json")));
  EXPECT_FALSE(fs::exists(superseded));
  EXPECT_TRUE(work_is_empty());
}

// The workspace's overlay is mounted `volatile` where the kernel knows the option (5.10): its
// unmount at the sandbox's end does not sync the build directory's whole file system.
TEST(ExecE2EOverlay, IsMountedVolatile) {
  std::string why;
  if (!NamespacesAvailable(&why)) GTEST_SKIP() << "namespaces tier cannot run here: " << why;
  ExecFixture fx;
  fx.AddTarget("t", "grep ' overlay ' /proc/self/mountinfo || echo NO-OVERLAY");
  fx.Write();
  RunResult r = fx.Exec("t", {"FANOUT_SANDBOX=namespaces"});
  const std::string log = ReadFile(fx.Build("targets/t/log.txt"));
  ASSERT_EQ(r.exit_code, 0) << r.err << log;
  if (log.find("NO-OVERLAY") != std::string::npos) {
    GTEST_SKIP() << "the workspace is a copy here (no overlay on this file system)";
  }
  EXPECT_NE(log.find("volatile"), std::string::npos) << log;
}

TEST_P(ExecE2E, CheckoutFull_HoldsTheWholeTree) {
  fx_.repo().Write("other/x.txt", "x\n");
  fx_.repo().Write("tools/run.sh", "#!/bin/sh\necho ran\n");
  chmod((fx_.repo() / "tools/run.sh").c_str(), 0755);
  Target& t = fx_.AddTarget("t", "cat other/x.txt src/main.txt && ./tools/run.sh", {});
  t.checkout = Checkout::kFull;
  fx_.Write();
  RunResult r = Exec("t");
  ASSERT_EQ(r.exit_code, 0) << r.err << Log("t");
  EXPECT_NE(Log("t").find("x\nhello\nran"), std::string::npos) << Log("t");
}

TEST_P(ExecE2E, BuildDirInsideRepo_RepositoryStaysHidden) {
  ExecFixture fx(/*build_in_repo=*/true);
  fx.repo().Write("secret.txt", "s\n");
  Target& t = fx.AddTarget(
      "t",
      "git rev-parse --git-dir >/dev/null 2>&1 && echo FOUND-REPO || echo NO-REPO;"
      " cat src/main.txt > \"$FANOUT_OUT/o\"; echo \"WS:$(cat src/main.txt)\"; ls -A \"$REPO\";"
      " cat \"$REPO/secret.txt\"");
  t.env = {{"REPO", fx.repo().path()}};
  t.artifacts = {"o"};
  fx.Write();
  RunResult r = fx.Exec("t", {"FANOUT_SANDBOX=" + GetParam()});
  std::string log = ReadFile(fx.Build("targets/t/log.txt"));
  // git in the workspace does not find the repository around the build directory.
  EXPECT_NE(log.find("NO-REPO"), std::string::npos) << log;
  if (Namespaces()) {
    // The repository is replaced by an empty view holding only the build directory.
    EXPECT_EQ(r.exit_code, 1) << log;
    EXPECT_NE(log.find("build\n"), std::string::npos) << log;
    EXPECT_EQ(log.find("secret.txt\n"), std::string::npos) << log;
    EXPECT_NE(log.find("No such file"), std::string::npos) << log;
  } else if (LandlockAvailable()) {
    // Landlock makes the repository unreadable (it cannot be listed or read), while the
    // build directory inside it still holds the readable workspace.
    EXPECT_EQ(r.exit_code, 1) << log;
    EXPECT_EQ(log.find("secret.txt\n"), std::string::npos) << log;
    EXPECT_NE(log.find(fx.repo().path() + "/secret.txt: Permission denied"), std::string::npos)
        << log;
  } else {
    // Without Landlock the process tier cannot hide paths; it still runs in its private
    // workspace.
    EXPECT_EQ(r.exit_code, 0) << log;
  }
  // The workspace itself is complete in both tiers (the build directory is kept visible). A
  // failed run's $FANOUT_OUT is emptied, so the log says what the workspace held.
  EXPECT_NE(log.find("WS:hello\n"), std::string::npos) << log;
}

TEST_P(ExecE2E, OtherTargetsBasesAndOutputs_AreNotVisible) {
  fx_.repo().Write("other/secret.txt", "s\n");
  fx_.AddTarget("full", "true", {}).checkout = Checkout::kFull;
  fx_.AddTarget("t",
                "ls ../../../bases/*/other/secret.txt 2>&1; cat \"$OUTS/full/out/o\" 2>&1;"
                " test -d \"$OUTS\" && echo SEES-TARGETS || echo NO-TARGETS;"
                " ls -a \"$FANOUT_OUT\" >/dev/null && echo LISTS-OWN-OUT")
      .env = {{"OUTS", fx_.Build("targets")}};
  fx_.Write();
  ASSERT_EQ(Exec("full").exit_code, 0);
  WriteFile(fx_.Build("targets/full/out/o"), "other output\n");
  RunResult r = Exec("t");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string log = Log("t");
  if (!Namespaces() && !LandlockAvailable()) {
    GTEST_SKIP() << "the process tier hides paths with Landlock, which this kernel lacks";
  }
  EXPECT_EQ(log.find("other/secret.txt\n"), std::string::npos) << log;
  EXPECT_EQ(log.find("other output"), std::string::npos) << log;
  EXPECT_NE(log.find("SEES-TARGETS"), std::string::npos) << log;  // its own out dir is there
  EXPECT_NE(log.find("LISTS-OWN-OUT"), std::string::npos) << log;
  if (!Namespaces()) {
    // Landlock denies rather than hides: the other target's output exists but is unreadable.
    EXPECT_NE(log.find(fx_.Build("targets/full/out/o") + ": Permission denied"), std::string::npos)
        << log;
  }
}

TEST_P(ExecE2E, UndeclaredRepositoryFiles_AreUnreadableTheSystemIsNot) {
  // The build directory inside the repository, as in a fresh clone: both are hidden, the
  // workspace and the dependency's artifacts inside them are not.
  ExecFixture fx(/*build_in_repo=*/true);
  fx.repo().Write("secret/undeclared.txt", "top-secret\n");
  Target& t =
      fx.AddTarget("t",
                   "/bin/sh -c 'echo SH-RUNS'; cat /etc/os-release >/dev/null && echo READS-ETC;"
                   " ls /usr/bin >/dev/null && echo LISTS-USR-BIN; cat src/main.txt;"
                   " cat \"$FANOUT_DEPS/up/lib.txt\"; cat \"$REPO/secret/undeclared.txt\";"
                   " cat \"$REPO/src/main.txt\" >/dev/null 2>&1 || echo NO-REPO-COPY;"
                   " echo done > \"$FANOUT_OUT/o\"");
  t.env = {{"REPO", fx.repo().path()}};
  t.deps = {"up"};
  t.artifacts = {"o"};
  fx.AddTarget("up", "true");
  fx.Write();
  WriteFile(fx.Build("targets/up/out/lib.txt"), "lib-content\n");
  if (!Namespaces() && !LandlockAvailable()) {
    GTEST_SKIP() << "the process tier hides paths with Landlock, which this kernel lacks";
  }
  RunResult r = fx.Exec("t", {"FANOUT_SANDBOX=" + GetParam()});
  const std::string log = ReadFile(fx.Build("targets/t/log.txt"));
  ASSERT_EQ(r.exit_code, 0) << r.err << log;
  for (const char* want : {"SH-RUNS\n", "READS-ETC\n", "LISTS-USR-BIN\n", "hello\n",
                           "lib-content\n", "NO-REPO-COPY\n"}) {
    EXPECT_NE(log.find(want), std::string::npos) << want << " missing in:\n" << log;
  }
  EXPECT_EQ(log.find("top-secret"), std::string::npos) << log;
  const std::string denied = fx.repo().path() + "/secret/undeclared.txt: " +
                             (Namespaces() ? "No such file" : "Permission denied");
  EXPECT_NE(log.find(denied), std::string::npos) << log;
  EXPECT_EQ(ReadFile(fx.Build("targets/t/out/o")), "done\n");
  // result.json says what restricted the reads.
  json res = json::parse(ReadFile(fx.Build("targets/t/result.json")));
  if (Namespaces()) {
    EXPECT_TRUE(res["sandbox"]["landlock"].is_null()) << res.dump();
  } else {
    EXPECT_EQ(res["sandbox"]["landlock"]["abi"], sandbox::LandlockAbi()) << res.dump();
    EXPECT_EQ(res["sandbox"]["landlock"]["restricts"], json({"read", "write"})) << res.dump();
  }
}

TEST_P(ExecE2E, StdoutAndStderrCanBeReopened) {
  fx_.AddTarget("t", "echo to-stdout >> /dev/stdout && echo to-stderr >> /dev/stderr");
  fx_.Write();
  RunResult r = Exec("t");
  ASSERT_EQ(r.exit_code, 0) << r.err << Log("t");
  EXPECT_NE(Log("t").find("to-stdout\nto-stderr\n"), std::string::npos) << Log("t");
}

INSTANTIATE_TEST_SUITE_P(Tiers, ExecE2E, ::testing::Values("namespaces", "process"),
                         [](const auto& info) { return info.param; });

TEST(ExecE2ERequire, RequireSandbox_FailsInProcessTier) {
  ExecFixture fx;
  fx.AddTarget("t", "true");
  fx.Write();
  RunResult r = fx.Exec("t", {"FANOUT_SANDBOX=process"}, {"--require-sandbox"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("the namespaces sandbox is required"), std::string::npos) << r.err;
  EXPECT_FALSE(Exists(fx.Build("targets/t/result.json")));
}

TEST(ExecE2ERequire, ProcessTier_ReportsFallbackReason) {
  ExecFixture fx;
  fx.AddTarget("t", "true");
  fx.Write();
  RunResult r = fx.Exec("t", {"FANOUT_SANDBOX=process"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json res = json::parse(ReadFile(fx.Build("targets/t/result.json")));
  EXPECT_EQ(res["sandbox"]["tier"], "process");
  EXPECT_EQ(res["sandbox"]["fallback_reason"], "forced by FANOUT_SANDBOX=process");
}

TEST(ExecE2ERequire, UnknownTarget_IsUsageError) {
  ExecFixture fx;
  fx.AddTarget("t", "true");
  fx.Write();
  RunResult r = fx.Exec("nope");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown target 'nope'"), std::string::npos) << r.err;
}

TEST(ExecE2EUnprivileged, NamespacesTierThroughAUserNamespace) {
  if (geteuid() != 0 || access("/usr/bin/setpriv", X_OK) != 0) {
    GTEST_SKIP() << "needs root and setpriv to run fanout as an unprivileged user";
  }
  if (fanout::testing::Run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            FanoutBinary(), "--version"})
          .exit_code != 0) {
    GTEST_SKIP() << "the fanout binary is not executable by an unprivileged user here";
  }
  ExecFixture fx;
  const std::string m = std::to_string(getpid());
  Target& t = fx.AddTarget("t",
                           "id -u > \"$FANOUT_OUT/uid\"; cat src/main.txt;"
                           " (echo x > /etc/fanout-" +
                               m + ") 2>/dev/null && echo WROTE || echo DENIED");
  t.artifacts = {"uid"};
  fx.Write();
  // The user's own checkout: owner validation refuses a repository of another user unless
  // safe.directory lists it (src/git/libgit2_init.cc).
  Sh("chown -R 65534:65534 '" + fx.repo().path() + "' && chmod -R a+rwX '" + fx.build_dir() + "'");
  RunResult r = fanout::testing::Run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                      FanoutBinary(), "exec", "-B", ".", "t"},
                                     fx.build_dir());
  // What the probe finds for this user (its cache lives outside the build directory).
  const std::string probe =
      fanout::testing::Run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            FanoutBinary(), "doctor", "--json"},
                           fx.build_dir())
          .out;
  if (probe.find("\"namespaces\": true") == std::string::npos) {
    GTEST_SKIP() << "user namespaces are not available to unprivileged users here: " << probe;
  }
  ASSERT_EQ(r.exit_code, 0) << r.err << ReadFile(fx.Build("targets/t/log.txt"));
  json res = json::parse(ReadFile(fx.Build("targets/t/result.json")));
  EXPECT_EQ(res["sandbox"]["tier"], "namespaces");
  EXPECT_EQ(ReadFile(fx.Build("targets/t/out/uid")), "65534\n");
  std::string log = ReadFile(fx.Build("targets/t/log.txt"));
  EXPECT_NE(log.find("hello\nDENIED"), std::string::npos) << log;
  EXPECT_FALSE(Exists("/etc/fanout-" + m));
}

}  // namespace
}  // namespace fanout::testing
