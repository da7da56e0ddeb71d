#include "cache/local_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "base/file_util.h"
#include "base/unique_fd.h"
#include "cache/action_result.h"
#include "cache/settings.h"

namespace fanout::cache {

namespace {

/// Files being written: `.tmp-<pid>-<random>` in the directory they are renamed into.
constexpr std::string_view kTempPrefix = ".tmp-";
/// An action result is a few hundred bytes; anything this large is not one.
constexpr std::uint64_t kMaxActionBytes = std::uint64_t{16} << 20;
/// How long an unreferenced blob or a temporary file is left alone: a build may be between
/// storing its blobs and storing the entry that names them.
constexpr double kGraceSeconds = 3600;

bool IsHex64(std::string_view s) {
  if (s.size() != 64) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

/// `s` for a message: at most 80 bytes, control bytes escaped.
std::string Printable(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < 80; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    out += c < 0x20 || c == 0x7f ? fmt::format("\\x{:02x}", c) : std::string(1, s[i]);
  }
  if (s.size() > 80) out += "...";
  return out;
}

/// Every path below the store is built from a name this accepts, never from an unchecked one.
Status CheckName(std::string_view name, const char* what) {
  if (IsHex64(name)) return {};
  return MakeError(
      fmt::format("invalid {} '{}': expected 64 lowercase hex digits", what, Printable(name)));
}

Error IoError(const std::string& action, const std::string& path, int err) {
  return MakeError(fmt::format("cannot {} '{}': {}", action, path, std::strerror(err)),
                   kExitTargetFailed);
}

double Seconds(const struct timespec& ts) {
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double Now() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return Seconds(ts);
}

std::string ActionPath(const std::string& dir, const std::string& key) {
  return dir + "/ac/" + key;
}
std::string BlobPath(const std::string& dir, const std::string& sha256) {
  return dir + "/cas/" + sha256;
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
    static thread_local std::mt19937_64 rng(std::random_device{}());
    for (int attempt = 0;; ++attempt) {
      // The pid tells apart forked processes, which share the generator's state.
      std::string path = fmt::format("{}/{}{}-{:016x}", dir, kTempPrefix, getpid(), rng());
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

/// Reads `fd` to its end, hashing it and (when `dest_fd` >= 0) writing it to `dest_fd`.
Status HashStream(int fd, const std::string& path, int dest_fd, std::string* sha256,
                  std::uint64_t* size) {
  Sha256 hash;
  *size = 0;
  std::unique_ptr<char[]> buffer(new char[1 << 20]);
  for (;;) {
    const ssize_t n = read(fd, buffer.get(), 1 << 20);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("read", path, errno);
    }
    if (n == 0) break;
    const std::string_view chunk(buffer.get(), static_cast<std::size_t>(n));
    hash.Update(chunk);
    *size += static_cast<std::uint64_t>(n);
    if (dest_fd >= 0) {
      if (const int err = WriteAllToFd(dest_fd, chunk)) {
        return MakeError(fmt::format("cannot write the blob '{}' to its destination: {}", path,
                                     std::strerror(err)),
                         kExitTargetFailed);
      }
    }
  }
  *sha256 = hash.HexDigest();
  return {};
}

/// Removes `path` if it is still the file open as `fd`: a writer may have just replaced a bad
/// blob with a good one, which must stay.
void RemoveIfSame(const std::string& path, int fd) {
  struct stat open_st, path_st;
  if (fstat(fd, &open_st) != 0 || stat(path.c_str(), &path_st) != 0) return;
  if (open_st.st_dev == path_st.st_dev && open_st.st_ino == path_st.st_ino) unlink(path.c_str());
}

/// The bytes of an `ac/` entry; nullopt when it is missing.
Expected<std::optional<std::string>> ReadAction(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::optional<std::string>();
    return IoError("read", path, errno);
  }
  std::string bytes;
  char buffer[65536];
  for (;;) {
    const ssize_t n = read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("read", path, errno);
    }
    if (n == 0) break;
    bytes.append(buffer, static_cast<std::size_t>(n));
    if (bytes.size() > kMaxActionBytes) {
      return MakeError(
          fmt::format("'{}' is larger than an action result can be ({} MiB); remove it", path,
                      kMaxActionBytes >> 20),
          kExitTargetFailed);
    }
  }
  return std::optional<std::string>(std::move(bytes));
}

/// A file of `ac/` or `cas/`.
struct StoreFile {
  std::string name;
  std::uint64_t size = 0;
  double mtime = 0;
  bool temp = false;  ///< a file being written (or left by a writer that died)
};

struct DirCloser {
  void operator()(DIR* d) const { closedir(d); }
};

/// The regular files of `dir` named by 64 lowercase hex digits, and the temporary files,
/// sorted by name. Anything else is not the store's and is left out. A missing `dir` is empty.
Expected<std::vector<StoreFile>> ListStoreDir(const std::string& dir) {
  std::vector<StoreFile> files;
  std::unique_ptr<DIR, DirCloser> d(opendir(dir.c_str()));
  if (!d) {
    if (errno == ENOENT) return files;
    return IoError("list", dir, errno);
  }
  for (;;) {
    errno = 0;
    const struct dirent* e = readdir(d.get());
    if (!e) {
      if (errno != 0) return IoError("list", dir, errno);
      break;
    }
    const std::string_view name = e->d_name;
    const bool temp = name.substr(0, kTempPrefix.size()) == kTempPrefix;
    if (!temp && !IsHex64(name)) continue;
    struct stat st;
    // A file removed since readdir (by a concurrent prune) is simply not listed.
    if (fstatat(dirfd(d.get()), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!S_ISREG(st.st_mode)) continue;
    files.push_back(StoreFile{std::string(name), static_cast<std::uint64_t>(st.st_size),
                              Seconds(st.st_mtim), temp});
  }
  std::sort(files.begin(), files.end(),
            [](const StoreFile& a, const StoreFile& b) { return a.name < b.name; });
  return files;
}

/// The blobs `result` names, each once.
std::set<std::string> NamedBlobs(const ActionResult& result) {
  std::set<std::string> out;
  for (const OutputFile& f : result.files) out.insert(f.blob.sha256);
  if (result.stdout_blob) out.insert(result.stdout_blob->sha256);
  return out;
}

/// What is wrong with the `ac/` entry `bytes` of the store at `root`: it does not decode, or it
/// names a blob the store does not have (looked up now, not in an earlier listing: a build may
/// have stored the blob and then the entry since). Empty when nothing is.
std::string EntryProblem(const std::string& root, const std::string& bytes) {
  auto decoded = DecodeActionResult(bytes);
  if (!decoded.ok()) return decoded.error().message;
  std::vector<std::pair<std::string, BlobRef>> named;
  for (const OutputFile& file : decoded->files) named.emplace_back(file.path, file.blob);
  if (decoded->stdout_blob) named.emplace_back("(stdout)", *decoded->stdout_blob);
  for (const auto& [what, blob] : named) {
    struct stat st;
    if (stat(BlobPath(root, blob.sha256).c_str(), &st) != 0) {
      return fmt::format("output '{}' names blob {}, which is missing", Printable(what),
                         blob.sha256);
    }
    if (static_cast<std::uint64_t>(st.st_size) != blob.size) {
      return fmt::format("output '{}' names blob {} of {} bytes, which has {}", Printable(what),
                         blob.sha256, blob.size, st.st_size);
    }
  }
  return "";
}

std::string StripTrailingSlashes(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
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

Expected<CacheStats> Stats(const std::string& dir) {
  const std::string root = StripTrailingSlashes(dir);
  auto actions = ListStoreDir(root + "/ac");
  if (!actions.ok()) return actions.error();
  auto blobs = ListStoreDir(root + "/cas");
  if (!blobs.ok()) return blobs.error();
  CacheStats stats;
  for (const StoreFile& f : *actions) {
    if (f.temp) continue;
    ++stats.actions;
    stats.bytes += f.size;
    if (stats.oldest_use == 0 || f.mtime < stats.oldest_use) stats.oldest_use = f.mtime;
    stats.newest_use = std::max(stats.newest_use, f.mtime);
  }
  for (const StoreFile& f : *blobs) {
    if (f.temp) continue;
    ++stats.blobs;
    stats.bytes += f.size;
  }
  return stats;
}

Expected<PruneResult> Prune(const std::string& dir, const PruneOptions& options) {
  const std::string root = StripTrailingSlashes(dir);
  const double now = options.now > 0 ? options.now : Now();
  auto action_files = ListStoreDir(root + "/ac");
  if (!action_files.ok()) return action_files.error();
  auto blob_files = ListStoreDir(root + "/cas");
  if (!blob_files.ok()) return blob_files.error();
  PruneResult result;

  auto remove = [&](const std::string& path, std::uint64_t size) -> Expected<bool> {
    if (unlink(path.c_str()) != 0) {
      if (errno == ENOENT) return false;  // a concurrent prune or verify was first
      return IoError("remove", path, errno);
    }
    result.bytes_freed += size;
    return true;
  };

  struct Blob {
    std::uint64_t size = 0;
    double mtime = 0;
    int refs = 0;
  };
  std::map<std::string, Blob> blobs;
  for (const StoreFile& f : *blob_files) {
    if (f.temp) {
      if (f.mtime < now - kGraceSeconds) {
        auto removed = remove(root + "/cas/" + f.name, f.size);
        if (!removed.ok()) return removed.error();
      }
      continue;
    }
    blobs[f.name] = Blob{f.size, f.mtime, 0};
  }

  struct Action {
    std::string key;
    std::uint64_t size = 0;
    double mtime = 0;
    std::set<std::string> blobs;
  };
  std::vector<Action> actions;
  for (const StoreFile& f : *action_files) {
    const std::string path = root + "/ac/" + f.name;
    if (f.temp) {
      if (f.mtime < now - kGraceSeconds) {
        auto removed = remove(path, f.size);
        if (!removed.ok()) return removed.error();
      }
      continue;
    }
    Action action{f.name, f.size, f.mtime, {}};
    // An entry that cannot be read or decoded names no blob (verify removes it); one that is
    // gone by now was removed by someone else.
    auto bytes = ReadAction(path);
    if (bytes.ok() && !bytes->has_value()) continue;
    if (bytes.ok()) {
      if (auto decoded = DecodeActionResult(**bytes); decoded.ok()) {
        action.blobs = NamedBlobs(*decoded);
      }
    }
    for (const std::string& b : action.blobs) {
      if (auto it = blobs.find(b); it != blobs.end()) ++it->second.refs;
    }
    actions.push_back(std::move(action));
  }

  auto sweepable = [&](const Blob& b) { return b.refs == 0 && b.mtime < now - kGraceSeconds; };
  // What the store will hold after the sweep, given the entries still kept.
  std::uint64_t kept_bytes = 0;
  for (const Action& a : actions) kept_bytes += a.size;
  for (const auto& [name, b] : blobs) {
    if (!sweepable(b)) kept_bytes += b.size;
  }
  auto remove_action = [&](const Action& a) -> Status {
    auto removed = remove(root + "/ac/" + a.key, a.size);
    if (!removed.ok()) return removed.error();
    if (*removed) ++result.actions_removed;
    kept_bytes -= a.size;
    for (const std::string& name : a.blobs) {
      auto it = blobs.find(name);
      if (it == blobs.end()) continue;
      --it->second.refs;
      if (sweepable(it->second)) kept_bytes -= it->second.size;
    }
    return {};
  };

  // Least recently used first; equal times in the order of their keys, so the outcome does
  // not depend on the directory's order.
  std::sort(actions.begin(), actions.end(), [](const Action& a, const Action& b) {
    return a.mtime != b.mtime ? a.mtime < b.mtime : a.key < b.key;
  });
  std::size_t first_kept = 0;
  if (options.older_than_seconds) {
    const double cutoff = now - *options.older_than_seconds;
    while (first_kept < actions.size() && actions[first_kept].mtime < cutoff) {
      FANOUT_TRY(remove_action(actions[first_kept++]));
    }
  }
  if (options.max_bytes) {
    while (first_kept < actions.size() && kept_bytes > *options.max_bytes) {
      FANOUT_TRY(remove_action(actions[first_kept++]));
    }
  }

  for (const auto& [name, b] : blobs) {
    if (!sweepable(b)) continue;
    auto removed = remove(root + "/cas/" + name, b.size);
    if (!removed.ok()) return removed.error();
    if (*removed) ++result.blobs_removed;
  }

  auto after = Stats(root);
  if (!after.ok()) return after.error();
  result.after = *after;
  return result;
}

Expected<VerifyResult> Verify(const std::string& dir) {
  const std::string root = StripTrailingSlashes(dir);
  VerifyResult result;
  auto blob_files = ListStoreDir(root + "/cas");
  if (!blob_files.ok()) return blob_files.error();
  for (const StoreFile& f : *blob_files) {
    if (f.temp) continue;
    const std::string path = root + "/cas/" + f.name;
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
      if (errno == ENOENT) continue;
      return IoError("read", path, errno);
    }
    std::string sha256;
    std::uint64_t size = 0;
    FANOUT_TRY(HashStream(fd.get(), path, -1, &sha256, &size));
    ++result.blobs_checked;
    if (sha256 == f.name) continue;
    RemoveIfSame(path, fd.get());
    result.problems.push_back(
        fmt::format("cas/{}: corrupt: its sha256 is {} ({} bytes); removed", f.name, sha256, size));
  }

  auto action_files = ListStoreDir(root + "/ac");
  if (!action_files.ok()) return action_files.error();
  for (const StoreFile& f : *action_files) {
    if (f.temp) continue;
    const std::string path = root + "/ac/" + f.name;
    std::string problem;
    std::optional<std::string> bytes;
    if (f.size > kMaxActionBytes) {
      problem = fmt::format("{} bytes, larger than an action result can be", f.size);
    } else {
      auto read = ReadAction(path);
      if (!read.ok()) return read.error();
      if (!read->has_value()) continue;  // removed since it was listed
      bytes = std::move(*read);
    }
    ++result.actions_checked;
    if (bytes) problem = EntryProblem(root, *bytes);
    if (problem.empty()) continue;
    if (unlink(path.c_str()) != 0 && errno != ENOENT) return IoError("remove", path, errno);
    result.problems.push_back(fmt::format("ac/{}: {}; removed", f.name, problem));
  }
  return result;
}

}  // namespace fanout::cache
