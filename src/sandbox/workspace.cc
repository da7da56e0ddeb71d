#include "sandbox/workspace.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "base/file_util.h"
#include "sandbox/fs_util.h"

namespace fanout::sandbox {

namespace {

// What PrepareWorkspace recorded about one file of the private copy. A command that touches a
// file changes its ctime (which no process can set) or replaces its inode.
struct Fingerprint {
  ino_t ino = 0;
  long long ctime_sec = 0;
  long ctime_nsec = 0;
  unsigned mode = 0;  ///< git's file mode
  std::string oid;
};

using State = std::unordered_map<std::string, Fingerprint>;

State LoadState(const std::string& path) {
  State state;
  auto text = fanout::ReadFile(path);
  if (!text.ok()) return state;
  size_t pos = 0;
  while (pos < text->size()) {
    size_t end = text->find('\0', pos);
    if (end == std::string::npos) break;
    std::string rec = text->substr(pos, end - pos);
    pos = end + 1;
    Fingerprint fp;
    unsigned long long ino = 0;
    char oid[41] = {};
    int consumed = 0;
    if (std::sscanf(rec.c_str(), "%llu %lld %ld %o %40s%n", &ino, &fp.ctime_sec, &fp.ctime_nsec,
                    &fp.mode, oid, &consumed) < 5 ||
        consumed <= 0 || static_cast<size_t>(consumed) >= rec.size()) {
      return State();  // corrupt: treat as unknown, everything is rewritten
    }
    fp.ino = static_cast<ino_t>(ino);
    fp.oid = oid;
    state.emplace(rec.substr(static_cast<size_t>(consumed) + 1), std::move(fp));
  }
  return state;
}

std::string SerializeState(const State& state) {
  std::string out;
  for (const auto& [path, fp] : state) {
    out += fmt::format("{} {} {} {:o} {} {}", static_cast<unsigned long long>(fp.ino), fp.ctime_sec,
                       fp.ctime_nsec, fp.mode, fp.oid, path);
    out.push_back('\0');
  }
  return out;
}

bool TypeMatches(unsigned git_mode, mode_t st_mode) {
  if (git_mode == GIT_FILEMODE_LINK) return S_ISLNK(st_mode);
  if (git_mode == GIT_FILEMODE_COMMIT) return S_ISDIR(st_mode);
  if (!S_ISREG(st_mode)) return false;
  const bool exec = (st_mode & 0777) == 0755;
  return git_mode == GIT_FILEMODE_BLOB_EXECUTABLE ? exec : (st_mode & 0777) == 0644;
}

std::set<std::string> ExpectedDirs(const std::vector<ManifestEntry>& manifest) {
  std::set<std::string> dirs;
  for (const ManifestEntry& e : manifest) {
    for (size_t s = e.path.find('/'); s != std::string::npos; s = e.path.find('/', s + 1)) {
      dirs.insert(e.path.substr(0, s));
    }
    if (e.mode == GIT_FILEMODE_COMMIT) dirs.insert(e.path);
  }
  return dirs;
}

// Walks the private copy and sorts every entry into unchanged (kept), changed (a file that
// differs from what was recorded) and stray (anything the base does not have).
struct CopyDiff {
  std::set<std::string> kept;
  std::vector<std::string> changed;
  std::vector<std::string> stray;
  std::vector<std::string> bad_dir_modes;
};

Expected<CopyDiff> DiffCopy(const std::string& src, const std::vector<ManifestEntry>& manifest,
                            const State& state, const Owner& owner) {
  std::unordered_map<std::string, const ManifestEntry*> by_path;
  for (const ManifestEntry& e : manifest) by_path.emplace(e.path, &e);
  const std::set<std::string> dirs = ExpectedDirs(manifest);
  CopyDiff diff;
  FANOUT_TRY(WalkDir(src, [&](const WalkEntry& e) {
    auto m = by_path.find(e.path);
    if (S_ISDIR(e.st.st_mode) && dirs.count(e.path)) {
      if ((e.st.st_mode & 07777) != 0755 || !owner.Owns(e.st)) diff.bad_dir_modes.push_back(e.path);
      if (m != by_path.end()) diff.kept.insert(e.path);  // a submodule's empty directory
      return WalkAction::kContinue;
    }
    if (m == by_path.end()) {
      diff.stray.push_back(e.path);
      return WalkAction::kSkipChildren;
    }
    auto s = state.find(e.path);
    const bool same = s != state.end() && s->second.oid == OidToString(m->second->oid) &&
                      s->second.mode == static_cast<unsigned>(m->second->mode) &&
                      TypeMatches(m->second->mode, e.st.st_mode) && owner.Owns(e.st) &&
                      s->second.ino == e.st.st_ino &&
                      s->second.ctime_sec == static_cast<long long>(e.st.st_ctim.tv_sec) &&
                      s->second.ctime_nsec == e.st.st_ctim.tv_nsec;
    if (same) {
      diff.kept.insert(e.path);
    } else {
      diff.changed.push_back(e.path);
    }
    return WalkAction::kSkipChildren;
  }));
  return diff;
}

Expected<PrepareStats> ResetCopy(const WorkspacePaths& ws, const BaseLease& base,
                                 const Owner& owner) {
  auto manifest = base.ReadManifest();
  if (!manifest.ok()) return manifest.error();
  State old_state = LoadState(ws.state);
  FANOUT_TRY(MakeDirs(ws.src));
  FANOUT_TRY(owner.Apply(ws.src));
  auto diff = DiffCopy(ws.src, *manifest, old_state, owner);
  if (!diff.ok()) return diff.error();

  PrepareStats stats;
  for (const std::vector<std::string>* list : {&diff->stray, &diff->changed}) {
    for (const std::string& p : *list) {
      FANOUT_TRY(RemoveTree(ws.src + "/" + p));
      stats.files_removed++;
    }
  }
  for (const std::string& d : diff->bad_dir_modes) {
    chmod((ws.src + "/" + d).c_str(), 0755);
    FANOUT_TRY(owner.Apply(ws.src + "/" + d));
  }

  State state;
  std::set<std::string> made_dirs;
  for (const ManifestEntry& e : *manifest) {
    const std::string to = ws.src + "/" + e.path;
    if (!diff->kept.count(e.path)) {
      const size_t slash = e.path.find_last_of('/');
      if (slash != std::string::npos) {
        std::string parent = e.path.substr(0, slash);
        if (made_dirs.insert(parent).second) {
          FANOUT_TRY(MakeDirs(ws.src + "/" + parent));
          // Every directory MakeDirs may have created, from the top.
          for (size_t s = parent.find('/');; s = parent.find('/', s + 1)) {
            FANOUT_TRY(owner.Apply(ws.src + "/" + parent.substr(0, s)));
            if (s == std::string::npos) break;
          }
        }
      }
      const std::string from = base.dir() + "/" + e.path;
      if (e.mode == GIT_FILEMODE_LINK) {
        char buf[4096];
        ssize_t n = readlink(from.c_str(), buf, sizeof buf);
        if (n < 0 || symlink(std::string(buf, static_cast<size_t>(n)).c_str(), to.c_str()) != 0) {
          return MakeError(fmt::format("cannot copy symlink '{}': {}", from, std::strerror(errno)));
        }
      } else if (e.mode == GIT_FILEMODE_COMMIT) {
        FANOUT_TRY(MakeDirs(to));
      } else {
        FANOUT_TRY(CopyFile(from, to, e.mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0755 : 0644));
      }
      FANOUT_TRY(owner.Apply(to));  // before the fingerprint: chown changes the ctime
      stats.files_written++;
    }
    if (e.mode == GIT_FILEMODE_COMMIT) continue;
    struct stat st;
    if (lstat(to.c_str(), &st) != 0) {
      return MakeError(fmt::format("cannot stat '{}': {}", to, std::strerror(errno)));
    }
    state.emplace(
        e.path, Fingerprint{st.st_ino, static_cast<long long>(st.st_ctim.tv_sec),
                            st.st_ctim.tv_nsec, static_cast<unsigned>(e.mode), OidToString(e.oid)});
  }
  // A warm reset that changed nothing leaves the recorded state as it is.
  if (stats.files_written != 0 || stats.files_removed != 0 || state.size() != old_state.size()) {
    FANOUT_TRY(WriteFileAtomically(ws.state, SerializeState(state)));
  }
  return stats;
}

}  // namespace

WorkspacePaths WorkspacePaths::For(const std::string& build_dir, const std::string& target) {
  WorkspacePaths ws;
  ws.root = build_dir + "/.fanout/ws/" + target;
  ws.src = ws.root + "/src";
  ws.home = ws.root + "/home";
  ws.tmp = ws.root + "/tmp";
  ws.deps = ws.root + "/deps";
  ws.upper = ws.root + "/upper";
  ws.work = ws.root + "/work";
  ws.state = ws.root + "/copy.state";
  return ws;
}

Expected<PrepareStats> PrepareWorkspace(const WorkspacePaths& ws, const BaseLease& base,
                                        WorkspaceMode mode, const Owner& owner) {
  FANOUT_TRY(MakeDirs(ws.root));
  for (const std::string* d : {&ws.home, &ws.tmp, &ws.deps}) FANOUT_TRY(EmptyDir(*d));
  for (const std::string* d : {&ws.home, &ws.tmp}) FANOUT_TRY(owner.Apply(*d));
  if (mode == WorkspaceMode::kCopy) {
    // Layers of an earlier overlay run are of no use to a copy.
    FANOUT_TRY(RemoveTree(ws.upper));
    FANOUT_TRY(RemoveTree(ws.work));
    return ResetCopy(ws, base, owner);
  }
  // Overlay: the base stays untouched; the mount point must be empty.
  if (access(ws.state.c_str(), F_OK) == 0) {
    FANOUT_TRY(RemoveTree(ws.src));
    unlink(ws.state.c_str());
  }
  FANOUT_TRY(MakeDirs(ws.src));
  FANOUT_TRY(EmptyDir(ws.upper));
  FANOUT_TRY(EmptyDir(ws.work));
  // The overlay's root directory takes its owner from the upper layer.
  FANOUT_TRY(owner.Apply(ws.upper));
  return PrepareStats{};
}

Status LinkDeps(const WorkspacePaths& ws, const std::map<std::string, std::string>& dep_out_dirs) {
  if (dep_out_dirs.empty()) return {};
  FANOUT_TRY(MakeDirs(ws.deps));
  for (const auto& [dep, dir] : dep_out_dirs) {
    std::string link = ws.deps + "/" + dep;
    if (symlink(dir.c_str(), link.c_str()) != 0) {
      return MakeError(fmt::format("cannot link '{}': {}", link, std::strerror(errno)));
    }
  }
  return {};
}

std::vector<std::string> RepositoryDirs(const std::string& repo_root) {
  // The first line of `file` as a path: absolute, or relative to `base`; "" when unreadable.
  auto path_in = [](const std::string& file, const std::string& base, const std::string& prefix) {
    auto text = fanout::ReadFile(file);
    if (!text.ok() || text->compare(0, prefix.size(), prefix) != 0) return std::string();
    std::string path = text->substr(prefix.size(), text->find('\n') - prefix.size());
    while (!path.empty() && (path.back() == '\r' || path.back() == ' ')) path.pop_back();
    if (path.empty()) return path;
    return path[0] == '/' ? path : base + "/" + path;
  };
  std::vector<std::string> dirs;
  auto add = [&](const std::string& path) {
    char real[PATH_MAX];
    if (!path.empty() && realpath(path.c_str(), real)) dirs.emplace_back(real);
  };
  add(repo_root);
  struct stat st;
  const std::string dot_git = repo_root + "/.git";
  if (lstat(dot_git.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    const std::string git_dir = path_in(dot_git, repo_root, "gitdir: ");
    add(git_dir);
    if (!git_dir.empty()) add(path_in(git_dir + "/commondir", git_dir, ""));
  }
  return dirs;
}

Expected<WorkspaceChanges> ScanChanges(const WorkspacePaths& ws, const BaseLease& base,
                                       WorkspaceMode mode) {
  WorkspaceChanges changes;
  if (mode == WorkspaceMode::kOverlay) {
    FANOUT_TRY(WalkDir(ws.upper, [&](const WalkEntry& e) {
      if (S_ISDIR(e.st.st_mode)) return WalkAction::kContinue;
      // overlayfs records a deletion as a 0:0 character device ("whiteout").
      if (S_ISCHR(e.st.st_mode) && major(e.st.st_rdev) == 0 && minor(e.st.st_rdev) == 0) {
        changes.deleted.push_back(e.path);
      } else {
        changes.written.push_back(e.path);
      }
      return WalkAction::kContinue;
    }));
  } else {
    auto manifest = base.ReadManifest();
    if (!manifest.ok()) return manifest.error();
    auto diff = DiffCopy(ws.src, *manifest, LoadState(ws.state), Owner{});
    if (!diff.ok()) return diff.error();
    std::set<std::string> seen(diff->kept.begin(), diff->kept.end());
    for (const std::string& p : diff->changed) seen.insert(p);
    for (const ManifestEntry& e : *manifest) {
      if (e.mode != GIT_FILEMODE_COMMIT && !seen.count(e.path)) changes.deleted.push_back(e.path);
    }
    changes.written = diff->changed;
    // Stray directories count by their files.
    for (const std::string& p : diff->stray) {
      struct stat st;
      std::string full = ws.src + "/" + p;
      if (lstat(full.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        FANOUT_TRY(WalkDir(full, [&](const WalkEntry& e) {
          if (!S_ISDIR(e.st.st_mode)) changes.written.push_back(p + "/" + e.path);
          return WalkAction::kContinue;
        }));
      } else {
        changes.written.push_back(p);
      }
    }
  }
  std::sort(changes.written.begin(), changes.written.end());
  std::sort(changes.deleted.begin(), changes.deleted.end());
  return changes;
}

}  // namespace fanout::sandbox
