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
// Process tier.

/// What the command's process needs (CommandMain).
struct CommandStart {
  const SandboxSpec* spec;
  int landlock_fd;  ///< the ruleset to enforce, or -1
  pid_t parent;
  int guard_fd;  ///< where the metadata guard's listener goes, or -1
  int err_fd;    ///< why the command could not be started, when it could not
};

/// The command's process: joins its cgroups, confines itself and executes the command.
int CommandMain(void* arg) {
  const auto* start = static_cast<const CommandStart*>(arg);
  std::string err = JoinCgroups(start->spec->cgroups);
  setsid();  // own session and process group: Ninja's and the terminal's signals stay out
  if (err.empty())
    err = ExecCommand(*start->spec, start->landlock_fd, start->parent, start->guard_fd);
  WriteAllToFd(start->err_fd, err);
  _exit(127);
}

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
      // The host's /tmp and /dev/shm, which the namespaces tier replaces with its own (mounts.cc):
      // hidden here, so that neither tier shows the command other users' or builds' temporary
      // files. Its $TMPDIR is the workspace's own (environment.cc).
      if (!Weakened("tmp")) {
        policy.hidden.push_back("/tmp");
        policy.hidden.push_back("/dev/shm");
      }
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
    // The command's process shares this memory until its exec, this process suspended until
    // then (CLONE_VFORK, as posix_spawn does): no copy of the runner for it.
    CommandStart start{&spec_, landlock ? landlock.get() : -1, getpid(), guard_theirs.get(),
                       err_pipe[1]};
    const SpawnStack stack;
    result_.setup_done = MonotonicSeconds();
    pid_ = stack.ok() ? SpawnSharingMemory(CommandMain, &start, CLONE_VFORK, stack) : -1;
    if (pid_ < 0) {
      const int err = errno;
      close(err_pipe[0]);
      close(err_pipe[1]);
      return MakeError(std::string(stack.ok() ? "clone: " : "mmap: ") + std::strerror(err));
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
    result_.command_done = MonotonicSeconds();
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
    result_.after_done = MonotonicSeconds();
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

}  // namespace

Expected<std::unique_ptr<Sandbox>> StartProcessSandbox(const SandboxSpec& spec) {
  auto sb = std::make_unique<ProcessSandbox>(spec);
  FANOUT_TRY(sb->Start());
  return std::unique_ptr<Sandbox>(std::move(sb));
}

}  // namespace fanout::sandbox
