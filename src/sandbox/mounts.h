// The file system view of the namespaces tier, set up by the sandbox's PID 1 in its own mount
// namespace: the workspace (an overlay over the base, or a private copy) and a few directories
// writable, a private /tmp and /dev/shm, the repository and the rest of the build directory
// (other targets' bases and outputs) hidden, everything else read-only, and a fresh /proc for
// the new PID namespace.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace fanout::sandbox {

/// What SetUpMounts builds. All paths are absolute.
struct MountPlan {
  std::string workspace;  ///< the command's working directory (writable)
  bool overlay = false;   ///< mount an overlay of `lower` at `workspace`
  std::string lower, upper, work;
  bool userxattr = false;             ///< overlay inside a user namespace
  std::vector<std::string> writable;  ///< directories left writable besides the workspace
  std::vector<std::string> hide;      ///< directories replaced by an empty read-only tmpfs
  /// Directories (or single files: declared sockets, the resolver configuration) kept visible
  /// at the same paths even when they lie under a hidden one or under /tmp: the workspace,
  /// home, tmp, out and the dependencies' out directories. Those not writable are read-only.
  std::vector<std::string> keep;
  /// Size bound of the private /tmp and /dev/shm (each a tmpfs); 0: unbounded.
  std::uint64_t tmp_bytes = 0;
  /// When set, the private /tmp is also mounted here ($TMPDIR), so the command's temporary
  /// files are bounded by `tmp_bytes` and vanish with the sandbox.
  std::string tmpdir;
};

/// Builds the view in the current (new, private) mount namespace. Returns an error text,
/// empty on success. Must run in a process that owns its mount namespace.
std::string SetUpMounts(const MountPlan& plan);

/// Mounts a fresh procfs at /proc (for the new PID namespace); keeps the old one when the
/// kernel refuses (/proc partly covered, as in some containers). Returns whether it mounted.
bool MountProc();

/// Makes the host-global parts of /proc unwritable, as runc does: /proc/sys,
/// /proc/sysrq-trigger, /proc/irq, /proc/bus and /proc/fs bound read-only over themselves, and
/// kcore, keys, timer_list, sched_debug and the like masked. Done before the command's user
/// namespace exists, the covers are locked: the command cannot unmount them. Returns an error
/// text, empty on success.
std::string CoverProc();

/// Brings the loopback interface up (in a new network namespace). Returns an error text.
std::string LoopbackUp();

/// Escapes a path for an overlayfs option value (',', ':' and '\').
std::string EscapeOverlayPath(const std::string& path);

/// The overlayfs mount options fanout uses (the probe tests the same string): the layers, and
/// the optional features off, which spares the kernel probing for them on every mount.
std::string OverlayOptions(const std::string& lower, const std::string& upper,
                           const std::string& work, bool userxattr);

/// Writes the uid and gid maps of the user namespace of `pid` ("self" when 0). `full` maps
/// every id to itself (needs CAP_SETUID outside, i.e. root); otherwise only `uid`/`gid` map
/// to themselves and setgroups is denied, which any user may do for itself. Returns an error
/// text, empty on success.
std::string WriteIdMaps(pid_t pid, bool full, uid_t uid, gid_t gid);

/// Writes the maps of the user namespace of `pid`, nested in the caller's, which is mapped as
/// MapSubordinateIds maps it: ids 0 to `count` - 1 map to the same ids of the caller's
/// namespace, uids and gids alike (0 and 1.. on lines of their own, as in the caller's map),
/// and `setgroups` stays allowed. `count` is at least 2. The caller needs CAP_SETUID,
/// CAP_SETGID and CAP_SETFCAP in its own namespace. Returns an error text, empty on success.
std::string WriteIdentityIdMaps(pid_t pid, std::uint32_t count);

/// clone(2) with its own stack, fork-like (SIGCHLD on exit): runs `fn(arg)` in the child and
/// exits with its result. Returns the child's pid, or -1 with errno set.
pid_t CloneProcess(int (*fn)(void*), void* arg, int flags);

}  // namespace fanout::sandbox
