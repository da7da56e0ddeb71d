#include "sandbox/fs_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "base/unique_fd.h"

namespace fanout::sandbox {

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

namespace {

struct DirCloser {
  void operator()(DIR* d) const {
    if (d) closedir(d);
  }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

Error ErrnoError(const std::string& what, const std::string& path) {
  return MakeError(fmt::format("cannot {} '{}': {}", what, path, std::strerror(errno)));
}

// Removes the contents of the directory open at `fd` (which it takes over).
Status RemoveContents(int fd, const std::string& path) {
  DirPtr dir(fdopendir(fd));
  if (!dir) {
    close(fd);
    return ErrnoError("read directory", path);
  }
  while (dirent* e = readdir(dir.get())) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    std::string child = path + "/" + e->d_name;
    if (unlinkat(dirfd(dir.get()), e->d_name, 0) == 0) continue;
    if (errno != EISDIR && errno != EPERM) return ErrnoError("remove", child);
    // A directory: make it usable, empty it, remove it.
    fchmodat(dirfd(dir.get()), e->d_name, 0700, 0);
    int sub = openat(dirfd(dir.get()), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) return ErrnoError("open", child);
    FANOUT_TRY(RemoveContents(sub, child));
    if (unlinkat(dirfd(dir.get()), e->d_name, AT_REMOVEDIR) != 0) {
      return ErrnoError("remove", child);
    }
  }
  return {};
}

Status WalkFd(int fd, std::string& rel, const std::string& root,
              const std::function<WalkAction(const WalkEntry&)>& fn) {
  DirPtr dir(fdopendir(fd));
  if (!dir) {
    close(fd);
    return ErrnoError("read directory", root + "/" + rel);
  }
  while (dirent* e = readdir(dir.get())) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    const size_t old = rel.size();
    if (!rel.empty()) rel += '/';
    rel += e->d_name;
    struct stat st;
    if (fstatat(dirfd(dir.get()), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) {
        rel.resize(old);
        continue;
      }
      return ErrnoError("stat", root + "/" + rel);
    }
    WalkAction action = fn(WalkEntry{rel, st, dirfd(dir.get()), e->d_name});
    if (S_ISDIR(st.st_mode) && action == WalkAction::kContinue) {
      int sub =
          openat(dirfd(dir.get()), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0) return ErrnoError("open", root + "/" + rel);
      FANOUT_TRY(WalkFd(sub, rel, root, fn));
    }
    rel.resize(old);
  }
  return {};
}

}  // namespace

Status RemoveTree(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return ErrnoError("stat", path);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoError("remove", path);
    return {};
  }
  chmod(path.c_str(), 0700);
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open", path);
  FANOUT_TRY(RemoveContents(fd, path));
  if (rmdir(path.c_str()) != 0 && errno != ENOENT) return ErrnoError("remove", path);
  return {};
}

Status EmptyDir(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT && errno != ENOTDIR) return ErrnoError("open", path);
    FANOUT_TRY(RemoveTree(path));
    return MakeDirs(path);
  }
  fchmod(fd, 0755);
  return RemoveContents(fd, path);
}

Status MakeDirs(const std::string& path) {
  if (path.empty()) return {};
  if (mkdir(path.c_str(), 0755) == 0) return {};
  if (errno == EEXIST) {
    struct stat st;
    if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return {};
    errno = ENOTDIR;
    return ErrnoError("create directory", path);
  }
  if (errno != ENOENT) return ErrnoError("create directory", path);
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos || slash == 0) return ErrnoError("create directory", path);
  FANOUT_TRY(MakeDirs(path.substr(0, slash)));
  if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return ErrnoError("create directory", path);
  }
  return {};
}

Status CopyFd(int in_fd, int out_fd, const std::string& what) {
  // copy_file_range first (in-kernel, reflinks where the file system has them), then
  // plain read/write when the kernel or file system pair does not support it.
  bool fallback = false;
  for (;;) {
    ssize_t n = copy_file_range(in_fd, nullptr, out_fd, nullptr, 1 << 30, 0);
    if (n == 0) return {};
    if (n > 0) continue;
    if (errno == EINTR) continue;
    if (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) {
      fallback = true;
      break;
    }
    return ErrnoError("copy", what);
  }
  if (fallback) {
    char buf[1 << 16];
    for (;;) {
      ssize_t n = read(in_fd, buf, sizeof buf);
      if (n == 0) return {};
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoError("read", what);
      }
      const char* p = buf;
      while (n > 0) {
        ssize_t w = write(out_fd, p, static_cast<size_t>(n));
        if (w < 0) {
          if (errno == EINTR) continue;
          return ErrnoError("write", what);
        }
        p += w;
        n -= w;
      }
    }
  }
  return {};
}

Status CopyFile(const std::string& from, const std::string& to, mode_t mode) {
  UniqueFd in(open(from.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!in) return ErrnoError("open", from);
  unlink(to.c_str());
  UniqueFd out(open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!out) return ErrnoError("create", to);
  FANOUT_TRY(CopyFd(in.get(), out.get(), from));
  if (fchmod(out.get(), mode) != 0) return ErrnoError("chmod", to);
  return {};
}

Status WalkDir(const std::string& root, const std::function<WalkAction(const WalkEntry&)>& fn) {
  int fd = open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return {};
    return ErrnoError("open", root);
  }
  std::string rel;
  return WalkFd(fd, rel, root, fn);
}

Status WalkDirAt(int dirfd, const std::string& root,
                 const std::function<WalkAction(const WalkEntry&)>& fn) {
  // A new open file description, so the walk neither uses nor moves the caller's offset.
  int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open", root);
  std::string rel;
  return WalkFd(fd, rel, root, fn);
}

bool PathIsUnder(const std::string& path, const std::string& dir) {
  if (dir.empty() || dir == "/") return true;
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

}  // namespace fanout::sandbox
