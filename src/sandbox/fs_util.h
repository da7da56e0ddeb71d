// File-system helpers the sandbox shares: removing trees that a build may have left read-only,
// copying files, and a fast recursive walk that never follows symlinks.
#pragma once

#include <sys/stat.h>

#include <functional>
#include <string>

#include "base/expected.h"

namespace fanout::sandbox {

/// "`what`: " followed by strerror(errno): the text of an error from a failed system call.
std::string Errno(const std::string& what);

/// Removes `path` and everything under it, making directories writable first (a build may
/// leave them read-only). A missing path is not an error.
Status RemoveTree(const std::string& path);

/// Removes everything inside directory `path`, creating it when absent.
Status EmptyDir(const std::string& path);

/// mkdir -p with mode 0755.
Status MakeDirs(const std::string& path);

/// Copies the regular file `from` to `to` (created, or replaced) with `mode`, in the kernel
/// where it can (copy_file_range).
Status CopyFile(const std::string& from, const std::string& to, mode_t mode);
/// Copies `size` bytes from `in_fd` to `out_fd` (both positioned at their start).
Status CopyFd(int in_fd, int out_fd, const std::string& what);

/// One entry seen by WalkTree: its path relative to the walked root ('/'-separated) and its
/// lstat data.
struct WalkEntry {
  const std::string& path;
  const struct stat& st;
  int dirfd = -1;              ///< the directory holding the entry, open while the visitor runs
  const char* name = nullptr;  ///< the entry's name in that directory
};

/// What to do after visiting a directory entry.
enum class WalkAction { kContinue, kSkipChildren };

/// Visits every entry under `root` (not `root` itself), parents before children, without
/// following symlinks. A missing root visits nothing.
Status WalkDir(const std::string& root, const std::function<WalkAction(const WalkEntry&)>& fn);

/// WalkDir over the directory open at `dirfd` (not consumed; its file offset is not used).
/// Every lookup is relative to a directory fd and never follows a symlink, so the walk stays
/// inside that directory whatever its path is. `root` only names it in error messages.
Status WalkDirAt(int dirfd, const std::string& root,
                 const std::function<WalkAction(const WalkEntry&)>& fn);

/// Whether `path` is `dir` or lies under it ('/'-separated, no trailing '/').
bool PathIsUnder(const std::string& path, const std::string& dir);

}  // namespace fanout::sandbox
