#include "sandbox/base_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "base/file_util.h"
#include "base/sha256.h"
#include "base/temp_name.h"
#include "sandbox/fs_util.h"

namespace fanout::sandbox {

namespace {

constexpr const char* kManifestSuffix = ".manifest";

std::string SerializeManifest(const std::vector<TreeFile>& files) {
  // NUL-terminated records: git paths may hold any byte but NUL.
  std::vector<const TreeFile*> sorted;
  for (const TreeFile& f : files) sorted.push_back(&f);
  std::sort(sorted.begin(), sorted.end(),
            [](const TreeFile* a, const TreeFile* b) { return a->path < b->path; });
  std::string out;
  for (const TreeFile* f : sorted) {
    out += fmt::format("{:o} {} {}", static_cast<unsigned>(f->mode), OidToString(f->oid), f->path);
    out.push_back('\0');
  }
  return out;
}

}  // namespace

Expected<std::vector<ManifestEntry>> BaseLease::ReadManifest() const {
  auto text = fanout::ReadFile(manifest_);
  if (!text.ok()) return text.error();
  std::vector<ManifestEntry> out;
  size_t pos = 0;
  while (pos < text->size()) {
    size_t end = text->find('\0', pos);
    if (end == std::string::npos) break;
    std::string_view rec(text->data() + pos, end - pos);
    pos = end + 1;
    size_t sp1 = rec.find(' ');
    size_t sp2 = sp1 == std::string_view::npos ? sp1 : rec.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos) return MakeError("corrupt base manifest " + manifest_);
    auto oid = ParseOid(rec.substr(sp1 + 1, sp2 - sp1 - 1));
    if (!oid) return MakeError("corrupt base manifest " + manifest_);
    ManifestEntry e;
    e.mode = static_cast<git_filemode_t>(std::stoul(std::string(rec.substr(0, sp1)), nullptr, 8));
    e.oid = *oid;
    e.path = std::string(rec.substr(sp2 + 1));
    out.push_back(std::move(e));
  }
  return out;
}

std::string BaseCache::Key(const git_oid& tree, const InputSelection& selection) {
  Sha256 h;
  h.UpdateField("fanout-base-v1");
  h.UpdateField(OidToString(tree));
  h.UpdateField(selection.full ? "full" : "inputs");
  if (!selection.full) {
    std::vector<std::string> inputs = selection.inputs, globals = selection.global_inputs;
    std::sort(inputs.begin(), inputs.end());
    std::sort(globals.begin(), globals.end());
    for (const std::string& p : inputs) h.UpdateField(p);
    h.UpdateField("\x01");
    for (const std::string& p : globals) h.UpdateField(p);
  }
  return h.HexDigest().substr(0, 32);
}

Expected<bool> BaseCache::TryLock(const std::string& key, BaseLease* lease) const {
  std::string dir = root_ + "/" + key;
  UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return false;
    return MakeError(fmt::format("cannot open '{}': {}", dir, std::strerror(errno)));
  }
  while (flock(fd.get(), LOCK_SH) != 0) {
    if (errno != EINTR)
      return MakeError(fmt::format("cannot lock '{}': {}", dir, std::strerror(errno)));
  }
  // Garbage collection renames a base away before deleting it; make sure ours is still there.
  struct stat held, now;
  if (fstat(fd.get(), &held) != 0 || stat(dir.c_str(), &now) != 0 || held.st_ino != now.st_ino ||
      held.st_dev != now.st_dev) {
    return false;
  }
  futimens(fd.get(), nullptr);  // "recently used", for garbage collection
  lease->key_ = key;
  lease->dir_ = dir;
  lease->manifest_ = root_ + "/" + key + kManifestSuffix;
  lease->lock_ = std::move(fd);
  return true;
}

Expected<BaseLease> BaseCache::Acquire(const RepoLocation& repo_path, const git_oid& tree,
                                       const InputSelection& selection, int threads) {
  const std::string key = Key(tree, selection);
  BaseLease lease;
  auto locked = TryLock(key, &lease);
  if (!locked.ok()) return locked.error();
  if (*locked) return lease;

  FANOUT_TRY(MakeDirs(root_));
  auto repo = Repository::Open(repo_path);
  if (!repo.ok()) return repo.error();
  auto files = SelectFiles(*repo, tree, selection);
  if (!files.ok()) return files.error();

  const std::string tmp = fmt::format("{}/.tmp-{}-{}-{:x}", root_, key, getpid(), TempNameBits());
  auto written = WriteFiles(repo_path, *files, tmp,
                            threads > 0 ? threads : DefaultWriterThreads(files->size()), &*repo);
  if (Status owned = written.ok() ? owner_.ApplyTree(tmp) : Status();
      !written.ok() || !owned.ok()) {
    (void)RemoveTree(tmp);
    return written.ok() ? owned.error() : written.error();
  }
  // The manifest goes first: whoever sees the directory can rely on it.
  FANOUT_TRY(WriteFileAtomically(root_ + "/" + key + kManifestSuffix, SerializeManifest(*files)));
  const std::string dir = root_ + "/" + key;
  bool created = true;
  if (rename(tmp.c_str(), dir.c_str()) != 0) {
    if (errno != EEXIST && errno != ENOTEMPTY) {
      int err = errno;
      (void)RemoveTree(tmp);
      return MakeError(fmt::format("cannot rename '{}' to '{}': {}", tmp, dir, std::strerror(err)));
    }
    (void)RemoveTree(tmp);  // another edge materialized the same base first
    created = false;
  }
  locked = TryLock(key, &lease);
  if (!locked.ok()) return locked.error();
  if (!*locked) return MakeError(fmt::format("base '{}' vanished while in use", dir));
  lease.created_ = created;
  return lease;
}

std::size_t BaseCache::Count() const {
  size_t n = 0;
  DIR* d = opendir(root_.c_str());
  if (!d) return 0;
  // A base is a directory named by its key; temporaries and trash start with '.', and a
  // manifest is a file.
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    struct stat st;
    if (e->d_type == DT_DIR ||
        (e->d_type == DT_UNKNOWN && fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
         S_ISDIR(st.st_mode))) {
      ++n;
    }
  }
  closedir(d);
  return n;
}

bool BaseCache::CountExceeds(std::size_t limit) const {
  struct stat st;
  if (stat(root_.c_str(), &st) != 0) return false;  // no cache yet: no base
  if (st.st_nlink >= 2 && st.st_nlink - 2 <= limit) return false;
  return Count() > limit;
}

void BaseCache::CollectGarbage(const std::set<std::string>& keep, std::size_t keep_recent) {
  DIR* d = opendir(root_.c_str());
  if (!d) return;
  struct Candidate {
    std::string key;
    time_t mtime;
  };
  std::vector<Candidate> candidates;
  std::vector<std::string> stale_tmps;
  std::vector<std::string> old_manifests;
  const time_t now = time(nullptr);
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (fstatat(dirfd(d), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (name.rfind(".tmp-", 0) == 0 || name.rfind(".trash-", 0) == 0) {
      // Left by a killed materialization; an hour is far past any live one.
      if (now - st.st_mtime > 3600) stale_tmps.push_back(name);
      continue;
    }
    if (name.size() > std::strlen(kManifestSuffix) &&
        name.compare(name.size() - std::strlen(kManifestSuffix), std::string::npos,
                     kManifestSuffix) == 0) {
      if (now - st.st_mtime > 3600) old_manifests.push_back(name);
      continue;
    }
    if (!S_ISDIR(st.st_mode) || keep.count(name)) continue;
    candidates.push_back({name, st.st_mtime});
  }
  closedir(d);
  for (const std::string& t : stale_tmps) (void)RemoveTree(root_ + "/" + t);
  std::sort(candidates.begin(), candidates.end(),
            [](const Candidate& a, const Candidate& b) { return a.mtime > b.mtime; });
  for (size_t i = keep_recent; i < candidates.size(); ++i) {
    const std::string dir = root_ + "/" + candidates[i].key;
    UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd || flock(fd.get(), LOCK_EX | LOCK_NB) != 0) continue;  // in use
    const std::string trash = fmt::format("{}/.trash-{}-{}", root_, candidates[i].key, getpid());
    if (rename(dir.c_str(), trash.c_str()) != 0) continue;
    fd.reset();
    (void)RemoveTree(trash);
  }
  // A manifest goes only long after its base, so that one being rewritten by a concurrent
  // Acquire of the same key is never removed.
  for (const std::string& m : old_manifests) {
    std::string dir = root_ + "/" + m.substr(0, m.size() - std::strlen(kManifestSuffix));
    struct stat st;
    if (stat(dir.c_str(), &st) != 0 && errno == ENOENT) unlink((root_ + "/" + m).c_str());
  }
}

}  // namespace fanout::sandbox
