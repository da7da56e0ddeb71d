// Running one command isolated, in either tier, and tearing everything it started down.
//
// Namespaces tier: a PID 1 is cloned into new mount, PID, IPC, UTS (and, for `network:
// false`, network) namespaces; it builds the file system view (mounts.h) and runs the command
// as its child, in a nested user namespace when fanout runs as root (so the command has no
// real capabilities and cannot undo the read-only mounts), whose root is an unprivileged host
// id (identity.h). When the command exits, PID 1 kills
// everything left (daemons included), runs the collection step, reports and exits; killing
// PID 1 kills the whole namespace.
//
// Process tier: the command gets its own session and process group; this process is a child
// subreaper, so orphans come back to it and are killed; Landlock (landlock.h) hides the
// repository and the rest of the build directory from reads and limits writes, and scopes
// signals and abstract sockets to the sandbox; a seccomp filter takes io_uring away, and every
// socket family but Unix for `network: false`. As root, the command runs as the build uid with
// no capability.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/expected.h"
#include "base/unique_fd.h"
#include "description/description.h"
#include "sandbox/cgroup.h"
#include "sandbox/identity.h"
#include "sandbox/mounts.h"
#include "sandbox/probe.h"
#include "sandbox/subordinate_ids.h"

namespace fanout::sandbox {

class LogRelay;  // sandbox/log_relay.h

/// Where the command finds SandboxSpec::inherit_fds: 3, 4, ... A POSIX shell's redirections
/// name single digits, so at most kMaxInheritedFds.
inline constexpr int kFirstInheritedFd = 3;
inline constexpr int kMaxInheritedFds = 7;

/// Everything needed to run one command in a sandbox.
struct SandboxSpec {
  Tier tier = Tier::kProcess;
  std::string command;           ///< run as /bin/sh -c command
  std::vector<std::string> env;  ///< the whole environment, "K=V"
  int output_fd = -1;            ///< stdout and stderr of the command
  /// Descriptors (close-on-exec in fanout) the command inherits, as kFirstInheritedFd, the
  /// next, and so on, in order: the image's secrets (sandbox/secrets.h).
  std::vector<int> inherit_fds;
  bool network = true;
  Limits limits;  ///< applied as rlimits (the runner leaves out what `cgroups` enforce)
  /// The edge's cgroups, joined by the sandbox's first process before anything else runs
  /// (PID 1 in the namespaces tier, so the whole PID namespace is inside).
  std::vector<CgroupJoin> cgroups;
  /// The view: mounted in the namespaces tier; in the process tier its `writable`, `hide` and
  /// `keep` become Landlock rules. Its `workspace` is the working directory in both tiers.
  MountPlan mounts;
  /// Process tier: apply Landlock (when the kernel has it): the workspace and
  /// `mounts.writable` writable, `mounts.hide` unreadable except `mounts.keep`, everything
  /// else readable, and the output file (`output_fd`) writable.
  bool landlock = false;
  /// When active (fanout runs as root), the unprivileged host ids the command runs as: its
  /// user namespace's root in the namespaces tier, its uid in the process tier.
  BuildIdentity identity;
  /// Host groups the command also gets (those of the sockets the target declares).
  std::vector<gid_t> extra_gids;
  /// Namespaces tier, fanout not root: when set, the sandbox's user namespace maps the
  /// caller's subordinate ids too (subordinate_ids.h), and the command runs as root of a user
  /// namespace nested in it, as it does when fanout runs as root. For the buildah engine,
  /// whose builds need many ids.
  std::optional<SubordinateIds> subordinate;
  /// Runs after the command exited by itself and every process it started is gone, where the
  /// workspace is visible (inside PID 1 in the namespaces tier); its text comes back in
  /// SandboxExit::after_output.
  std::function<std::string()> after;
};

/// How a sandboxed run ended.
struct SandboxExit {
  int exit_code = -1;        ///< the command's exit status (when it exited)
  int signal = 0;            ///< the signal that ended the command, 0 if it exited
  std::string setup_error;   ///< the sandbox could not be built; the command never ran
  std::string after_output;  ///< what `after` returned (empty when it did not run)
  /// When the sandbox's set-up ended, the command ended and `after` ended, in seconds on
  /// CLOCK_MONOTONIC (sandbox/exec_profile.h); 0 where not measured.
  double setup_done = 0, command_done = 0, after_done = 0;
};

/// Prepares the calling (single-threaded) process to supervise sandboxes: blocks SIGINT,
/// SIGTERM, SIGHUP and SIGCHLD and returns a signalfd that reads them, and makes the process a
/// child subreaper so orphans of a sandbox come back to it and nothing escapes the final kill.
UniqueFd BecomeSupervisor();

/// A running sandbox. The owner must reap SIGCHLD through Reap(); signals are expected to be
/// blocked and read from a signalfd (see BecomeSupervisor and Supervise).
class Sandbox {
 public:
  /// Starts the command. The calling process must be single-threaded.
  static Expected<std::unique_ptr<Sandbox>> Start(const SandboxSpec& spec);
  virtual ~Sandbox() = default;

  /// Sends `sig` to every process of the sandbox (then SIGCONT, so stopped ones see it).
  virtual void Signal(int sig) = 0;
  /// Kills every process of the sandbox at once.
  virtual void Kill() = 0;
  /// Reaps what exited; returns true when the sandbox is finished and result() is final.
  virtual bool Reap() = 0;
  /// A descriptor to poll for reading (PID 1's report), or -1.
  virtual int report_fd() const { return -1; }
  /// Reads what is available on report_fd().
  virtual void ReadReport() {}
  /// Waits until the sandbox's last process has exited. Reap() may say the sandbox is
  /// finished once its PID 1 has reported and closed the report (every other process of it
  /// gone), while PID 1 is still exiting and the kernel is tearing its namespaces down.
  virtual void WaitEnded() {}
  virtual const SandboxExit& result() const = 0;
};

/// How Supervise ended.
struct Supervision {
  SandboxExit exit;
  bool timed_out = false;
  int interrupted_by = 0;  ///< SIGINT, SIGTERM or SIGHUP received from outside, else 0
  double seconds = 0;      ///< wall time
};

/// Runs the sandbox to its end: on timeout (`timeout_seconds` > 0) or on a signal read from
/// `signal_fd` it sends SIGTERM (or the received signal) to everything, and SIGKILL after
/// `grace_seconds`. Meanwhile it relays the command's output through `relay` (when given).
Supervision Supervise(Sandbox& sandbox, int signal_fd, double timeout_seconds, double grace_seconds,
                      LogRelay* relay = nullptr);

/// Sends `sig` to every descendant of this process; returns how many there were.
int SignalDescendants(int sig);

}  // namespace fanout::sandbox
