#include "cache/store_maintenance.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "base/unique_fd.h"
#include "cache/action_result.h"
#include "cache/store_files.h"

namespace fanout::cache {

namespace {

using store::BlobPath;
using store::HashStream;
using store::IoError;
using store::IsHex64;
using store::kMaxActionBytes;
using store::kTempPrefix;
using store::Printable;
using store::ReadAction;
using store::RemoveIfSame;
using store::StripTrailingSlashes;

/// How long an unreferenced blob or a temporary file is left alone: a build may be between
/// storing its blobs and storing the entry that names them.
constexpr double kGraceSeconds = 3600;

double Seconds(const struct timespec& ts) {
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double Now() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return Seconds(ts);
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

}  // namespace

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
