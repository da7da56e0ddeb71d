#include "sandbox/isolate_tiers.h"

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
#include "sandbox/spawn.h"
#include "sandbox/weaken.h"

namespace fanout::sandbox {
namespace {

// ---------------------------------------------------------------------------------------------
// Namespaces tier.

struct Pid1Context {
  const SandboxSpec* spec;
  int report_fd;
  bool user_ns;  // PID 1 itself is in a new user namespace (fanout is not root)
  uid_t uid;
  gid_t gid;
  // With spec->subordinate: PID 1's end of a socket pair. PID 1 says it is ready to be mapped;
  // the runner maps its namespace with the setuid helpers, which PID 1 cannot run (they would
  // be root of nothing in here), and answers.
  int map_socket;
};

void Report(int fd, const SandboxExit& r) {
  nlohmann::json j = {{"exit_code", r.exit_code},     {"signal", r.signal},
                      {"setup_error", r.setup_error}, {"after", r.after_output},
                      {"setup_done", r.setup_done},   {"command_done", r.command_done},
                      {"after_done", r.after_done}};
  WriteAllToFd(fd, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

/// What the command's first process needs: it starts sharing PID 1's memory (Pid1Main).
struct CommandStart {
  const SandboxSpec* spec;
  bool nest;  ///< in a user namespace of its own, which PID 1 maps
  bool subordinate;
  pid_t pid1;
  int go_fd;  ///< PID 1 writes 'k' once the command's namespace is mapped
};

/// The command's first process, cloned with CLONE_VM (and, nested, into its own user and mount
/// namespaces): it runs on PID 1's memory while PID 1 waits, blocked, for its exec or its end.
/// It waits for PID 1 to map its namespace, becomes the build uid there and execs the command.
int CommandMain(void* arg) {
  const auto* start = static_cast<const CommandStart*>(arg);
  const SandboxSpec& spec = *start->spec;
  char c = 0;
  // PID 1 kills this process when the mapping fails: no answer but 'k' comes.
  if (read(start->go_fd, &c, 1) != 1 || c != 'k') _exit(127);
  // Mapped: not dumpable again (PID 1 already made its memory so; a copy is made so here).
  if (start->nest && start->subordinate && !Weakened("dumpable")) prctl(PR_SET_DUMPABLE, 0);
  std::string err;
  // Nested: become the namespace's root, that is the build uid outside, with the sockets'
  // groups (the list replaces the one inherited from PID 1).
  if (start->nest && (spec.identity.active || start->subordinate)) {
    std::vector<gid_t> groups;
    for (size_t i = 0; i < spec.extra_gids.size(); ++i) {
      groups.push_back(static_cast<gid_t>(spec.identity.count + i));
    }
    if (setresgid(0, 0, 0) != 0 || setgroups(groups.size(), groups.data()) != 0 ||
        setresuid(0, 0, 0) != 0) {
      err = std::string("switching to the build uid: ") + std::strerror(errno);
    }
  }
  setsid();
  if (err.empty()) err = ExecCommand(spec, -1, start->pid1);
  WriteAllToFd(spec.output_fd, "fanout: sandbox setup failed: " + err + "\n");
  _exit(127);
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
  const bool subordinate = ctx->user_ns && spec.subordinate;
  if (subordinate) {
    // The helpers check that the process is the caller's, which a process that is not
    // dumpable is not (its /proc files are root's): dumpable until mapped, as below.
    prctl(PR_SET_DUMPABLE, 1);
    char c = 'r';
    const bool mapped =
        write(ctx->map_socket, &c, 1) == 1 && read(ctx->map_socket, &c, 1) == 1 && c == 'k';
    if (!Weakened("dumpable")) prctl(PR_SET_DUMPABLE, 0);
    if (!mapped) return 0;  // the runner says why
  } else if (ctx->user_ns) {
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
  // Unprivileged with subordinate ids, it is nested the same way, its root the caller: root of
  // PID 1's own namespace, it could undo the mounts above.
  const bool nest = !ctx->user_ns || (subordinate && !Weakened("subordinate-nest"));
  if (nest && !proc) return fail("a fresh /proc is needed to map the command's user namespace");
  // The command's first process shares PID 1's memory until its exec (CommandMain): no copy
  // of PID 1's page tables, and no copy of each page it writes before the exec. PID 1 maps its
  // namespace, says go, and then does nothing but wait for the exec.
  int go[2], exec_seen[2];
  if (pipe2(go, O_CLOEXEC) != 0 || pipe2(exec_seen, O_CLOEXEC) != 0) return fail("pipe");
  UniqueFd go_read(go[0]), go_write(go[1]), exec_read(exec_seen[0]), exec_write(exec_seen[1]);
  CommandStart start{&spec, nest, subordinate, getpid(), go_read.get()};
  const SpawnStack stack;
  if (!stack.ok()) return fail(std::string("mmap: ") + std::strerror(errno));
  // PID 1, root of a user namespace only, may open the maps of a dumpable process alone (one
  // that is not has its /proc files owned by the host's root); the command's first process is
  // dumpable with PID 1's memory, so until mapped, as above.
  if (nest && subordinate) prctl(PR_SET_DUMPABLE, 1);
  r.setup_done = MonotonicSeconds();
  // Not CLONE_VFORK: PID 1 writes the maps while the child waits for them.
  const pid_t child =
      SpawnSharingMemory(CommandMain, &start, nest ? CLONE_NEWUSER | CLONE_NEWNS : 0, stack);
  if (child < 0) {
    return fail(std::string(nest ? "clone(CLONE_NEWUSER): " : "clone: ") + std::strerror(errno));
  }
  exec_write.reset();
  go_read.reset();
  if (nest) {
    std::string e = subordinate            ? WriteIdentityIdMaps(child, spec.subordinate->count())
                    : spec.identity.active ? WriteRangeIdMaps(child, spec.identity, spec.extra_gids)
                                           : WriteIdMaps(child, true, 0, 0);
    if (subordinate && !Weakened("dumpable")) prctl(PR_SET_DUMPABLE, 0);
    if (!e.empty()) {
      kill(child, SIGKILL);
      while (waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
      }
      return fail("mapping the command's user namespace: " + e);
    }
  }
  // From "go" to the exec, the command's process runs on this memory: nothing here but system
  // calls (no allocation, no object freed). The pipe ends at its exec (close-on-exec) or at its
  // exit.
  const char go_ahead = 'k';
  if (write(go_write.get(), &go_ahead, 1) != 1) kill(child, SIGKILL);  // it waits for this
  char seen;
  while (read(exec_read.get(), &seen, 1) < 0 && errno == EINTR) {
  }
  go_write.reset();
  exec_read.reset();

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
  r.command_done = MonotonicSeconds();
  // Daemons and stragglers: the namespace ends with its PID 1, but collect first.
  kill(-1, SIGKILL);
  while (waitpid(-1, nullptr, 0) > 0 || errno == EINTR) {
  }
  if (!terminated && spec.after) r.after_output = spec.after();
  r.after_done = MonotonicSeconds();
  Report(ctx->report_fd, r);
  // Closed as the last thing PID 1 does: the runner takes the report as final at once, and
  // waits for PID 1's exit, and its namespaces' teardown, only before it lets the target go.
  close(ctx->report_fd);
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
    const bool subordinate = user_ns && spec_.subordinate;
    UniqueFd map_runner, map_pid1;
    if (subordinate) {
      if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
        return MakeError(std::string("socketpair: ") + std::strerror(errno));
      }
      map_runner.reset(fds[0]);
      map_pid1.reset(fds[1]);
    }
    Pid1Context ctx{&spec_, write_end.get(), user_ns, getuid(), getgid(), map_pid1.get()};
    int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
    if (user_ns) flags |= CLONE_NEWUSER;
    if (!spec_.network) flags |= CLONE_NEWNET;
    pid_ = CloneProcess(Pid1Main, &ctx, flags);
    if (pid_ < 0) {
      return MakeError(
          fmt::format("cannot create the sandbox namespaces: {}", std::strerror(errno)));
    }
    if (subordinate) {
      map_pid1.reset();
      char c = 0;
      std::string err = read(map_runner.get(), &c, 1) == 1 && c == 'r'
                            ? MapSubordinateIds(pid_, *spec_.subordinate)
                            : "the sandbox's first process ended before it was mapped";
      if (err.empty() && write(map_runner.get(), "k", 1) != 1)
        err = "the sandbox's first process is gone";
      if (!err.empty()) {
        kill(pid_, SIGKILL);
        while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
        }
        exited_ = true;  // waited for: its pid may be another process's now
        return MakeError(fmt::format(
            "cannot map the subordinate ids into the sandbox's user namespace: {}", err));
      }
    }
    fcntl(report_.get(), F_SETFL, O_NONBLOCK);
    return {};
  }

  void Signal(int sig) override { kill(pid_, sig); }  // PID 1 forwards it to everything
  void Kill() override { kill(pid_, SIGKILL); }       // the kernel kills the namespace

  ~NamespaceSandbox() override {
    if (pid_ > 0 && !exited_ && !finished_) kill(pid_, SIGKILL);
    WaitEnded();
  }

  bool Reap() override {
    if (finished_) return true;
    int status = 0;
    pid_t p;
    while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
      if (p == pid_) exited_ = true;
    }
    if (!exited_) {
      if (!report_closed_) return false;
      // PID 1 closes its report last, after it has killed and reaped every other process of
      // the sandbox: the result is final though PID 1 itself may still be exiting. A report
      // cut short (PID 1 killed while writing) is the exit's, waited for now.
      ReadReport();
      if (!nlohmann::json::parse(report_text_, nullptr, false).is_object()) {
        while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        exited_ = true;
      }
    }
    finished_ = true;
    ReadReport();
    auto j = nlohmann::json::parse(report_text_, nullptr, false);
    if (j.is_object()) {
      result_.exit_code = j.value("exit_code", -1);
      result_.signal = j.value("signal", 0);
      result_.setup_error = j.value("setup_error", "");
      result_.after_output = j.value("after", "");
      result_.setup_done = j.value("setup_done", 0.0);
      result_.command_done = j.value("command_done", 0.0);
      result_.after_done = j.value("after_done", 0.0);
    } else {
      // PID 1 was killed (timeout or interrupt) before it could report.
      result_.signal = WIFSIGNALED(status) ? WTERMSIG(status) : SIGKILL;
      result_.exit_code = 128 + result_.signal;
    }
    return true;
  }

  int report_fd() const override { return report_closed_ ? -1 : report_.get(); }

  void ReadReport() override {
    char buf[65536];
    while (!report_closed_) {
      ssize_t n = read(report_.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n == 0) report_closed_ = true;
      if (n <= 0) return;
      report_text_.append(buf, static_cast<size_t>(n));
    }
  }

  void WaitEnded() override {
    if (pid_ <= 0 || exited_) return;
    while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    exited_ = true;
  }

  const SandboxExit& result() const override { return result_; }

 private:
  SandboxSpec spec_;
  pid_t pid_ = -1;
  UniqueFd report_;
  std::string report_text_;
  bool report_closed_ = false;  ///< PID 1 closed its report (or exited)
  bool exited_ = false;         ///< PID 1 has been waited for
  bool finished_ = false;       ///< result_ is final
  SandboxExit result_;
};

}  // namespace

Expected<std::unique_ptr<Sandbox>> StartNamespaceSandbox(const SandboxSpec& spec, bool user_ns) {
  auto sb = std::make_unique<NamespaceSandbox>(spec);
  FANOUT_TRY(sb->Start(user_ns));
  return std::unique_ptr<Sandbox>(std::move(sb));
}

}  // namespace fanout::sandbox
