// One metadata system call of a sandboxed command (chmod, chown, utime and xattr calls and
// their f*, l* and *at forms), as the metadata guard (sandbox/metadata_guard.h) receives it
// from seccomp: decoded from the call's registers and the command's memory, its object opened
// as the command would reach it, and performed.
#pragma once

#include <fcntl.h>
#include <linux/seccomp.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <ctime>
#include <span>
#include <string>

#include "base/unique_fd.h"

namespace fanout::sandbox {

enum class MetadataOp { kChmod, kChown, kTimes, kSetXattr, kRemoveXattr };

// One decoded call: what it does, and how it names its object: the fd `fd` itself (`by_fd`;
// AT_FDCWD is the working directory), or `path` resolved from `fd` (AT_FDCWD: the working
// directory).
struct MetadataCall {
  MetadataOp op = MetadataOp::kChmod;
  bool by_fd = false;
  bool opath_ok = false;  // the AT_EMPTY_PATH forms accept O_PATH fds; fchmod and the like not
  int fd = AT_FDCWD;
  std::string path;
  bool follow = true;
  mode_t mode = 0;
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  bool now = false;  // no times given: both set to the current time
  struct timespec times[2] = {};
  std::string name;
  std::string value;
  int xattr_flags = 0;
};

/// The system calls handed to the supervisor (every form that changes mode, owner, times or
/// extended attributes on this architecture).
std::span<const long> GuardedMetadataCalls();
/// Newer calls that change the same metadata; the filter answers them ENOSYS, so that callers
/// fall back to the guarded forms.
std::span<const long> TooNewMetadataCalls();

/// Decodes the call in `data`, reading its string and struct arguments from the command's
/// memory (`mem_fd`, its /proc/<pid>/mem). Returns 0, or the errno the call should fail with.
int DecodeMetadataCall(const struct seccomp_data& data, int mem_fd, MetadataCall* call);

/// A path naming one of the caller's own fds (/proc/self/fd/N and the like) becomes the fd
/// form: in the supervisor that path would name the supervisor's fd.
void MapSelfFdPath(MetadataCall* call);

/// Opens (O_PATH) what the call starts from, through the caller's pinned /proc/<pid>
/// directory `proc`: the object itself for the fd forms, the directory a relative path is
/// resolved from, or nothing for an absolute path. Returns 0 or an errno.
int OpenCallStart(int proc, const MetadataCall& call, UniqueFd* start);

/// Performs the call on `object`, an O_PATH fd of the object itself (a symlink for the
/// nofollow forms) whose stat is `st`. Returns 0 or the call's errno.
int PerformMetadataCall(const MetadataCall& call, int object, const struct stat& st);

/// openat2(2), which glibc 2.36 does not wrap: an fd, or -1 with errno set.
int OpenAt2(int dirfd, const char* path, int flags, unsigned long long resolve);

/// "/proc/self/fd/N": the path through which a call on an O_PATH fd reaches its object.
std::string FdPath(int fd);

}  // namespace fanout::sandbox
