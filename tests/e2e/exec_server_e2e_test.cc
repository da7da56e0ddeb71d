// End-to-end: the build's exec server (src/cli/exec_server.h) and its edge client
// (src/edge/fanout_edge.cc). `fanout build` runs its edges in workers forked from the server;
// plain Ninja and --no-exec-server run fanout itself; a request is served only with the
// build's secret, from a peer of the server's own uid, for `exec` of the server's own binary;
// the secret never reaches a target's command; and a client killed outright takes its run with
// it. Each protection has its positive control against the test build (FANOUT_TEST_WEAKEN).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/edge_wire.h"
#include "base/unique_fd.h"
#include "test_util.h"

namespace fanout::testing {
namespace {

constexpr char kToken[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr char kWrongToken[] = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

/// `fanout exec-server` of `binary` on a socket in `dir`, started as `fanout build` starts it.
class Server {
 public:
  Server(const std::string& binary, const std::string& dir, std::vector<std::string> env = {})
      : path_(dir + "/socket") {
    UniqueFd listener(socket(AF_UNIX, SOCK_STREAM, 0));  // inherited by the server
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path_.c_str());
    EXPECT_EQ(bind(listener.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(listener.get(), 16), 0);
    env.push_back(std::string(edge::kTokenVariable) + "=" + kToken);
    server_ =
        std::make_unique<Background>(std::vector<std::string>{binary, "exec-server", "--socket-fd",
                                                              std::to_string(listener.get())},
                                     dir, env, dir + "/server.log");
  }
  const std::string& path() const { return path_; }
  /// Stops it as `fanout build` does (SIGTERM: its workers are stopped likewise and waited for).
  int Stop() {
    kill(server_->pid(), SIGTERM);
    return server_->Wait();
  }
  /// The variables that send an edge's client to this server.
  std::vector<std::string> Env(const char* token = kToken) const {
    return {std::string(edge::kServerVariable) + "=" + path_,
            std::string(edge::kTokenVariable) + "=" + token};
  }

 private:
  std::string path_;
  std::unique_ptr<Background> server_;
};

/// How the server answered one request.
enum class Answer { kAccepted, kRefused, kClosed, kNoConnection };

/// Sends a request as the edge client would (argv, the secret), as uid `uid` when it is not
/// -1; when accepted, waits for the exit code (`*exit_code`). The worker's output goes to
/// /dev/null.
Answer Ask(const std::string& socket_path, const std::vector<std::string>& argv, const char* token,
           uid_t uid = static_cast<uid_t>(-1), int* exit_code = nullptr, int* refusal = nullptr) {
  int report[2];
  if (pipe(report) != 0) return Answer::kNoConnection;
  const pid_t pid = fork();
  if (pid == 0) {
    close(report[0]);
    if (uid != static_cast<uid_t>(-1) && (setgid(uid) != 0 || setuid(uid) != 0)) _exit(1);
    int out[3] = {static_cast<int>(Answer::kNoConnection), 0, 0};
    UniqueFd sock(socket(AF_UNIX, SOCK_STREAM, 0));
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, socket_path.c_str());
    if (connect(sock.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) == 0) {
      std::string payload;
      for (const std::string& a : argv) payload += a + '\0';
      payload += std::string("PATH=/usr/bin:/bin") + '\0';
      edge::EdgeRequest req = {};
      req.magic = edge::kMagic;
      req.umask = 022;
      req.argc = static_cast<uint32_t>(argv.size());
      req.envc = 1;
      req.payload_bytes = static_cast<uint32_t>(payload.size());
      std::memcpy(req.token, token, edge::kTokenBytes);
      int null = open("/dev/null", O_RDWR);
      int cwd = open("/", O_PATH | O_DIRECTORY);
      int fds[4] = {null, null, null, cwd};
      char control[CMSG_SPACE(sizeof(fds))] = {};
      struct iovec iov = {&req, sizeof(req)};
      struct msghdr msg = {};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof(control);
      struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(fds));
      std::memcpy(CMSG_DATA(c), fds, sizeof(fds));
      out[0] = static_cast<int>(Answer::kClosed);
      if (sendmsg(sock.get(), &msg, MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof(req)) &&
          send(sock.get(), payload.data(), payload.size(), MSG_NOSIGNAL) ==
              static_cast<ssize_t>(payload.size())) {
        edge::EdgeReply reply;
        while (recv(sock.get(), &reply, sizeof(reply), MSG_WAITALL) ==
               static_cast<ssize_t>(sizeof(reply))) {
          if (reply.kind == edge::kEdgeRefused) {
            out[0] = static_cast<int>(Answer::kRefused);
            out[2] = reply.value;
            break;
          }
          if (reply.kind == edge::kEdgeAccepted) out[0] = static_cast<int>(Answer::kAccepted);
          if (reply.kind == edge::kEdgeExited) {
            out[1] = reply.value;
            break;
          }
        }
      }
    }
    (void)!write(report[1], out, sizeof(out));
    _exit(0);
  }
  close(report[1]);
  int out[3] = {static_cast<int>(Answer::kNoConnection), -1, 0};
  (void)!read(report[0], out, sizeof(out));
  close(report[0]);
  waitpid(pid, nullptr, 0);
  if (exit_code) *exit_code = out[1];
  if (refusal) *refusal = out[2];
  return static_cast<Answer>(out[0]);
}

/// The "served" field of each line of an exec profile (sandbox/exec_profile.h).
std::vector<bool> Served(const std::string& profile) {
  std::vector<bool> served;
  std::istringstream in(ReadFile(profile));
  for (std::string line; std::getline(in, line);) {
    served.push_back(nlohmann::json::parse(line).value("served", false));
  }
  return served;
}

class ExecServerE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(chmod(dir_.path().c_str(), 0755), 0);
    repo_.Write("src/a.txt", "a\n");
  }
  void Describe(const std::string& targets) {
    repo_.Write("fanout.yaml", "version: 1\ntargets:\n" + targets);
    repo_.Commit();
  }
  std::string Build(const std::string& rel) const { return repo_ / ("fanout-out/" + rel); }

  TempDir dir_;
  GitRepo repo_;
};

TEST_F(ExecServerE2E, BuildForksEdgesFromItsServerAndPlainNinjaStartsFanout) {
  Describe(
      "  a:\n    command: 'echo a > \"$FANOUT_OUT/a.txt\"'\n    inputs: [src/**]\n"
      "    artifacts: [a.txt]\n"
      "  b:\n    command: 'cat $FANOUT_DEPS/a/a.txt'\n    inputs: [src/**]\n    deps: [a]\n");
  TempDir runtime;  // the server's socket directory goes here, and must go again
  const std::string profile = dir_ / "profile.jsonl";
  const std::vector<std::string> env = {"FANOUT_CACHE=off", "FANOUT_EXEC_PROFILE=" + profile,
                                        "TMPDIR=" + runtime.path()};
  RunResult r = ::fanout::testing::Run({FanoutBinary(), "build"}, repo_.path(), env);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(ReadFile(Build("build.ninja")),
                       "exec $${FANOUT_EXEC_SERVER:+$fanout_edge} $fanout exec -B ."));
  EXPECT_EQ(Served(profile), (std::vector<bool>{true, true}));
  EXPECT_TRUE(Contains(ReadFile(Build("targets/b/log.txt")), "a\n"));
  EXPECT_EQ(::fanout::testing::Run({"find", runtime.path(), "-mindepth", "1"}).out, "")
      << "the socket is left";

  // The control: --no-exec-server, and Ninja run by hand (the client runs fanout itself).
  // The results are removed so that each runs both targets again.
  ASSERT_EQ(unlink(profile.c_str()), 0);
  const std::vector<std::string> forget = {"rm", Build("targets/a/result.json"),
                                           Build("targets/b/result.json")};
  ASSERT_EQ(::fanout::testing::Run(forget).exit_code, 0);
  r = ::fanout::testing::Run({FanoutBinary(), "build", "--no-exec-server"}, repo_.path(), env);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  ASSERT_EQ(::fanout::testing::Run(forget).exit_code, 0);
  r = ::fanout::testing::Run({"ninja", "-C", Build("")}, "", env);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Served(profile), (std::vector<bool>{false, false, false, false}));
  EXPECT_TRUE(Contains(ReadFile(Build("targets/b/log.txt")), "a\n"));
}

TEST_F(ExecServerE2E, ARequestIsServedOnlyWithTheBuildsSecret) {
  TempDir real_dir, weak_dir;
  Server real(FanoutBinary(), real_dir.path());
  Server weak(FANOUT_WEAKENED_BINARY, weak_dir.path(), {"FANOUT_TEST_WEAKEN=exec-server-token"});
  int code = -1, why = 0;
  // The control of the request itself: with the secret, `fanout exec --help` runs, exit 0.
  ASSERT_TRUE(WaitFor([&] {
    return Ask(real.path(), {FanoutBinary(), "exec", "--help"}, kToken, -1, &code) ==
           Answer::kAccepted;
  }));
  EXPECT_EQ(code, 0);
  EXPECT_EQ(Ask(real.path(), {FanoutBinary(), "exec", "--help"}, kWrongToken, -1, &code, &why),
            Answer::kRefused);
  EXPECT_EQ(why, edge::kRefusedToken);
  // The attack works where the check is turned off.
  ASSERT_TRUE(WaitFor([&] {
    return Ask(weak.path(), {FANOUT_WEAKENED_BINARY, "exec", "--help"}, kWrongToken, -1, &code) ==
           Answer::kAccepted;
  }));
  EXPECT_EQ(code, 0);
}

TEST_F(ExecServerE2E, OnlyExecOfTheServersOwnBinaryIsRun) {
  TempDir d;
  Server server(FanoutBinary(), d.path());
  int code = -1, why = 0;
  ASSERT_TRUE(WaitFor([&] {
    return Ask(server.path(), {FanoutBinary(), "exec", "--help"}, kToken) == Answer::kAccepted;
  }));
  EXPECT_EQ(Ask(server.path(), {FanoutBinary(), "gen", "--help"}, kToken, -1, &code, &why),
            Answer::kRefused);
  EXPECT_EQ(why, edge::kRefusedCommand);
  EXPECT_EQ(Ask(server.path(), {FANOUT_WEAKENED_BINARY, "exec", "--help"}, kToken, -1, &code, &why),
            Answer::kRefused);
  EXPECT_EQ(why, edge::kRefusedCommand);
}

TEST_F(ExecServerE2E, APeerOfAnotherUidIsNotServed) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root, to ask as another uid";
  TempDir real_dir, weak_dir;
  for (const TempDir* d : {&real_dir, &weak_dir}) ASSERT_EQ(chmod(d->path().c_str(), 0755), 0);
  Server real(FanoutBinary(), real_dir.path());
  Server weak(FANOUT_WEAKENED_BINARY, weak_dir.path(), {"FANOUT_TEST_WEAKEN=exec-server-peer"});
  ASSERT_TRUE(WaitFor([&] { return Exists(real.path()) && Exists(weak.path()); }));
  // Reachable by everyone, so that only the peer check stands in the way.
  ASSERT_EQ(chmod(real.path().c_str(), 0777), 0);
  ASSERT_EQ(chmod(weak.path().c_str(), 0777), 0);
  int code = -1;
  ASSERT_TRUE(WaitFor([&] {
    return Ask(real.path(), {FanoutBinary(), "exec", "--help"}, kToken) == Answer::kAccepted;
  }));
  EXPECT_EQ(Ask(real.path(), {FanoutBinary(), "exec", "--help"}, kToken, 65534), Answer::kClosed);
  // The attack works where the check is turned off: uid 65534 has root's worker run for it.
  EXPECT_EQ(Ask(weak.path(), {FANOUT_WEAKENED_BINARY, "exec", "--help"}, kToken, 65534, &code),
            Answer::kAccepted);
  EXPECT_EQ(code, 0);
}

class ExecServerTiersE2E : public ExecServerE2E,
                           public ::testing::WithParamInterface<const char*> {};

TEST_P(ExecServerTiersE2E, TheSecretNeverReachesATargetsCommand) {
  const std::string tier = GetParam();
  if (tier == "namespaces") {
    RunResult d = ::fanout::testing::Run({FanoutBinary(), "doctor", "--json"}, dir_.path());
    auto doctor = nlohmann::json::parse(d.out, nullptr, false);
    ASSERT_TRUE(doctor.is_object()) << d.out << d.err;
    if (!doctor.value("namespaces", false)) {
      GTEST_SKIP() << "the namespaces tier cannot run here (kernel feature missing): "
                   << doctor.value("namespaces_unavailable", "");
    }
  }
  // A hostile description asks for the server's variables by name; MARKER is the control that
  // `pass_env` passes what it names.
  Describe(
      "  t:\n    command: 'env; cat /proc/[0-9]*/environ 2>/dev/null | tr \"\\\\0\" \"\\\\n\" | "
      "grep -E \"^(FANOUT_EXEC_SERVER|LD_BIND_NOW)\" || true'\n"
      "    inputs: [src/**]\n"
      "    pass_env: [MARKER, FANOUT_EXEC_SERVER, FANOUT_EXEC_SERVER_TOKEN, LD_BIND_NOW]\n");
  const std::vector<std::string> env = {"FANOUT_CACHE=off", "MARKER=passed",
                                        "FANOUT_SANDBOX=" + tier};
  RunResult r = ::fanout::testing::Run({FanoutBinary(), "build"}, repo_.path(), env);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::string log = ReadFile(Build("targets/t/log.txt"));
  EXPECT_TRUE(Contains(log, "MARKER=passed")) << log;
  EXPECT_FALSE(Contains(log, "FANOUT_EXEC_SERVER")) << log;
  // The loader's switch the build gives its server (cli/exec_server_process.cc) is the
  // server's alone: the build's own environment has none.
  EXPECT_FALSE(Contains(log, "LD_BIND_NOW")) << log;

  // A build.ninja that starts fanout itself under `fanout build` (the variables then reach the
  // runner): the runner removes them. The attack works where that is turned off.
  TempDir d;
  Server server(FanoutBinary(), d.path());
  for (bool weakened : {false, true}) {
    SCOPED_TRACE(weakened ? "weakened" : "real");
    std::vector<std::string> run_env = server.Env();
    run_env.insert(run_env.end(), {"FANOUT_CACHE=off", "MARKER=passed", "FANOUT_SANDBOX=" + tier,
                                   "FANOUT_TEST_WEAKEN=exec-server-env"});
    r = ::fanout::testing::Run(
        {weakened ? FANOUT_WEAKENED_BINARY : FanoutBinary(), "exec", "-B", Build(""), "t"},
        repo_.path(), run_env);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    log = ReadFile(Build("targets/t/log.txt"));
    EXPECT_TRUE(Contains(log, "MARKER=passed")) << log;
    EXPECT_EQ(Contains(log, std::string("FANOUT_EXEC_SERVER_TOKEN=") + kToken), weakened) << log;
  }
}

INSTANTIATE_TEST_SUITE_P(Tiers, ExecServerTiersE2E, ::testing::Values("namespaces", "process"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param);
                         });

TEST_F(ExecServerE2E, AClientKilledOutrightTakesItsRunWithIt) {
  // A first build, quick, makes the build directory and its snapshot; the client's run sleeps.
  Describe(
      "  slow:\n    command: 'echo started; sleep ${SLEEP:-0}'\n    inputs: [src/**]\n"
      "    pass_env: [SLEEP]\n");
  ASSERT_EQ(::fanout::testing::Run({FanoutBinary(), "build"}, repo_.path()).exit_code, 0);
  const std::string edge =
      std::string(FanoutBinary()).substr(0, FanoutBinary().rfind('/')) + "/" + edge::kClientName;
  auto sleeping = [] {
    return ::fanout::testing::Run({"pgrep", "-f", "^sleep 61.25$"}).exit_code == 0;
  };
  // The control first: with the reaper turned off the worker runs on unseen.
  for (bool weakened : {true, false}) {
    SCOPED_TRACE(weakened ? "weakened" : "real");
    const std::string binary = weakened ? FANOUT_WEAKENED_BINARY : FanoutBinary();
    TempDir d;
    Server server(binary, d.path(), {"FANOUT_TEST_WEAKEN=reaper"});
    std::vector<std::string> env = server.Env();
    env.insert(env.end(), {"FANOUT_CACHE=off", "SLEEP=61.25", "FANOUT_TEST_WEAKEN=reaper"});
    ASSERT_EQ(::fanout::testing::Run({"rm", "-f", Build("targets/slow/failure.json")}).exit_code,
              0);
    Background client({edge, binary, "exec", "-B", ".", "slow"}, Build(""), env,
                      dir_ / "client.log");
    ASSERT_TRUE(WaitFor(sleeping)) << ReadFile(dir_ / "client.log");
    ASSERT_EQ(kill(client.pid(), SIGKILL), 0);
    client.Wait();
    if (weakened) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      EXPECT_TRUE(sleeping()) << "the fault did no harm: this control shows nothing";
      EXPECT_FALSE(Exists(Build("targets/slow/failure.json")));
      // Stopped by hand: the server's SIGTERM stops its worker as Ninja's would.
      EXPECT_EQ(server.Stop(), 0);
      EXPECT_FALSE(sleeping());
      continue;
    }
    // The worker is stopped as `fanout exec` is when its parent dies: the target is recorded
    // as interrupted and its command is gone.
    EXPECT_TRUE(WaitFor([&] { return Exists(Build("targets/slow/failure.json")); }))
        << ReadFile(d / "server.log") << ReadFile(dir_ / "client.log");
    EXPECT_TRUE(Contains(ReadFile(Build("targets/slow/failure.json")), "interrupted"))
        << ReadFile(Build("targets/slow/failure.json"));
    EXPECT_TRUE(WaitFor([&] { return !sleeping(); }));
  }
}

// Ninja counts an edge killed by SIGINT, SIGTERM or SIGHUP as interrupted and one that exits
// 130 as failed: `fanout exec` re-raises an interruption, and so does a served edge's client.
TEST_F(ExecServerE2E, AnInterruptedEdgeDiesByItsSignalAsFanoutExecDoes) {
  Describe(
      "  slow:\n    command: 'echo started; sleep ${SLEEP:-0}'\n    inputs: [src/**]\n"
      "    pass_env: [SLEEP]\n");
  ASSERT_EQ(::fanout::testing::Run({FanoutBinary(), "build"}, repo_.path()).exit_code, 0);
  TempDir d;
  Server server(FanoutBinary(), d.path());
  const std::string edge =
      std::string(FanoutBinary()).substr(0, FanoutBinary().rfind('/')) + "/" + edge::kClientName;
  for (bool served : {false, true}) {
    SCOPED_TRACE(served ? "served" : "fanout exec");
    std::vector<std::string> env = {"FANOUT_CACHE=off", "SLEEP=61.75", "PATH=/usr/bin:/bin"};
    std::vector<std::string> args = {FanoutBinary(), "exec", "-B", ".", "slow"};
    if (served) {
      for (const std::string& v : server.Env()) env.push_back(v);
      args.insert(args.begin(), edge);
    }
    std::vector<char*> argv, envp;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (std::string& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    const std::string cwd = Build("");
    const pid_t pid = fork();
    if (pid == 0) {
      setpgid(0, 0);
      if (chdir(cwd.c_str()) == 0) execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
    ASSERT_GT(pid, 0);
    ASSERT_TRUE(WaitFor([] {
      return ::fanout::testing::Run({"pgrep", "-f", "^sleep 61.75$"}).exit_code == 0;
    }));
    ASSERT_EQ(kill(pid, SIGTERM), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << status;
    EXPECT_TRUE(Contains(ReadFile(Build("targets/slow/failure.json")), "interrupted"));
  }
}

}  // namespace
}  // namespace fanout::testing
