// The metadata guard: the supervisor performs, or refuses, the command's chmod, chown, utime
// and xattr system calls, which Landlock does not cover (landlock(7) CAVEATS).
//
// What it guards. In the process tier a command running as an unprivileged user could otherwise
// change the mode, owner, times and extended attributes of every file that user owns, including
// files Landlock keeps it from writing: undeclared repository files, the repository's .git, a
// dependency's artifacts under $FANOUT_DEPS, the user's own files anywhere; `O_PATH` opens
// bypass Landlock, and fchmodat2/fchownat/utimensat with AT_EMPTY_PATH act on them. A seccomp
// filter in the command (InstallMetadataFilter) turns each of these calls into a user
// notification; the supervisor (MetadataGuard) resolves the object the call names, performs the
// call itself when that object lies beneath one of the edge's writable roots (the workspace,
// $HOME, $TMPDIR, $FANOUT_OUT), and refuses it with EPERM otherwise. The call never continues
// in the command (no SECCOMP_USER_NOTIF_FLAG_CONTINUE): what was checked is what is changed.
//
// What it costs. One round trip to the supervisor per metadata call (two context switches and
// about fifteen system calls in the supervisor); other system calls are not affected.
//
// What it does not cover.
// - It is for the non-root process tier. A root runner must switch the command to an
//   unprivileged uid instead (issue 12); if the supervisor is root anyway, the
//   guard performs each call with the command's fsuid, fsgid and groups and no effective
//   capability, and refuses the trusted.* and security.* xattr namespaces.
// - Hard links: an inode linked both beneath a root and outside it counts as beneath. Landlock's
//   REFER right (granted only in writable directories) keeps the command from creating one.
// - File flags set by ioctl (FS_IOC_SETFLAGS, FS_IOC_FSSETXATTR) on an open fd, and io_uring's
//   IORING_OP_SETXATTR/FSETXATTR, which seccomp never sees: io_uring_setup must be denied
//   wherever this guard is relied on. setxattrat, removexattrat and file_setattr (Linux 6.13+,
//   6.17+) are answered ENOSYS, so callers fall back to the calls guarded here.
// - An fd whose file was deleted (its /proc link reads "... (deleted)") is refused.
// - A path through a /proc magic link fails with ELOOP, except /proc/self/fd/N,
//   /proc/thread-self/fd/N and /dev/fd/N (glibc's fchmodat(AT_SYMLINK_NOFOLLOW) fallback),
//   which name the caller's fd N.
// - A command that is not dumpable (its /proc/<pid>/mem unreadable) has every such call refused.
// - The guard decides from the object's current path and inode; a target that races renames
//   inside a writable root can only redirect a call to another object beneath a writable root.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/expected.h"
#include "base/unique_fd.h"

namespace fanout::sandbox {

/// In the sandboxed child, after PR_SET_NO_NEW_PRIVS and before execve: installs a seccomp
/// filter that hands chmod, fchmod, fchmodat, fchmodat2, chown, fchown, lchown, fchownat, utime,
/// utimes, futimesat, utimensat, setxattr, lsetxattr, fsetxattr, removexattr, lremovexattr and
/// fremovexattr to a listener, and returns the listener (close-on-exec). Another architecture's
/// system calls kill the process; x86_64's x32 calls fail with EPERM. Until a supervisor serves
/// the listener, those calls block, so pass it on (SendFd) and close it before the command
/// runs: a command holding its own listener could approve its own calls.
Expected<UniqueFd> InstallMetadataFilter();

/// What a MetadataGuard has answered so far.
struct MetadataGuardStats {
  std::uint64_t performed = 0;  ///< beneath a writable root: performed; its result returned
  std::uint64_t refused = 0;    ///< refused with EPERM (outside every root, or not checkable)
  std::uint64_t failed = 0;     ///< answered another error before a decision (bad arguments)
  std::uint64_t lost = 0;       ///< the caller was gone before the answer
};

/// Serves the listener of InstallMetadataFilter in the supervisor: performs each call whose
/// object lies beneath a writable root, with the command's credentials, and returns its result;
/// refuses the others with EPERM.
class MetadataGuard {
 public:
  /// `listener`: the filter's listener. `writable_roots`: absolute directories; symlinks in
  /// them are resolved now, and a root that does not exist is ignored (nothing beneath it is
  /// allowed).
  MetadataGuard(UniqueFd listener, const std::vector<std::string>& writable_roots);

  /// The listener: POLLIN means a call waits for HandleOne; POLLHUP means that no process
  /// using the filter is left (they have all exited and been reaped), and the guard can stop.
  int fd() const { return listener_.get(); }

  /// Receives one waiting call, decides, and answers it. Does not block when fd() polled POLLIN
  /// (a call whose caller died meanwhile is counted as lost).
  void HandleOne();

  const MetadataGuardStats& stats() const { return stats_; }
  /// The writable roots in effect, as resolved by the constructor.
  const std::vector<std::string>& roots() const { return root_paths_; }

 private:
  struct Answer;
  Answer Decide(const void* notif);
  int Beneath(int object, UniqueFd* rooted) const;

  UniqueFd listener_;
  std::vector<std::string> root_paths_;
  std::vector<UniqueFd> root_fds_;
  bool as_root_ = false;
  std::size_t notif_size_ = 0;
  std::size_t resp_size_ = 0;
  MetadataGuardStats stats_;
};

}  // namespace fanout::sandbox
