#include "cache/local_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <memory>
#include <utility>

#include <fmt/format.h>

#include "base/file_util.h"
#include "base/temp_name.h"
#include "base/unique_fd.h"
#include "cache/settings.h"
#include "cache/store_files.h"

namespace fanout::cache {

namespace {

using store::BlobPath;
using store::HashStream;
using store::IoError;
using store::IsHex64;
using store::kTempPrefix;
using store::Printable;
using store::ReadAction;
using store::RemoveIfSame;
using store::StripTrailingSlashes;

/// Every path below the store is built from a name this accepts, never from an unchecked one.
Status CheckName(std::string_view name, const char* what) {
  if (IsHex64(name)) return {};
  return MakeError(
      fmt::format("invalid {} '{}': expected 64 lowercase hex digits", what, Printable(name)));
}

std::string ActionPath(const std::string& dir, const std::string& key) {
  return dir + "/ac/" + key;
}

/// Creates `path` (mode 0700) and missing parents; an existing directory is fine.
Status MakeDirs(const std::string& path) {
  if (mkdir(path.c_str(), 0700) == 0) return {};
  int err = errno;
  if (err == ENOENT) {
    const std::size_t slash = path.find_last_of('/');
    if (slash != std::string::npos && slash > 0) {
      FANOUT_TRY(MakeDirs(path.substr(0, slash)));
      if (mkdir(path.c_str(), 0700) == 0) return {};
      err = errno;
    }
  }
  if (err == EEXIST) {
    struct stat st;
    if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return {};
    return MakeError(
        fmt::format("cannot use '{}' as a cache directory: it is not a directory", path),
        kExitTargetFailed);
  }
  return IoError("create the cache directory", path, err);
}

/// A file being written under a temporary name, removed unless it is committed.
class TempFile {
 public:
  static Expected<TempFile> Create(const std::string& dir) {
    for (int attempt = 0;; ++attempt) {
      std::string path = fmt::format("{}/{}{}-{:016x}", dir, kTempPrefix, getpid(), TempNameBits());
      UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
      if (fd) return TempFile(std::move(path), std::move(fd));
      if (errno != EEXIST || attempt == 10) return IoError("create", path, errno);
    }
  }
  TempFile(TempFile&& o) noexcept : path_(std::exchange(o.path_, "")), fd_(std::move(o.fd_)) {}
  TempFile& operator=(TempFile&&) = delete;
  ~TempFile() {
    if (!path_.empty()) unlink(path_.c_str());
  }

  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }

  /// Closes the file and renames it to `dest`, replacing what is there.
  Status Commit(const std::string& dest) {
    if (close(fd_.release()) != 0) return IoError("write", path_, errno);
    if (rename(path_.c_str(), dest.c_str()) != 0) return IoError("rename into", dest, errno);
    path_.clear();
    return {};
  }

 private:
  TempFile(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  std::string path_;
  UniqueFd fd_;
};

/// Copies `in` to `out` from their current offsets to the end of `in`; returns the bytes copied.
/// copy_file_range lets the file system share extents (reflinks) or copy in the kernel; where
/// it cannot (another file system, an old kernel), read and write.
Expected<std::uint64_t> CopyFd(int in, int out, const std::string& from, const std::string& to) {
  std::uint64_t total = 0;
  for (;;) {
    const ssize_t n = copy_file_range(in, nullptr, out, nullptr, std::size_t{1} << 30, 0);
    if (n > 0) {
      total += static_cast<std::uint64_t>(n);
      continue;
    }
    if (n == 0) return total;
    if (errno == EINTR) continue;
    if (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP) break;
    return IoError("copy '" + from + "' to", to, errno);
  }
  std::unique_ptr<char[]> buffer(new char[1 << 20]);
  for (;;) {
    const ssize_t n = read(in, buffer.get(), 1 << 20);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("read", from, errno);
    }
    if (n == 0) return total;
    if (const int err = WriteAllToFd(out, std::string_view(buffer.get(), n))) {
      return IoError("write", to, err);
    }
    total += static_cast<std::uint64_t>(n);
  }
}

}  // namespace

Expected<std::string> DefaultCacheDir() {
  auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v ? v : "";
  };
  if (std::string dir = env(kCacheDirVariable); !dir.empty()) return dir;
  // The XDG base directory specification says to ignore a relative value.
  if (std::string xdg = env("XDG_CACHE_HOME"); !xdg.empty() && xdg.front() == '/') {
    return xdg + "/fanout";
  }
  if (std::string home = env("HOME"); !home.empty()) return home + "/.cache/fanout";
  return MakeError(
      fmt::format("cannot find a cache directory: HOME is not set; set {} to the directory to use",
                  kCacheDirVariable));
}

Expected<LocalStore> LocalStore::Open(const std::string& dir) {
  if (dir.empty()) return MakeError("the cache directory is an empty string");
  std::string root = StripTrailingSlashes(dir);
  FANOUT_TRY(MakeDirs(root));
  FANOUT_TRY(MakeDirs(root + "/ac"));
  FANOUT_TRY(MakeDirs(root + "/cas"));
  return LocalStore(std::move(root));
}

Expected<std::optional<std::string>> LocalStore::GetAction(const std::string& key) {
  FANOUT_TRY(CheckName(key, "action key"));
  return ReadAction(ActionPath(dir_, key));
}

Status LocalStore::PutAction(const std::string& key, const std::string& bytes) {
  FANOUT_TRY(CheckName(key, "action key"));
  auto tmp = TempFile::Create(dir_ + "/ac");
  if (!tmp.ok()) return tmp.error();
  if (const int err = WriteAllToFd(tmp->fd(), bytes)) return IoError("write", tmp->path(), err);
  return tmp->Commit(ActionPath(dir_, key));
}

Expected<bool> LocalStore::HasBlob(const BlobRef& blob) {
  FANOUT_TRY(CheckName(blob.sha256, "blob digest"));
  const std::string path = BlobPath(dir_, blob.sha256);
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return false;
    return IoError("read", path, errno);
  }
  if (!S_ISREG(st.st_mode) || static_cast<std::uint64_t>(st.st_size) != blob.size) return false;
  // A caller that finds the blob present stores only the entry naming it: the blob's mtime
  // keeps prune's sweep from taking it away in between.
  utimensat(AT_FDCWD, path.c_str(), nullptr, 0);
  return true;
}

Expected<FetchOutcome> LocalStore::FetchBlob(const BlobRef& blob, int dest_fd, std::string* why) {
  FANOUT_TRY(CheckName(blob.sha256, "blob digest"));
  const std::string path = BlobPath(dir_, blob.sha256);
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return FetchOutcome::kMissing;
    return IoError("read", path, errno);
  }
  std::string sha256;
  std::uint64_t size = 0;
  FANOUT_TRY(HashStream(fd.get(), path, dest_fd, &sha256, &size));
  if (sha256 == blob.sha256 && size == blob.size) return FetchOutcome::kOk;
  RemoveIfSame(path, fd.get());
  if (why) {
    *why = fmt::format("sha256 was {}, size {} (expected size {}); removed '{}'", sha256, size,
                       blob.size, path);
  }
  return FetchOutcome::kCorrupt;
}

Status LocalStore::PutBlob(const BlobRef& blob, const std::string& path) {
  FANOUT_TRY(CheckName(blob.sha256, "blob digest"));
  const std::string dest = BlobPath(dir_, blob.sha256);
  struct stat st;
  if (stat(dest.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<std::uint64_t>(st.st_size) == blob.size) {
    utimensat(AT_FDCWD, dest.c_str(), nullptr, 0);  // as in HasBlob
    return {};
  }
  UniqueFd src(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!src) return IoError("read", path, errno);
  if (fstat(src.get(), &st) != 0) return IoError("read", path, errno);
  if (!S_ISREG(st.st_mode)) {
    return MakeError(fmt::format("cannot store '{}' in the cache: it is not a regular file", path),
                     kExitTargetFailed);
  }
  if (static_cast<std::uint64_t>(st.st_size) != blob.size) {
    return MakeError(fmt::format("cannot store '{}' in the cache as blob {}: it is {} bytes, "
                                 "not the {} its digest names",
                                 path, blob.sha256, st.st_size, blob.size),
                     kExitTargetFailed);
  }
  // A copy, never a hard link: a later edit of the file would change the blob under its name.
  auto tmp = TempFile::Create(dir_ + "/cas");
  if (!tmp.ok()) return tmp.error();
  auto copied = CopyFd(src.get(), tmp->fd(), path, tmp->path());
  if (!copied.ok()) return copied.error();
  if (*copied != blob.size) {
    return MakeError(fmt::format("cannot store '{}' in the cache: it changed while it was copied "
                                 "({} bytes, expected {})",
                                 path, *copied, blob.size),
                     kExitTargetFailed);
  }
  return tmp->Commit(dest);
}

void LocalStore::Touch(const std::string& key) {
  if (!IsHex64(key)) return;
  utimensat(AT_FDCWD, ActionPath(dir_, key).c_str(), nullptr, 0);
}

void LocalStore::RemoveAction(const std::string& key) {
  if (!IsHex64(key)) return;
  unlink(ActionPath(dir_, key).c_str());
}

}  // namespace fanout::cache
