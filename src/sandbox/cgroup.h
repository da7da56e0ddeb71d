// Per-edge control groups for `limits: {memory, pids}`. The probe finds, once, where fanout
// may create cgroups: cgroup v2 (a delegated subtree, or the root of a cgroup namespace) or
// the v1 memory and pids hierarchies, under fanout's own cgroup in each. An edge with limits
// gets its own cgroup there; the sandbox's first process joins it before anything else runs
// (so every process of the sandbox is inside), and at the end whatever is left is killed and
// the cgroup removed. Edges without memory or pids limits never touch cgroups.
//
// cgroup v2 forbids processes in a cgroup whose children have controllers enabled. When
// fanout's cgroup X holds processes (ninja, the shell, fanout itself) and the controllers are
// not yet enabled below it, the first edge moves every process of X into the leaf
// X/fanout-leaf, enables the controllers in X, and creates the edge cgroups in X, siblings of
// that leaf. This is the layout systemd's delegation documentation asks for.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/expected.h"
#include "base/unique_fd.h"
#include "description/description.h"
#include "sandbox/cgroup_files.h"

namespace fanout::sandbox {

/// The name of the v2 leaf fanout moves its own processes into (see above).
inline constexpr const char* kCgroupLeaf = "fanout-leaf";

/// Which cgroup interface enforces limits.
enum class CgroupVersion { kNone = 0, kV1 = 1, kV2 = 2 };

/// Where fanout may create edge cgroups on this machine.
struct CgroupSupport {
  CgroupVersion version = CgroupVersion::kNone;
  std::string memory_parent;  ///< edge cgroups for memory go here; empty: no memory controller
  std::string pids_parent;    ///< edge cgroups for pids go here (v2: memory_parent's twin)
  /// Why cgroups (or one of the two controllers) cannot be used; empty when both can.
  std::string unavailable;
};

/// "cgroup v1", "cgroup v2" or "rlimit".
const char* CgroupVersionName(CgroupVersion version);

/// For people: "cgroup v1 (memory, pids)", "cgroup v2 (pids; memory: ...)" or
/// "rlimits only (...)".
std::string DescribeCgroupSupport(const CgroupSupport& support);

/// Finds the usable cgroups from /proc/self/cgroup and /proc/self/mountinfo and checks each
/// candidate by creating and removing a child cgroup.
CgroupSupport ProbeCgroups();

/// The process's cgroups in one line (/proc/self/cgroup, with a trailing /fanout-leaf
/// dropped): a probe taken in other cgroups does not apply.
std::string CgroupIdentity();

/// A cgroup.procs file opened for writing, for the sandbox's first process to join.
struct CgroupJoin {
  int fd = -1;
  std::string path;
};

/// Moves the calling process into each cgroup (writes "0" to its cgroup.procs). Runs in a
/// freshly forked or cloned child, whose children then stay inside. Returns an error text,
/// empty on success.
std::string JoinCgroups(const std::vector<CgroupJoin>& joins);

/// The cgroups of one edge, holding its memory and pids limits. Destroying it kills anything
/// left inside and removes the cgroups.
class EdgeCgroup {
 public:
  /// Creates the cgroups for the limits `support` can enforce (memory and pids of `limits`;
  /// at least one must be enforceable), named fanout-<pid namespace>-<pid>, so one left by a
  /// killed fanout is recognised (and emptied) only by a later process with its pid. Errors
  /// name the path that failed.
  static Expected<std::unique_ptr<EdgeCgroup>> Create(const CgroupSupport& support,
                                                      const Limits& limits);
  ~EdgeCgroup();
  EdgeCgroup(const EdgeCgroup&) = delete;
  EdgeCgroup& operator=(const EdgeCgroup&) = delete;

  CgroupVersion version() const { return version_; }
  bool limits_memory() const { return memory_ >= 0; }
  bool limits_pids() const { return pids_ >= 0; }
  /// The cgroup directories, for messages.
  std::vector<std::string> dirs() const;
  /// What the sandbox's first process passes to JoinCgroups.
  std::vector<CgroupJoin> joins() const;

  /// Whether the kernel killed a process because the memory limit was reached.
  bool MemoryLimitHit() const;
  /// Whether a fork or clone failed because the pids limit was reached.
  bool PidsLimitHit() const;

  /// Kills every process left inside, waits until the cgroups are empty and removes them.
  /// Reaps the killed processes that are children of this one (fanout is their subreaper).
  Status Destroy();

 private:
  struct Group {
    std::string dir;
    UniqueFd procs;
  };
  EdgeCgroup() = default;
  Status AddGroup(const std::string& parent, const std::string& name);

  CgroupVersion version_ = CgroupVersion::kNone;
  std::vector<Group> groups_;
  int memory_ = -1;  ///< index in groups_ of the cgroup with the memory limit, -1: none
  int pids_ = -1;
};

}  // namespace fanout::sandbox
