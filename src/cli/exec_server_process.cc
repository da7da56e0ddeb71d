// Starting and stopping the exec server from `fanout build` (cli/exec_server.h).
#include <signal.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "base/child_processes.h"
#include "base/edge_wire.h"
#include "cli/exec_server.h"

namespace fanout {

namespace {

Expected<std::string> NewToken() {
  unsigned char bytes[edge::kTokenBytes / 2];
  std::size_t got = 0;
  while (got < sizeof(bytes)) {
    const ssize_t r = getrandom(bytes + got, sizeof(bytes) - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return MakeError(std::string("getrandom: ") + std::strerror(errno));
    got += static_cast<std::size_t>(r);
  }
  std::string hex;
  for (unsigned char b : bytes) hex += fmt::format("{:02x}", b);
  return hex;
}

}  // namespace

Expected<ExecServerProcess> ExecServerProcess::Start(const std::string& build_dir) {
  ExecServerProcess s;
  auto token = NewToken();
  if (!token.ok()) return token.error();
  s.token_ = *token;
  // A directory of our own, so that no other user can reach the socket, where `mktemp -d`
  // would make it ($TMPDIR, else /tmp), with a path short enough for a socket (107 bytes).
  std::string base = "/tmp";
  if (const char* tmp = std::getenv("TMPDIR"); tmp && *tmp == '/' && std::strlen(tmp) < 64) {
    base = tmp;
  }
  std::string tmpl = base + "/" + std::string(kExecServerDirPrefix) + "XXXXXX";
  if (!mkdtemp(tmpl.data())) {
    return MakeError(fmt::format("cannot make a directory for the exec server in {}: {}", base,
                                 std::strerror(errno)));
  }
  s.dir_ = tmpl;
  s.socket_path_ = s.dir_ + "/socket";
  UniqueFd listener(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, s.socket_path_.c_str(), s.socket_path_.size() + 1);
  if (!listener ||
      bind(listener.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listener.get(), 128) != 0) {
    return MakeError(fmt::format("cannot listen on {}: {}", s.socket_path_, std::strerror(errno)));
  }
  // Everything the child needs is made before the fork: `fanout build` may have threads, so
  // the child only makes system calls until its exec. Descriptor 3 is the listener (dup2
  // clears close-on-exec); the secret goes by the environment, which the server reads and
  // removes, and which only root can read from /proc since fanout is not dumpable (cli/main.cc).
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    const std::string_view entry(*e);
    if (entry.starts_with(std::string(edge::kServerVariable) + "=") ||
        entry.starts_with(std::string(edge::kTokenVariable) + "=") ||
        entry.starts_with(std::string(kBindNowVariable) + "=")) {
      continue;
    }
    env_strings.emplace_back(entry);
  }
  env_strings.push_back(std::string(edge::kTokenVariable) + "=" + s.token_);
  // The dynamic loader binds every symbol at the server's start (ld.so(8)), once for the
  // build, instead of lazily in each worker and again in each process a worker forks (the
  // sandbox's PID 1 and its command), where each first call of a function resolves it and
  // writes the resolution into a copied page: 0.26-0.41 ms an edge on the project's VM
  // (docs/edge-cost.md). The workers take their edge's environment, without it.
  env_strings.push_back(std::string(kBindNowVariable) + "=1");
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  char arg0[] = "fanout", arg1[] = "exec-server", arg2[] = "--socket-fd", arg3[] = "3",
       arg4[] = "--build-dir";
  std::string arg5 = build_dir;
  char* argv[] = {arg0, arg1, arg2, arg3, arg4, arg5.data(), nullptr};
  const pid_t parent = getpid();
  // `fanout build` catches SIGINT and SIGTERM: a signal sent to the child before its exec would
  // run that handler in the child and be lost with it, and the server would never stop.
  ForkedSignals signals;
  const pid_t pid = fork();
  if (pid < 0) return MakeError(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    signals.InChild();
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(128 + SIGTERM);
    if (dup2(listener.get(), 3) < 0) _exit(127);
    execve("/proc/self/exe", argv, envp.data());
    _exit(127);
  }
  signals.InParent();
  s.pid_ = pid;
  s.pidfd_.reset(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  return s;
}

ExecServerProcess::ExecServerProcess(ExecServerProcess&& o) noexcept { *this = std::move(o); }

ExecServerProcess& ExecServerProcess::operator=(ExecServerProcess&& o) noexcept {
  if (this != &o) {
    Stop();
    pid_ = std::exchange(o.pid_, -1);
    pidfd_ = std::move(o.pidfd_);
    dir_ = std::exchange(o.dir_, "");
    socket_path_ = std::exchange(o.socket_path_, "");
    token_ = std::exchange(o.token_, "");
  }
  return *this;
}

void ExecServerProcess::Stop() {
  if (pid_ > 0) {
    // By its pidfd: the server may have been reaped already (the build stops what is left of
    // its children once Ninja ends), and its pid reused since.
    if (pidfd_) {
      syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGTERM, nullptr, 0);
      siginfo_t info;
      while (waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd_.get()), &info,
                    WEXITED) < 0 &&
             errno == EINTR) {
      }
    }
    pidfd_.reset();
    pid_ = -1;
  }
  if (!socket_path_.empty()) unlink(socket_path_.c_str());
  if (!dir_.empty()) rmdir(dir_.c_str());
  socket_path_.clear();
  dir_.clear();
}

}  // namespace fanout
