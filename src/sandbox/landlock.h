// Landlock in the process tier: one ruleset that restricts both what the command may read and
// what it may write, built by the supervisor before it forks and applied by the child just
// before it executes the command.
//
// Landlock only grants (an allow-list of PATH_BENEATH rules, each covering a directory and
// everything beneath it), so "everything readable except the repository and the build
// directory" is expressed by walking down from `/` towards each hidden path: every entry of a
// directory on the way that does not lead to a hidden path (a sibling) gets a read rule, the
// hidden paths get none, and the paths kept readable inside them (the workspace, the
// dependencies' artifacts) get their own rules. The directories on the way themselves (`/`,
// `/home`, ...) get no rule: their entries stay readable by name, but they cannot be listed.
//
// Limitations, all from Landlock's model:
//  - An entry created in one of those directories after the ruleset was built (a new file in
//    `/tmp` when the build directory lies under `/tmp`) has no rule and stays unreadable.
//  - Rules follow the file system hierarchy, not names: a hidden directory reachable through
//    another mount (a bind mount of it elsewhere) or a hard link stays readable there.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/expected.h"
#include "base/unique_fd.h"

namespace fanout::sandbox {

/// The Landlock ABI version the kernel offers, 0 when it has none.
int LandlockAbi();

/// What the command may read and write. All paths are absolute; symlinks in them are resolved.
struct LandlockPolicy {
  /// Readable and writable (create, remove, write, truncate), with everything beneath them.
  std::vector<std::string> writable;
  /// Unreadable (no read, listing or execution), with everything beneath them, except what
  /// `readable` or `writable` names beneath them. Paths that do not exist are ignored.
  std::vector<std::string> hidden;
  /// Readable again beneath a hidden path (dependencies' artifacts, $FANOUT_DEPS).
  std::vector<std::string> readable;
  /// Open regular files (by descriptor) the command may read and write: the log its output
  /// goes to, so reopening /dev/stdout or /dev/stderr works. Other kinds are ignored.
  std::vector<int> writable_files;
  /// ABI >= 4: no TCP bind or connect at all (`network: false`; io_uring's operations are
  /// checked too, since Landlock is a security module).
  bool deny_tcp = false;
  /// ABI >= 6: no signals to processes outside the sandbox (ninja, fanout, the user's shell)
  /// and no connections to abstract Unix sockets created outside it.
  bool scoped = false;
};

/// Lists the entry names of a directory (without "." and ".."); nullopt when it cannot be
/// read.
using ListDirFn = std::function<std::optional<std::vector<std::string>>(const std::string&)>;

/// Where read rules go, from PlanReadRules.
struct ReadRulePlan {
  /// Each gets a read rule covering everything beneath it (directories, or files and other
  /// entries found at the level of a hidden path's ancestors). Sorted.
  std::vector<std::string> paths;
  /// Directories on the way to a hidden or kept path that could not be listed: of their
  /// entries only those leading to kept paths got rules.
  std::vector<std::string> unlisted;
};

/// Computes the read rules that make everything readable except what lies beneath a path of
/// `hidden`, where what lies beneath a path of `readable` is readable again (the deepest of
/// the two that holds a path decides; `readable` wins a tie). Paths are absolute, normalized
/// ('/'-separated, no trailing '/', no symlinks); `list` lists only the directories on the way
/// to them. A pure function of its arguments.
ReadRulePlan PlanReadRules(const std::vector<std::string>& hidden,
                           const std::vector<std::string>& readable, const ListDirFn& list);

/// Builds the ruleset for `policy` (the kernel must have Landlock). Directories that could not
/// be listed on the way to a hidden path are appended to `notes` as readable sentences.
Expected<UniqueFd> MakeLandlockRuleset(const LandlockPolicy& policy,
                                       std::vector<std::string>* notes);

/// Restricts the calling process (and what it executes) with `ruleset_fd`; sets no_new_privs
/// first. Only makes system calls (runs in a freshly forked child). Returns an error text, empty
/// on success.
std::string EnforceLandlock(int ruleset_fd);

}  // namespace fanout::sandbox
