#include "sandbox/isolate.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <grp.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/child_processes.h"
#include "base/file_util.h"
#include "base/unique_fd.h"
#include "sandbox/confine.h"
#include "sandbox/fd_passing.h"
#include "sandbox/isolate_tiers.h"
#include "sandbox/landlock.h"
#include "sandbox/log_relay.h"
#include "sandbox/metadata_guard.h"
#include "sandbox/weaken.h"

namespace fanout::sandbox {

UniqueFd BecomeSupervisor() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGCHLD}) sigaddset(&set, s);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  UniqueFd fd(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  return fd;
}

double MonotonicSeconds() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::string ExecCommand(const SandboxSpec& spec, int landlock_fd, pid_t parent, int guard_socket) {
  if (chdir(spec.mounts.workspace.c_str()) != 0)
    return "chdir " + spec.mounts.workspace + ": " + std::strerror(errno);
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(spec.output_fd, 1) < 0 ||
      dup2(spec.output_fd, 2) < 0) {
    return std::string("redirect output: ") + std::strerror(errno);
  }
  for (int fd : spec.inherit_fds) {
    if (fcntl(fd, F_SETFD, 0) != 0)
      return std::string("inherit a descriptor: ") + std::strerror(errno);
  }
  ResetSignals();
  if (spec.tier == Tier::kProcess && spec.identity.active) {
    if (std::string e = DropToIdentity(spec.identity, spec.extra_gids); !e.empty()) return e;
  }
  // The uid switch cleared the parent-death signal; set it again, and make sure the parent did
  // not die before it was set.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) return "the supervisor exited";
  // The namespaces tier's network namespace already cuts the network.
  if (std::string e = InstallSeccompFilter(spec.tier == Tier::kNamespaces || spec.network);
      !e.empty()) {
    return e;
  }
  if (guard_socket >= 0) {
    // chmod, chown, utime and xattr calls go to the supervisor (metadata_guard.h); the
    // listener must not stay with the command, which could answer its own calls.
    auto listener = InstallMetadataFilter();
    if (!listener.ok()) return listener.error().message;
    if (Status sent = SendFd(guard_socket, listener->get()); !sent.ok()) {
      return sent.error().message;
    }
  }
  if (spec.tier == Tier::kProcess) {
    if (landlock_fd >= 0) {
      if (std::string e = EnforceLandlock(landlock_fd); !e.empty()) return e;
    }
  }
  if (std::string e = SetNoNewPrivs(); !e.empty()) return e;
  // The inherited descriptors go to 3, 4, ...: out of the way first (another descriptor of
  // this process may hold one of those numbers until the exec), then into place.
  if (spec.inherit_fds.size() > static_cast<std::size_t>(kMaxInheritedFds)) {
    return "more descriptors to inherit than the command can name";
  }
  std::vector<int> moved;
  for (int fd : spec.inherit_fds) moved.push_back(fcntl(fd, F_DUPFD_CLOEXEC, 64));
  for (std::size_t i = 0; i < moved.size(); ++i) {
    if (moved[i] < 0 || dup2(moved[i], kFirstInheritedFd + static_cast<int>(i)) < 0) {
      return std::string("inherit a descriptor: ") + std::strerror(errno);
    }
  }
  std::vector<char*> envp;
  for (const std::string& kv : spec.env) envp.push_back(const_cast<char*>(kv.c_str()));
  envp.push_back(nullptr);
  const char* argv[] = {"/bin/sh", "-c", spec.command.c_str(), nullptr};
  // The limits last, with nothing left to allocate: under a memory limit below what this
  // process holds already (a runner built with a sanitizer holds hundreds of MiB), any new
  // mapping would fail here rather than in the command.
  if (std::string e = ApplyRlimits(spec.limits); !e.empty()) return e;
  execve("/bin/sh", const_cast<char* const*>(argv), envp.data());
  return std::string("execve /bin/sh: ") + std::strerror(errno);
}

int SignalDescendants(int sig) {
  // Down the children files from this process: only our own tree is read, not every process
  // of the machine. The whole tree is listed before any of it is signalled, so that no child
  // is missed while its parent, killed, hands it to us; one forked meanwhile is the caller's
  // next round.
  std::vector<pid_t> tree = ListChildren();
  for (std::size_t i = 0; i < tree.size(); ++i) {
    for (pid_t c : ListChildrenOf(tree[i])) tree.push_back(c);
  }
  for (pid_t p : tree) kill(p, sig);
  return static_cast<int>(tree.size());
}

Expected<std::unique_ptr<Sandbox>> Sandbox::Start(const SandboxSpec& spec) {
  if (spec.tier == Tier::kProcess) {
    return StartProcessSandbox(spec);
  }
  return StartNamespaceSandbox(spec, geteuid() != 0);
}

Supervision Supervise(Sandbox& sandbox, int signal_fd, double timeout_seconds, double grace_seconds,
                      LogRelay* relay) {
  Supervision s;
  const double start = MonotonicSeconds();
  const double deadline = timeout_seconds > 0 ? start + timeout_seconds : 0;
  double kill_at = 0;
  bool finished = sandbox.Reap();
  while (!finished) {
    double now = MonotonicSeconds();
    double wake = 0;
    if (deadline > 0 && !s.timed_out) wake = deadline;
    if (kill_at > 0 && (wake == 0 || kill_at < wake)) wake = kill_at;
    int timeout_ms = wake > 0 ? static_cast<int>(std::max(0.0, (wake - now) * 1000) + 1) : -1;
    // A descriptor of -1 is left out by poll: the report once closed, the log's pipe once ended.
    struct pollfd fds[3] = {{signal_fd, POLLIN, 0},
                            {sandbox.report_fd(), POLLIN, 0},
                            {relay ? relay->read_fd() : -1, POLLIN, 0}};
    int rc = poll(fds, 3, timeout_ms);
    if (rc < 0 && errno != EINTR) break;
    if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) relay->Drain();
    if (fds[1].revents & (POLLIN | POLLHUP)) sandbox.ReadReport();
    if (fds[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(signal_fd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
        const int sig = static_cast<int>(si.ssi_signo);
        if ((sig == SIGINT || sig == SIGTERM || sig == SIGHUP) && s.interrupted_by == 0) {
          s.interrupted_by = sig;
          sandbox.Signal(sig);
          kill_at = MonotonicSeconds() + grace_seconds;
        }
      }
    }
    now = MonotonicSeconds();
    if (deadline > 0 && !s.timed_out && now >= deadline && s.interrupted_by == 0) {
      s.timed_out = true;
      sandbox.Signal(SIGTERM);
      kill_at = now + grace_seconds;
    }
    if (kill_at > 0 && now >= kill_at) {
      sandbox.Kill();
      kill_at = 0;
    }
    finished = sandbox.Reap();
  }
  s.exit = sandbox.result();
  s.seconds = MonotonicSeconds() - start;
  return s;
}

}  // namespace fanout::sandbox
