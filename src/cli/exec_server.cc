// The exec server's loop (cli/exec_server.h): accept, check the peer's uid, fork a worker;
// reap workers and tell their clients how they ended; stop them all when told to.
#include "cli/exec_server.h"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "base/build_layout.h"
#include "base/child_processes.h"
#include "base/edge_wire.h"
#include "base/exit_codes.h"
#include "base/json_fields.h"
#include "cli/cli.h"
#include "git/git.h"
#include "sandbox/probe.h"
#include "sandbox/weaken.h"

namespace fanout {

namespace {

struct Worker {
  UniqueFd conn;
  bool watching = true;  ///< the client's hang-up not seen yet
};

void Tell(int conn, uint32_t kind, int32_t value) {
  const edge::EdgeReply reply = {kind, value};
  (void)!send(conn, &reply, sizeof(reply), MSG_NOSIGNAL | MSG_DONTWAIT);
}

/// The socket's file and the private directory `fanout build` made for it
/// (ExecServerProcess::Start), removed when the server ends: a build killed outright cannot
/// remove them itself, and its server outlives it only as long as its workers.
class SocketDirectory {
 public:
  explicit SocketDirectory(int listen_fd) {
    struct sockaddr_un addr = {};
    socklen_t len = sizeof(addr);
    if (getsockname(listen_fd, reinterpret_cast<struct sockaddr*>(&addr), &len) != 0 ||
        addr.sun_family != AF_UNIX || addr.sun_path[0] != '/') {
      return;
    }
    const std::string path(addr.sun_path, strnlen(addr.sun_path, sizeof(addr.sun_path)));
    const std::size_t slash = path.rfind('/');
    // Only a directory of the server's own making (cli/exec_server_process.cc).
    if (slash == 0 || path.compare(slash + 1, std::string::npos, "socket") != 0) return;
    const std::string dir = path.substr(0, slash);
    if (dir.substr(dir.rfind('/') + 1).starts_with(kExecServerDirPrefix)) {
      socket_ = path;
      dir_ = dir;
    }
  }
  ~SocketDirectory() {
    if (socket_.empty()) return;
    unlink(socket_.c_str());
    rmdir(dir_.c_str());
  }
  SocketDirectory(const SocketDirectory&) = delete;
  SocketDirectory& operator=(const SocketDirectory&) = delete;

 private:
  std::string socket_;
  std::string dir_;
};

/// Whether the connection's peer runs as this process's effective uid.
bool PeerIsOurUid(int conn) {
  struct ucred cred {};
  socklen_t len = sizeof(cred);
  if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return false;
  return cred.uid == geteuid();
}

}  // namespace

int RunExecServer(int listen_fd, const std::string& build_dir) {
  const char* t = std::getenv(edge::kTokenVariable);
  const std::string token = t ? t : "";
  unsetenv(edge::kTokenVariable);
  unsetenv(edge::kServerVariable);
  unsetenv(kBindNowVariable);  // for the loader alone
  if (token.size() != edge::kTokenBytes) {
    fmt::print(stderr,
               "fanout exec-server: error: ${} is not set to a {}-character secret; "
               "the server is started by `fanout build`, not by hand\n",
               edge::kTokenVariable, edge::kTokenBytes);
    return kExitUsage;
  }
  const SocketDirectory socket_directory(listen_fd);
  // Its own session: a Ctrl-C in the terminal reaches Ninja, which forwards it to each edge's
  // client, which forwards it to its worker; the server and its workers must not get it twice.
  setsid();
  const pid_t parent = getppid();
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) return kExitTerminated;
  // A worker killed outright leaves its sandbox's processes (the process tier's) to the
  // nearest subreaper: that is this server, which kills them at once, as `fanout build` does
  // with a killed runner's orphans (cli/cmd_build.cc).
  const bool reaper = !sandbox::Weakened("reaper");
  if (reaper) prctl(PR_SET_CHILD_SUBREAPER, 1);

  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, s);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  UniqueFd sigfd(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sigfd) {
    fmt::print(stderr, "fanout exec-server: error: signalfd: {}\n", std::strerror(errno));
    return kExitIo;
  }
  // What every worker would do first is done once here: libgit2 set up as for any fanout
  // command (git/libgit2_init.cc reads the same environment the edges have, fanout build's),
  // simdjson's choice of implementation for this CPU (by CPUID, a trap to the hypervisor in a
  // virtual machine), the sandbox probe read from its cache (sandbox/probe.h), and the command
  // line.
  EnsureLibgit2();
  PrepareJsonParser();
  if (!build_dir.empty()) {
    sandbox::KeepProbeForChildren(layout::ProbeScratchPath(build_dir, getpid()));
  }
  // The command line of `fanout exec`, set up once: each worker only parses its request's.
  CommandLine exec_command_line("exec");
  UniqueFd listener(listen_fd);
  std::map<pid_t, Worker> workers;
  bool stopping = false;
  std::vector<struct pollfd> fds;
  std::vector<pid_t> polled;
  for (;;) {
    if (stopping && workers.empty()) return kExitSuccess;
    fds.clear();
    polled.clear();
    fds.push_back({sigfd.get(), POLLIN, 0});
    fds.push_back({stopping ? -1 : listener.get(), POLLIN, 0});
    for (auto& [pid, w] : workers) {
      if (!w.watching) continue;
      fds.push_back({w.conn.get(), POLLRDHUP, 0});
      polled.push_back(pid);
    }
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      fmt::print(stderr, "fanout exec-server: error: poll: {}\n", std::strerror(errno));
      return kExitIo;
    }
    if (fds[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sigfd.get(), &si, sizeof(si)) == static_cast<ssize_t>(sizeof(si))) {
        if (si.ssi_signo == SIGCHLD) continue;
        if (!stopping) {
          // As Ninja stops its edges: each worker records its target as interrupted.
          stopping = true;
          listener.reset();
          for (auto& [pid, w] : workers) kill(pid, SIGTERM);
        }
      }
      int status;
      pid_t pid;
      while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        auto it = workers.find(pid);
        if (it == workers.end()) continue;
        // A worker that ended normally told its client already; this is for one that did not.
        if (WIFSIGNALED(status)) {
          Tell(it->second.conn.get(), edge::kEdgeKilled, WTERMSIG(status));
        } else {
          Tell(it->second.conn.get(), edge::kEdgeExited,
               WIFEXITED(status) ? WEXITSTATUS(status) : 1);
        }
        workers.erase(it);
      }
      // Any other child is an orphan adopted from a worker that was killed: reparented before
      // its worker's SIGCHLD came, so it is seen here.
      if (reaper) {
        for (pid_t child : ListChildren()) {
          if (!workers.contains(child)) {
            kill(child, SIGKILL);
            waitpid(child, nullptr, WNOHANG);
          }
        }
      }
    }
    // A client gone before its worker (killed by SIGKILL, which it cannot relay): the worker
    // is stopped as its client's death would stop `fanout exec` (sandbox/runner.cc).
    for (std::size_t i = 0; i < polled.size(); ++i) {
      if (fds[2 + i].revents & (POLLRDHUP | POLLHUP | POLLERR)) {
        auto it = workers.find(polled[i]);
        if (it == workers.end()) continue;
        it->second.watching = false;
        if (reaper) kill(polled[i], SIGTERM);
      }
    }
    if (!stopping && (fds[1].revents & POLLIN)) {
      UniqueFd conn(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!conn) continue;
      if (!PeerIsOurUid(conn.get()) && !sandbox::Weakened("exec-server-peer")) continue;
      const pid_t pid = fork();
      if (pid == 0) {
        listener.reset();
        sigfd.reset();
        for (auto& [p, w] : workers) w.conn.reset();
        ServeEdge(std::move(conn), token, &exec_command_line);
      }
      if (pid < 0) {
        Tell(conn.get(), edge::kEdgeRefused, edge::kRefusedUnavailable);
        continue;
      }
      workers[pid].conn = std::move(conn);
    }
  }
}

CommandFn SetupExecServer(CLI::App* app) {
  app->group("");  // internal: started by `fanout build`
  auto fd = std::make_shared<int>(-1);
  auto build_dir = std::make_shared<std::string>();
  app->add_option("--socket-fd", *fd, "the listening Unix socket, an inherited descriptor")
      ->required();
  app->add_option("--build-dir", *build_dir, "the build directory whose edges it serves");
  return [fd, build_dir] { return RunExecServer(*fd, *build_dir); };
}

}  // namespace fanout
