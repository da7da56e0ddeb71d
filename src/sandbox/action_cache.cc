#include "sandbox/action_cache.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "base/file_util.h"
#include "base/sha256.h"
#include "base/unique_fd.h"
#include "cache/action_result.h"
#include "sandbox/fs_util.h"
#include "sandbox/weaken.h"

namespace fanout::sandbox {

namespace {

/// The output that holds the entry record; every other output is a file of out/.
constexpr const char* kRecordPath = ".fanout/record.json";
constexpr const char* kOutPrefix = "out/";

/// An unnamed file in memory, for a blob on its way to or from a store.
Expected<UniqueFd> MemoryFile(const char* name) {
  UniqueFd fd(memfd_create(name, MFD_CLOEXEC));
  if (!fd) return MakeError(fmt::format("memfd_create: {}", std::strerror(errno)));
  return fd;
}

/// A path by which a store can open `fd` (a memfd) as a file.
std::string FdPath(int fd) { return fmt::format("/proc/self/fd/{}", fd); }

/// All of `fd` from offset 0.
Expected<std::string> ReadAll(int fd) {
  std::string out;
  char buf[65536];
  for (off_t off = 0;;) {
    ssize_t n = pread(fd, buf, sizeof buf, off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return MakeError(fmt::format("read: {}", std::strerror(errno)));
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
    off += n;
  }
}

/// The blob of `fd`'s whole content, hashed from the descriptor.
Expected<cache::BlobRef> BlobOf(int fd) {
  auto text = ReadAll(fd);
  if (!text.ok()) return text.error();
  return cache::BlobRef{Sha256Hex(*text), text->size()};
}

/// Copies `from`'s whole content to the end of `to`.
Status AppendFd(int from, int to) {
  auto text = ReadAll(from);
  if (!text.ok()) return text.error();
  if (WriteAllToFd(to, *text) != 0) {
    return MakeError(fmt::format("write: {}", std::strerror(errno)));
  }
  return {};
}

/// The parent directory of `rel` under `root`, made.
Status MakeParents(const std::string& root, const std::string& rel) {
  const size_t slash = rel.rfind('/');
  if (slash == std::string::npos) return {};
  return MakeDirs(root + "/" + rel.substr(0, slash));
}

/// Blobs first, the entry last: a reader never finds an entry whose files are not there yet.
Status PutEntry(cache::Backend& store,
                const std::vector<std::pair<cache::BlobRef, std::string>>& blobs,
                const std::string& key, const std::string& bytes) {
  for (const auto& [blob, path] : blobs) FANOUT_TRY(store.PutBlob(blob, path));
  return store.PutAction(key, bytes);
}

/// Where the local cache notes the key it stored last for `target`.
std::string LatestPath(const std::string& dir, const std::string& target) {
  return dir + "/targets/" + Sha256Hex(target);
}

}  // namespace

ActionCache::ActionCache(const cache::CacheSettings& settings, Report report)
    : settings_(settings), report_(std::move(report)) {
  if (settings_.mode == cache::CacheMode::kOff) return;
  if (!settings_.dir.empty()) {
    auto store = cache::LocalStore::Open(settings_.dir);
    if (store.ok()) {
      local_.emplace(std::move(*store));
    } else {
      report_(fmt::format("fanout: warning: the local action cache is not used: {}",
                          store.error().message),
              true, "cache-local-warned");
    }
  }
  if (!settings_.url.empty()) {
    cache::HttpOptions options;
    options.url = settings_.url;
    options.netrc_file = settings_.netrc_file;
    if (!settings_.header_variable.empty()) {
      const char* value = std::getenv(settings_.header_variable.c_str());
      if (value && *value) {
        options.header = value;
      } else {
        report_(fmt::format("fanout: warning: {}={} names a variable that is not set; the "
                            "remote cache is used without that header",
                            cache::kCacheHeaderVariable, settings_.header_variable),
                true, "cache-header-warned");
      }
    }
    auto remote = cache::HttpBackend::Create(options);
    if (remote.ok()) {
      remote_ = std::move(*remote);
    } else {
      report_(fmt::format("fanout: warning: the remote action cache is not used: {}",
                          remote.error().message),
              true, "cache-remote-warned");
    }
  }
}

std::string ActionCache::Describe() const {
  std::string out;
  if (local_) out = "local " + local_->Describe();
  if (remote_) out += (out.empty() ? "" : ", ") + std::string("remote ") + remote_->Describe();
  return out.empty() ? "none" : out;
}

void ActionCache::RemoteFailed(const std::string& what, const Error& e) {
  report_(fmt::format("fanout: warning: the remote action cache {} failed ({}): {}; building "
                      "without it",
                      remote_->Describe(), what, e.message),
          true, "cache-remote-warned");
  remote_.reset();
}

std::optional<ActionCache::Restored> ActionCache::Restore(const std::string& key,
                                                          const std::string& target,
                                                          const std::string& out_dir, int log_fd) {
  for (cache::Backend* store : {static_cast<cache::Backend*>(local_ ? &*local_ : nullptr),
                                static_cast<cache::Backend*>(remote_.get())}) {
    if (!store) continue;
    const bool is_local = local_ && store == &*local_;
    std::string problem;
    bool store_failed = false;
    auto restored = RestoreFrom(*store, key, target, out_dir, log_fd, &problem, &store_failed);
    if (restored) {
      if (is_local) local_->Touch(key);
      return restored;
    }
    if (problem.empty()) continue;  // a plain miss
    if (store_failed && !is_local) {
      RemoteFailed("reading entry " + key, MakeError(problem));
      continue;
    }
    report_(fmt::format("fanout: warning: action cache entry {} of '{}' in {} is unusable: {}; "
                        "it is discarded and the target runs",
                        key, target, store->Describe(), problem),
            true, "");
    if (is_local) local_->RemoveAction(key);
    (void)EmptyDir(out_dir);
  }
  return std::nullopt;
}

std::optional<ActionCache::Restored> ActionCache::RestoreFrom(
    cache::Backend& store, const std::string& key, const std::string& target,
    const std::string& out_dir, int log_fd, std::string* problem, bool* store_failed) {
  auto fail = [&](std::string why) -> std::optional<Restored> {
    *problem = std::move(why);
    return std::nullopt;
  };
  auto got = store.GetAction(key);
  if (!got.ok()) {
    *store_failed = true;
    return fail(got.error().message);
  }
  if (!*got) return std::nullopt;
  auto action = cache::DecodeActionResult(**got);
  if (!action.ok()) return fail("its action result is malformed: " + action.error().message);

  // Fetches one blob into `fd`; a problem when it is missing or does not match.
  auto fetch = [&](const cache::BlobRef& blob, int fd, const std::string& what) -> bool {
    std::string why;
    auto outcome = store.FetchBlob(blob, fd, &why);
    if (!outcome.ok()) {
      *store_failed = true;
      *problem = fmt::format("reading {}: {}", what, outcome.error().message);
      return false;
    }
    if (*outcome == cache::FetchOutcome::kMissing) {
      *problem = fmt::format("{} (blob {}) is missing", what, blob.sha256);
      return false;
    }
    // The test-only switch shows what verification prevents: a corrupt blob used as it is.
    if (*outcome == cache::FetchOutcome::kCorrupt && !Weakened("cache-verify")) {
      *problem = fmt::format("{} does not match its digest ({})", what, why);
      return false;
    }
    return true;
  };

  const cache::OutputFile* record_file = nullptr;
  for (const cache::OutputFile& f : action->files) {
    if (f.path == kRecordPath) {
      record_file = &f;
    } else if (f.path.rfind(kOutPrefix, 0) != 0 || f.path.size() == 4) {
      return fail(fmt::format("it names an output '{}' outside out/", f.path));
    }
  }
  if (!record_file) return fail(fmt::format("it has no {}", kRecordPath));
  auto record_fd = MemoryFile("fanout-cache-record");
  if (!record_fd.ok()) return fail(record_fd.error().message);
  if (!fetch(record_file->blob, record_fd->get(), "the entry record")) return std::nullopt;
  auto text = ReadAll(record_fd->get());
  if (!text.ok()) return fail(text.error().message);
  auto entry =
      records::ParseCacheEntry(*text, store.Describe() + "/cas/" + record_file->blob.sha256);
  if (!entry.ok()) return fail(entry.error().message);
  if (entry->action.key != key || entry->target != target) {
    return fail(
        fmt::format("its record is for target '{}' with key {}", entry->target, entry->action.key));
  }

  Restored r;
  // What the remote had is kept locally too, from the bytes verified as they were restored.
  std::vector<std::pair<cache::BlobRef, std::string>> blobs = {
      {record_file->blob, FdPath(record_fd->get())}};
  if (Status st = EmptyDir(out_dir); !st.ok()) return fail(st.error().message);
  for (const cache::OutputFile& f : action->files) {
    if (&f == record_file) continue;
    const std::string rel = f.path.substr(std::strlen(kOutPrefix));
    if (Status st = MakeParents(out_dir, rel); !st.ok()) return fail(st.error().message);
    // Written beside its final name and renamed: out/ never holds half a file.
    const std::string final_path = out_dir + "/" + rel;
    const std::string part = final_path + ".fanout-part";
    UniqueFd fd(open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                     f.executable ? 0755 : 0644));
    if (!fd) {
      return fail(fmt::format("cannot create '{}': {}", part, std::strerror(errno)));
    }
    if (!fetch(f.blob, fd.get(), "artifact '" + rel + "'")) {
      unlink(part.c_str());
      return std::nullopt;
    }
    fchmod(fd.get(), f.executable ? 0755 : 0644);
    fd.reset();
    if (rename(part.c_str(), final_path.c_str()) != 0) {
      return fail(fmt::format("cannot rename '{}': {}", part, std::strerror(errno)));
    }
    r.artifacts.push_back({rel, f.blob.size, f.blob.sha256});
    blobs.emplace_back(f.blob, final_path);
  }
  std::optional<UniqueFd> log;
  if (action->stdout_blob) {
    auto mem = MemoryFile("fanout-cache-log");
    if (!mem.ok()) return fail(mem.error().message);
    log = std::move(*mem);
    if (!fetch(*action->stdout_blob, log->get(), "the log")) return std::nullopt;
    if (log_fd >= 0) (void)AppendFd(log->get(), log_fd);
    blobs.emplace_back(*action->stdout_blob, FdPath(log->get()));
  }
  const bool from_local = local_ && &store == &*local_;
  if (!from_local && local_ && settings_.mode == cache::CacheMode::kOn) {
    if (Status st = PutEntry(*local_, blobs, key, **got); !st.ok()) {
      report_(fmt::format("fanout: warning: keeping the remote entry {} in the local action "
                          "cache {} failed: {}",
                          key, local_->Describe(), st.error().message),
              true, "cache-local-store-warned");
    }
  }
  r.cached.store = from_local ? "local" : "remote";
  r.cached.where = store.Describe();
  r.cached.original_duration_seconds = entry->duration_seconds;
  r.cached.original_finished_at = entry->finished_at;
  r.entry = std::move(*entry);
  return r;
}

std::optional<records::CacheEntryRecord> ActionCache::LatestEntry(const std::string& target) {
  if (!local_) return std::nullopt;
  auto key = ReadFile(LatestPath(local_->dir(), target));
  if (!key.ok() || key->size() < 64) return std::nullopt;
  auto got = local_->GetAction(key->substr(0, 64));
  if (!got.ok() || !*got) return std::nullopt;
  auto action = cache::DecodeActionResult(**got);
  if (!action.ok()) return std::nullopt;
  for (const cache::OutputFile& f : action->files) {
    if (f.path != kRecordPath) continue;
    auto fd = MemoryFile("fanout-cache-record");
    if (!fd.ok()) return std::nullopt;
    auto fetched = local_->FetchBlob(f.blob, fd->get());
    if (!fetched.ok() || *fetched != cache::FetchOutcome::kOk) return std::nullopt;
    auto text = ReadAll(fd->get());
    if (!text.ok()) return std::nullopt;
    auto entry = records::ParseCacheEntry(*text, local_->Describe() + "/cas/" + f.blob.sha256);
    if (!entry.ok() || entry->target != target) return std::nullopt;
    return std::move(*entry);
  }
  return std::nullopt;
}

void ActionCache::Store(const records::CacheEntryRecord& entry, const std::string& out_dir,
                        const std::vector<records::ArtifactRecord>& artifacts,
                        const std::string& log_path) {
  if (settings_.mode != cache::CacheMode::kOn) return;
  const bool to_remote = remote_ && settings_.upload;
  if (!local_ && !to_remote) return;

  // The files: each artifact as out/<path>, as result.json hashed it.
  cache::ActionResult action;
  std::vector<std::pair<cache::BlobRef, std::string>> blobs;  // blob, the file holding it
  for (const records::ArtifactRecord& a : artifacts) {
    const std::string path = out_dir + "/" + a.path;
    struct stat st;
    if (lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;
    cache::BlobRef blob{a.sha256, a.size};
    action.files.push_back({kOutPrefix + a.path, blob, (st.st_mode & S_IXUSR) != 0});
    blobs.emplace_back(blob, path);
  }
  // The record and the log, copied into memory first so that the bytes hashed are the bytes
  // stored.
  auto record_fd = MemoryFile("fanout-cache-record");
  if (!record_fd.ok()) return;
  if (WriteAllToFd(record_fd->get(), records::CacheEntryText(entry)) != 0) return;
  auto record_blob = BlobOf(record_fd->get());
  if (!record_blob.ok()) return;
  action.files.insert(action.files.begin(), {kRecordPath, *record_blob, false});
  blobs.emplace_back(*record_blob, FdPath(record_fd->get()));
  std::optional<UniqueFd> log_fd;
  if (!log_path.empty()) {
    UniqueFd in(open(log_path.c_str(), O_RDONLY | O_CLOEXEC));
    auto mem = MemoryFile("fanout-cache-log");
    if (in && mem.ok() && AppendFd(in.get(), mem->get()).ok()) {
      auto blob = BlobOf(mem->get());
      if (blob.ok()) {
        action.stdout_blob = *blob;
        blobs.emplace_back(*blob, FdPath(mem->get()));
        log_fd = std::move(*mem);
      }
    }
  }
  const std::string bytes = cache::EncodeActionResult(action);

  if (local_) {
    Status st = PutEntry(*local_, blobs, entry.action.key, bytes);
    if (st.ok()) {
      const std::string latest = LatestPath(local_->dir(), entry.target);
      st = MakeParents(local_->dir(), "targets/x");
      if (st.ok()) st = WriteFileAtomically(latest, entry.action.key + "\n");
    }
    if (!st.ok()) {
      report_(fmt::format("fanout: warning: storing '{}' in the local action cache {} failed: {}",
                          entry.target, local_->Describe(), st.error().message),
              true, "cache-local-store-warned");
    }
  }
  if (to_remote) {
    Status st = PutEntry(*remote_, blobs, entry.action.key, bytes);
    if (!st.ok()) RemoteFailed("storing " + entry.target, st.error());
  }
}

}  // namespace fanout::sandbox
