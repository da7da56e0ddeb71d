#include "sandbox/isolate.h"

#include <dirent.h>
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
#include <fstream>
#include <map>
#include <vector>

#include <grp.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/file_util.h"
#include "base/unique_fd.h"
#include "sandbox/confine.h"
#include "sandbox/fd_passing.h"
#include "sandbox/landlock.h"
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

namespace {

double Now() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Turns this (forked) process into the command, restricted by the Landlock ruleset
// `landlock_fd` unless it is -1. Returns only on failure, with the reason.
std::string ExecCommand(const SandboxSpec& spec, int landlock_fd, pid_t parent,
                        int guard_socket = -1) {
  if (chdir(spec.mounts.workspace.c_str()) != 0)
    return "chdir " + spec.mounts.workspace + ": " + std::strerror(errno);
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(spec.output_fd, 1) < 0 ||
      dup2(spec.output_fd, 2) < 0) {
    return std::string("redirect output: ") + std::strerror(errno);
  }
  ResetSignals();
  if (std::string e = ApplyRlimits(spec.limits); !e.empty()) return e;
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
  std::vector<char*> envp;
  for (const std::string& kv : spec.env) envp.push_back(const_cast<char*>(kv.c_str()));
  envp.push_back(nullptr);
  const char* argv[] = {"/bin/sh", "-c", spec.command.c_str(), nullptr};
  execve("/bin/sh", const_cast<char* const*>(argv), envp.data());
  return std::string("execve /bin/sh: ") + std::strerror(errno);
}

// ---------------------------------------------------------------------------------------------
// Process tier.

class ProcessSandbox : public Sandbox {
 public:
  explicit ProcessSandbox(const SandboxSpec& spec) : spec_(spec) {}

  Status Start() {
    // The ruleset is built here, where errors and notes can be reported, and only applied by
    // the child.
    UniqueFd landlock;
    if (spec_.landlock) {
      LandlockPolicy policy;
      policy.writable = spec_.mounts.writable;
      policy.writable.push_back(spec_.mounts.workspace);
      policy.hidden = spec_.mounts.hide;
      policy.readable = spec_.mounts.keep;
      policy.writable_files = {spec_.output_fd};
      policy.deny_tcp = !spec_.network && !Weakened("landlock-scope");
      policy.scoped = !Weakened("landlock-scope");
      std::vector<std::string> notes;
      auto ruleset = MakeLandlockRuleset(policy, &notes);
      if (!ruleset.ok()) return MakeError("Landlock: " + ruleset.error().message);
      for (const std::string& note : notes) {
        WriteAllToFd(spec_.output_fd, "fanout: note: " + note + "\n");
      }
      landlock = std::move(*ruleset);
    }
    int err_pipe[2];
    if (pipe2(err_pipe, O_CLOEXEC) != 0)
      return MakeError(std::string("pipe: ") + std::strerror(errno));
    const bool guarded = !Weakened("metadata");
    int guard_pair[2] = {-1, -1};
    if (guarded && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, guard_pair) != 0) {
      return MakeError(std::string("socketpair: ") + std::strerror(errno));
    }
    UniqueFd guard_mine(guard_pair[0]), guard_theirs(guard_pair[1]);
    const pid_t parent = getpid();
    pid_ = fork();
    if (pid_ < 0) return MakeError(std::string("fork: ") + std::strerror(errno));
    if (pid_ == 0) {
      close(err_pipe[0]);
      std::string err = JoinCgroups(spec_.cgroups);
      setsid();  // own session and process group: Ninja's and the terminal's signals stay out
      if (err.empty()) {
        err = ExecCommand(spec_, landlock ? landlock.get() : -1, parent, guard_theirs.get());
      }
      WriteAllToFd(err_pipe[1], err);
      _exit(127);
    }
    close(err_pipe[1]);
    guard_theirs.reset();
    if (guarded) {
      // The child sends the listener just before it executes the command (or exits).
      auto listener = ReceiveFd(guard_mine.get(), -1);
      if (listener.ok()) {
        std::vector<std::string> roots = spec_.mounts.writable;
        roots.push_back(spec_.mounts.workspace);
        guard_ = std::make_unique<MetadataGuard>(std::move(*listener), roots);
      }
    }
    std::string err;
    char buf[512];
    for (;;) {
      ssize_t n = read(err_pipe[0], buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      err.append(buf, static_cast<size_t>(n));
    }
    close(err_pipe[0]);
    if (!err.empty()) {
      result_.setup_error = err;
      waitpid(pid_, nullptr, 0);
      finished_ = true;
    }
    return {};
  }

  void Signal(int sig) override {
    terminated_ = true;
    SignalDescendants(sig);
    SignalDescendants(SIGCONT);
  }

  void Kill() override {
    terminated_ = true;
    SignalDescendants(SIGKILL);
  }

  bool Reap() override {
    if (finished_) return true;
    for (;;) {
      int status = 0;
      pid_t p = waitpid(-1, &status, WNOHANG);
      if (p <= 0) break;
      if (p == pid_) {
        main_done_ = true;
        if (WIFEXITED(status)) {
          result_.exit_code = WEXITSTATUS(status);
        } else if (WIFSIGNALED(status)) {
          result_.signal = WTERMSIG(status);
          result_.exit_code = 128 + result_.signal;
        }
      }
    }
    if (!main_done_) return false;
    // The command is done: nothing it started may outlive it. Orphans were reparented to us
    // (child subreaper); kill until none is left.
    for (int round = 0;; ++round) {
      int n = SignalDescendants(SIGKILL);
      int status;
      pid_t p = waitpid(-1, &status, n > 0 ? 0 : WNOHANG);
      if (n == 0 && p <= 0) break;
      if (p < 0 && errno == ECHILD && n > 0) usleep(1000);  // not reparented to us yet
    }
    if (!terminated_ && spec_.after) result_.after_output = spec_.after();
    finished_ = true;
    return true;
  }

  const SandboxExit& result() const override { return result_; }

  int report_fd() const override { return guard_ ? guard_->fd() : -1; }

  // Answers the command's metadata calls; stops when no process uses the filter any more.
  void ReadReport() override {
    for (int i = 0; guard_ && i < 64; ++i) {
      struct pollfd p = {guard_->fd(), POLLIN, 0};
      if (poll(&p, 1, 0) <= 0) return;
      if (p.revents & POLLIN) {
        guard_->HandleOne();
      } else {
        guard_.reset();  // POLLHUP or an error: every process under the filter is gone
      }
    }
  }

 private:
  SandboxSpec spec_;
  std::unique_ptr<MetadataGuard> guard_;
  pid_t pid_ = -1;
  bool main_done_ = false;
  bool finished_ = false;
  bool terminated_ = false;
  SandboxExit result_;
};

// ---------------------------------------------------------------------------------------------
// Namespaces tier.

struct Pid1Context {
  const SandboxSpec* spec;
  int report_fd;
  bool user_ns;  // PID 1 itself is in a new user namespace (fanout is not root)
  uid_t uid;
  gid_t gid;
};

void Report(int fd, const SandboxExit& r) {
  nlohmann::json j = {{"exit_code", r.exit_code},
                      {"signal", r.signal},
                      {"setup_error", r.setup_error},
                      {"after", r.after_output}};
  WriteAllToFd(fd, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

int Pid1Main(void* arg) {
  auto* ctx = static_cast<Pid1Context*>(arg);
  const SandboxSpec& spec = *ctx->spec;
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // the runner died: take the namespace with us
  SandboxExit r;
  auto fail = [&](const std::string& what) {
    r.setup_error = what;
    Report(ctx->report_fd, r);
    return 0;
  };
  if (std::string e = JoinCgroups(spec.cgroups); !e.empty()) return fail(e);
  if (ctx->user_ns) {
    // fanout is not dumpable (main.cc), which leaves /proc/self/uid_map to the host's root:
    // dumpable just long enough to map our own ids, then not again (the command, which sees
    // this process as its parent, must not read its environment).
    prctl(PR_SET_DUMPABLE, 1);
    std::string e = WriteIdMaps(0, false, ctx->uid, ctx->gid);
    if (!Weakened("dumpable")) prctl(PR_SET_DUMPABLE, 0);
    if (!e.empty()) return fail(e);
  }
  if (std::string e = SetUpMounts(spec.mounts); !e.empty()) return fail(e);
  const bool proc = MountProc();
  if (proc) {
    if (std::string e = CoverProc(); !e.empty()) return fail(e);
  }
  if (!spec.network) {
    if (std::string e = LoopbackUp(); !e.empty()) return fail(e);
  }
  // As root, the command runs in a nested user namespace whose root is the unprivileged build
  // uid outside (identity.h): it has no capability outside, owns nothing of the host's, and the
  // mounts above are locked. (Only the test build maps it to host root, as fanout once did.)
  const bool nest = !ctx->user_ns;
  if (nest && !proc) return fail("a fresh /proc is needed to map the command's user namespace");
  int to_parent[2], to_child[2];
  if (pipe2(to_parent, O_CLOEXEC) != 0 || pipe2(to_child, O_CLOEXEC) != 0) return fail("pipe");
  const pid_t pid1 = getpid();
  pid_t child = fork();
  if (child < 0) return fail(std::string("fork: ") + std::strerror(errno));
  if (child == 0) {
    close(to_parent[0]);
    close(to_child[1]);
    std::string err;
    if (nest) {
      // Root's supplementary groups would follow it into the namespace: drop them first.
      if (spec.identity.active && setgroups(0, nullptr) != 0) {
        err = std::string("setgroups: ") + std::strerror(errno);
      }
      char c = err.empty() && unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0 ? 'u' : 'x';
      if (c == 'x' && err.empty()) {
        err = std::string("unshare(CLONE_NEWUSER): ") + std::strerror(errno);
      }
      if (write(to_parent[1], &c, 1) != 1 || c != 'u' || read(to_child[0], &c, 1) != 1 ||
          c != 'k') {
        if (err.empty()) err = "mapping the command's user namespace failed";
      }
      // Become the namespace's root, that is the build uid outside, with the sockets' groups.
      if (err.empty() && spec.identity.active) {
        std::vector<gid_t> groups;
        for (size_t i = 0; i < spec.extra_gids.size(); ++i) {
          groups.push_back(static_cast<gid_t>(spec.identity.count + i));
        }
        if (setresgid(0, 0, 0) != 0 || setgroups(groups.size(), groups.data()) != 0 ||
            setresuid(0, 0, 0) != 0) {
          err = std::string("switching to the build uid: ") + std::strerror(errno);
        }
      }
    }
    setsid();
    if (err.empty()) err = ExecCommand(spec, -1, pid1);
    WriteAllToFd(spec.output_fd, "fanout: sandbox setup failed: " + err + "\n");
    _exit(127);
  }
  close(to_parent[1]);
  close(to_child[0]);
  if (nest) {
    char c = 0;
    bool ok = read(to_parent[0], &c, 1) == 1 && c == 'u';
    std::string e = !ok                    ? "unshare failed"
                    : spec.identity.active ? WriteRangeIdMaps(child, spec.identity, spec.extra_gids)
                                           : WriteIdMaps(child, true, 0, 0);
    c = e.empty() ? 'k' : 'x';
    if (write(to_child[1], &c, 1) != 1) {
    }
    if (!e.empty()) {
      kill(-1, SIGKILL);
      while (waitpid(-1, nullptr, 0) > 0) {
      }
      return fail("mapping the command's user namespace: " + e);
    }
  }
  close(to_parent[0]);
  close(to_child[1]);

  // Signals are blocked (inherited from the runner); wait for them synchronously.
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, s);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  bool terminated = false, done = false;
  while (!done) {
    int status = 0;
    pid_t p;
    while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
      if (p != child) continue;
      done = true;
      if (WIFEXITED(status)) {
        r.exit_code = WEXITSTATUS(status);
      } else if (WIFSIGNALED(status)) {
        r.signal = WTERMSIG(status);
        r.exit_code = 128 + r.signal;
      }
    }
    if (done) break;
    siginfo_t info;
    int sig = sigwaitinfo(&set, &info);
    if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) {
      terminated = true;
      kill(-1, sig);  // every process in the namespace but PID 1
      kill(-1, SIGCONT);
    }
  }
  // Daemons and stragglers: the namespace ends with its PID 1, but collect first.
  kill(-1, SIGKILL);
  while (waitpid(-1, nullptr, 0) > 0 || errno == EINTR) {
  }
  if (!terminated && spec.after) r.after_output = spec.after();
  Report(ctx->report_fd, r);
  return 0;
}

class NamespaceSandbox : public Sandbox {
 public:
  explicit NamespaceSandbox(const SandboxSpec& spec) : spec_(spec) {}

  Status Start(bool user_ns) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return MakeError(std::string("pipe: ") + std::strerror(errno));
    report_.reset(fds[0]);
    UniqueFd write_end(fds[1]);
    Pid1Context ctx{&spec_, write_end.get(), user_ns, getuid(), getgid()};
    int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
    if (user_ns) flags |= CLONE_NEWUSER;
    if (!spec_.network) flags |= CLONE_NEWNET;
    pid_ = CloneProcess(Pid1Main, &ctx, flags);
    if (pid_ < 0) {
      return MakeError(
          fmt::format("cannot create the sandbox namespaces: {}", std::strerror(errno)));
    }
    fcntl(report_.get(), F_SETFL, O_NONBLOCK);
    return {};
  }

  void Signal(int sig) override { kill(pid_, sig); }  // PID 1 forwards it to everything
  void Kill() override { kill(pid_, SIGKILL); }       // the kernel kills the namespace

  bool Reap() override {
    if (finished_) return true;
    int status = 0;
    pid_t p;
    while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
      if (p == pid_) finished_ = true;
    }
    if (!finished_) return false;
    ReadReport();
    auto j = nlohmann::json::parse(report_text_, nullptr, false);
    if (j.is_object()) {
      result_.exit_code = j.value("exit_code", -1);
      result_.signal = j.value("signal", 0);
      result_.setup_error = j.value("setup_error", "");
      result_.after_output = j.value("after", "");
    } else {
      // PID 1 was killed (timeout or interrupt) before it could report.
      result_.signal = WIFSIGNALED(status) ? WTERMSIG(status) : SIGKILL;
      result_.exit_code = 128 + result_.signal;
    }
    return true;
  }

  int report_fd() const override { return report_.get(); }

  void ReadReport() override {
    char buf[65536];
    for (;;) {
      ssize_t n = read(report_.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      report_text_.append(buf, static_cast<size_t>(n));
    }
  }

  const SandboxExit& result() const override { return result_; }

 private:
  SandboxSpec spec_;
  pid_t pid_ = -1;
  UniqueFd report_;
  std::string report_text_;
  bool finished_ = false;
  SandboxExit result_;
};

}  // namespace

int SignalDescendants(int sig) {
  // One pass over /proc: parent links, then everything below us.
  std::multimap<pid_t, pid_t> children;
  DIR* d = opendir("/proc");
  if (!d) return 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/stat");
    std::string stat;
    std::getline(in, stat);
    size_t paren = stat.rfind(')');
    if (paren == std::string::npos || paren + 4 > stat.size()) continue;
    // "pid (comm) S ppid ..."
    pid_t ppid = static_cast<pid_t>(std::atoi(stat.c_str() + paren + 4));
    children.emplace(ppid, static_cast<pid_t>(std::atoi(e->d_name)));
  }
  closedir(d);
  std::vector<pid_t> todo = {getpid()};
  int count = 0;
  while (!todo.empty()) {
    pid_t p = todo.back();
    todo.pop_back();
    auto [begin, end] = children.equal_range(p);
    for (auto it = begin; it != end; ++it) {
      kill(it->second, sig);
      ++count;
      todo.push_back(it->second);
    }
  }
  return count;
}

Expected<std::unique_ptr<Sandbox>> Sandbox::Start(const SandboxSpec& spec) {
  if (spec.tier == Tier::kProcess) {
    auto sb = std::make_unique<ProcessSandbox>(spec);
    FANOUT_TRY(sb->Start());
    return std::unique_ptr<Sandbox>(std::move(sb));
  }
  auto sb = std::make_unique<NamespaceSandbox>(spec);
  FANOUT_TRY(sb->Start(geteuid() != 0));
  return std::unique_ptr<Sandbox>(std::move(sb));
}

Supervision Supervise(Sandbox& sandbox, int signal_fd, double timeout_seconds,
                      double grace_seconds) {
  Supervision s;
  const double start = Now();
  const double deadline = timeout_seconds > 0 ? start + timeout_seconds : 0;
  double kill_at = 0;
  bool finished = sandbox.Reap();
  while (!finished) {
    double now = Now();
    double wake = 0;
    if (deadline > 0 && !s.timed_out) wake = deadline;
    if (kill_at > 0 && (wake == 0 || kill_at < wake)) wake = kill_at;
    int timeout_ms = wake > 0 ? static_cast<int>(std::max(0.0, (wake - now) * 1000) + 1) : -1;
    struct pollfd fds[2] = {{signal_fd, POLLIN, 0}, {sandbox.report_fd(), POLLIN, 0}};
    int nfds = sandbox.report_fd() >= 0 ? 2 : 1;
    int rc = poll(fds, static_cast<nfds_t>(nfds), timeout_ms);
    if (rc < 0 && errno != EINTR) break;
    if (nfds == 2 && (fds[1].revents & (POLLIN | POLLHUP))) sandbox.ReadReport();
    if (fds[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(signal_fd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
        const int sig = static_cast<int>(si.ssi_signo);
        if ((sig == SIGINT || sig == SIGTERM || sig == SIGHUP) && s.interrupted_by == 0) {
          s.interrupted_by = sig;
          sandbox.Signal(sig);
          kill_at = Now() + grace_seconds;
        }
      }
    }
    now = Now();
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
  s.seconds = Now() - start;
  return s;
}

}  // namespace fanout::sandbox
