// The children of this process, adopted ones included: `fanout build` is the child subreaper of
// everything it starts (docs/build-directory.md, "Interruptions"), so that a process whose
// parent was killed comes back to it rather than to PID 1, and none outlives the build.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <vector>

namespace fanout {

/// Makes this process the reaper of the orphans its descendants leave (PR_SET_CHILD_SUBREAPER).
void BecomeSubreaper();

/// Forking a child that will exec, in a process that catches SIGINT, SIGTERM or SIGHUP: a
/// signal sent to the child between the fork and its exec would run the parent's handler in
/// the child and be lost. Construct it before the fork (it blocks the three); the child calls
/// InChild() (default actions, then the mask as it was, so that a signal that came meanwhile
/// acts now), the parent InParent() (its mask as it was). Async-signal-safe in the child.
class ForkedSignals {
 public:
  ForkedSignals();
  ~ForkedSignals() { InParent(); }
  ForkedSignals(const ForkedSignals&) = delete;
  ForkedSignals& operator=(const ForkedSignals&) = delete;
  void InChild();
  void InParent();

 private:
  sigset_t old_{};
  bool restored_ = false;
};

/// The pids of this process's children, live or not yet reaped, from every thread's
/// /proc/self/task/TID/children.
std::vector<pid_t> ListChildren();

/// The same for process `parent` (0: this process): what its threads' children files list.
/// A process that is gone, or whose files cannot be read, has none.
std::vector<pid_t> ListChildrenOf(pid_t parent);

/// Kills (SIGKILL) every child but `keep` and `also_keep` (a helper started before `keep`, or
/// -1) and reaps those already gone: orphans adopted while `keep` runs. Returns how many there
/// were. Only for a process that starts no other child while `keep` runs, since a helper's
/// child would be taken for an orphan.
int KillChildrenExcept(pid_t keep, pid_t also_keep = -1);

/// After the main child has ended: sends SIGTERM to every remaining child, reaps them as they
/// end, and after `grace_seconds` SIGKILLs and reaps what is left (giving up 10 s later on one
/// stuck in the kernel). Returns how many children there were.
int StopRemainingChildren(double grace_seconds);

}  // namespace fanout
