#include "git/git.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <string_view>
#include <unordered_set>

#include <fmt/format.h>

#include "description/diagnostic.h"
#include "git/object_store.h"

namespace fanout {

Error GitError(std::string_view what) {
  const git_error* e = git_error_last();
  std::string detail = (e && e->message) ? e->message : "unknown libgit2 error";
  return MakeError(fmt::format("{}: {}", what, detail), kExitGit);
}

std::string OidToString(const git_oid& oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, &oid);
  return buf;
}

std::optional<git_oid> ParseOid(std::string_view hex) {
  if (hex.size() != GIT_OID_HEXSZ) return std::nullopt;
  git_oid oid;
  if (git_oid_fromstrn(&oid, hex.data(), hex.size()) != 0) return std::nullopt;
  return oid;
}

bool IsZeroOid(std::string_view hex) {
  return !hex.empty() && hex.find_first_not_of('0') == std::string_view::npos;
}

namespace {

/// libgit2 1.5.1 refuses a repository owned by another user with GIT_ENOTFOUND and "config
/// value 'safe.directory' was not found" instead of GIT_EOWNER when no configuration file sets
/// safe.directory at all (tests/git/libgit2_init_test.cc runs into it); later releases return
/// GIT_EOWNER. Both are the same refusal.
bool IsSafeDirectoryLookupFailure(int rc) {
  if (rc != GIT_ENOTFOUND) return false;
  const git_error* e = git_error_last();
  return e && e->klass == GIT_ERROR_CONFIG && e->message &&
         std::string_view(e->message).find("'safe.directory'") != std::string_view::npos;
}

/// The error for a repository that libgit2's owner validation refused (GIT_EOWNER; on by
/// ConfigureLibgit2 in git/libgit2_init.cc). It names the directory git's safe.directory must
/// list: the work tree, or the git directory of a bare repository, as libgit2 compares them.
Error OwnerRefusal(const std::string& path) {
  std::string trusted = path;
  struct Buffer {
    git_buf buf = GIT_BUF_INIT;
    ~Buffer() { git_buf_dispose(&buf); }
  } found;
  // Discovery does not validate ownership, so it finds the directory open refused.
  if (git_repository_discover(&found.buf, path.c_str(), 0, nullptr) == 0) {
    std::string gitdir(found.buf.ptr, found.buf.size);
    constexpr std::string_view kDotGit = "/.git/";
    if (gitdir.size() > kDotGit.size() && gitdir.ends_with(kDotGit)) {
      trusted = gitdir.substr(0, gitdir.size() - kDotGit.size());
    } else {
      trusted = gitdir;
      if (trusted.size() > 1 && trusted.back() == '/') trusted.pop_back();
    }
  }
  return MakeError(
      fmt::format("refusing the git repository at '{}': it is owned by another user than the "
                  "one running fanout, and git's safe.directory does not list it. If you trust "
                  "it, run `git config --global --add safe.directory {}` and retry",
                  trusted, trusted),
      kExitGit);
}

}  // namespace

Expected<Repository> Repository::Open(const std::string& path, const std::string& object_store) {
  EnsureLibgit2();
  git_repository* raw = nullptr;
  const int rc = git_repository_open_ext(&raw, path.c_str(), 0, nullptr);
  if (rc == GIT_EOWNER || IsSafeDirectoryLookupFailure(rc)) return OwnerRefusal(path);
  if (rc != 0) {
    return GitError(fmt::format("cannot open a git repository at or above '{}'", path));
  }
  RepositoryPtr repo(raw);
  FANOUT_TRY(IsolateObjectDatabase(repo.get(), object_store));
  return Repository(std::move(repo));
}

bool Repository::is_bare() const { return git_repository_is_bare(repo_.get()); }

std::string Repository::workdir() const {
  const char* w = git_repository_workdir(repo_.get());
  return w ? w : "";
}

std::string Repository::gitdir() const { return git_repository_path(repo_.get()); }

std::string Repository::root() const {
  std::string r = is_bare() ? gitdir() : workdir();
  if (r.size() > 1 && r.back() == '/') r.pop_back();
  return r;
}

bool Repository::IsShallow() const { return git_repository_is_shallow(repo_.get()) == 1; }

Expected<std::optional<std::string>> Repository::FirstTrackedPathUnder(
    const std::string& dir) const {
  // Read from the file, not the repository's shared index object, which others may hold.
  git_index* raw = nullptr;
  const std::string index_path = gitdir() + "index";
  if (git_index_open(&raw, index_path.c_str()) != 0) {
    return GitError("cannot read the index " + index_path);
  }
  IndexPtr index(raw);
  size_t pos = 0;
  if (!dir.empty() && git_index_find(&pos, index.get(), dir.c_str()) == 0) {
    return std::optional<std::string>(dir);
  }
  const std::string prefix = dir.empty() ? "" : dir + "/";
  if (prefix.empty()) {
    if (git_index_entrycount(index.get()) == 0) return std::optional<std::string>();
  } else if (git_index_find_prefix(&pos, index.get(), prefix.c_str()) != 0) {
    return std::optional<std::string>();
  }
  const git_index_entry* entry = git_index_get_byindex(index.get(), pos);
  if (!entry) return std::optional<std::string>();
  return std::optional<std::string>(entry->path);
}

Expected<std::vector<Repository::PromisorRemote>> Repository::PromisorRemotes() const {
  git_config* raw = nullptr;
  if (git_repository_config_snapshot(&raw, repo_.get()) != 0) {
    return GitError("cannot read the repository's configuration");
  }
  GitPtr<git_config, git_config_free> config(raw);
  // remote name -> its last `promisor` value (section and key names come back lowercased, the
  // remote's name as written).
  std::map<std::string, bool> promisor;
  auto add = [](const git_config_entry* e, void* payload) {
    std::string_view key = e->name;
    constexpr std::string_view kPrefix = "remote.", kSuffix = ".promisor";
    int on = 0;
    if (key.size() > kPrefix.size() + kSuffix.size() && git_config_parse_bool(&on, e->value) == 0) {
      std::string name(key.substr(kPrefix.size(), key.size() - kPrefix.size() - kSuffix.size()));
      (*static_cast<std::map<std::string, bool>*>(payload))[name] = on != 0;
    }
    return 0;
  };
  if (git_config_foreach_match(config.get(), "^remote\\..*\\.promisor$", add, &promisor) != 0) {
    return GitError("cannot read the repository's configuration");
  }
  std::set<std::string> names;
  for (const auto& [name, on] : promisor) {
    if (on) names.insert(name);
  }
  git_buf partial = GIT_BUF_INIT;
  if (git_config_get_string_buf(&partial, config.get(), "extensions.partialclone") == 0) {
    if (partial.ptr && *partial.ptr) names.insert(partial.ptr);
  }
  git_buf_dispose(&partial);
  std::vector<PromisorRemote> out;
  for (const std::string& name : names) {
    PromisorRemote r{name, ""};
    git_buf filter = GIT_BUF_INIT;
    std::string key = "remote." + name + ".partialclonefilter";
    if (git_config_get_string_buf(&filter, config.get(), key.c_str()) == 0 && filter.ptr) {
      r.filter = filter.ptr;
    }
    git_buf_dispose(&filter);
    out.push_back(std::move(r));
  }
  return out;
}

std::string Repository::UnknownRevisionHint(const std::string& rev) const {
  if (IsShallow()) {
    return "the clone is shallow; run 'git fetch --deepen=100' or 'git fetch --unshallow'";
  }
  // Branch, remote-tracking branch and tag names as one types them, for a "did you mean".
  std::vector<std::string> names;
  auto add = [](const char* full, void* payload) {
    std::string_view name(full);
    for (std::string_view prefix : {"refs/heads/", "refs/remotes/", "refs/tags/"}) {
      if (name.substr(0, prefix.size()) == prefix) {
        static_cast<std::vector<std::string>*>(payload)->emplace_back(name.substr(prefix.size()));
        break;
      }
    }
    return 0;
  };
  git_reference_foreach_name(repo_.get(), add, &names);
  std::string hint;
  if (std::string guess = SuggestName(rev, names); !guess.empty()) {
    hint = fmt::format("did you mean '{}'? ", guess);
  }
  // `origin/main` is fetched as `git fetch origin main` (and `up/x` as `git fetch up x` when
  // `up` is a remote); anything else from origin.
  std::string remote = "origin", what = rev;
  if (rev.rfind("origin/", 0) == 0) what = rev.substr(std::strlen("origin/"));
  git_strarray remotes{};
  if (git_remote_list(&remotes, repo_.get()) == 0) {
    for (std::size_t i = 0; i < remotes.count; ++i) {
      const std::string name = remotes.strings[i];
      if (rev.size() > name.size() + 1 && rev.compare(0, name.size() + 1, name + "/") == 0) {
        remote = name;
        what = rev.substr(name.size() + 1);
      }
    }
    git_strarray_dispose(&remotes);
  }
  return hint + fmt::format("check the name, or fetch it ('git fetch {} {}')", remote, what);
}

Expected<git_oid> Repository::ResolveCommit(const std::string& rev) const {
  git_object* raw = nullptr;
  if (git_revparse_single(&raw, repo_.get(), rev.c_str()) != 0) {
    return MakeError(fmt::format("unknown revision '{}': {}", rev, UnknownRevisionHint(rev)),
                     kExitGit);
  }
  ObjectPtr obj(raw);
  git_object* peeled = nullptr;
  if (git_object_peel(&peeled, obj.get(), GIT_OBJECT_COMMIT) != 0) {
    return GitError(fmt::format("revision '{}' does not name a commit", rev));
  }
  ObjectPtr commit(peeled);
  return *git_object_id(commit.get());
}

namespace {

void AddOnce(std::string path, std::vector<std::string>* files) {
  if (std::find(files->begin(), files->end(), path) == files->end()) {
    files->push_back(std::move(path));
  }
}

/// Adds the file of the ref named `name` (under `gitdir`), or the nearest existing directory
/// on its path when it has none.
void AddRefFile(const std::string& gitdir, std::string name, std::vector<std::string>* files) {
  struct stat st;
  while (!name.empty() && stat((gitdir + name).c_str(), &st) != 0) {
    const std::size_t slash = name.rfind('/');
    name.resize(slash == std::string::npos ? 0 : slash);
  }
  if (!name.empty()) AddOnce(gitdir + name, files);
}

}  // namespace

void Repository::AddRevisionFiles(const std::string& rev, std::vector<std::string>* files) const {
  const std::string gitdir = this->gitdir();
  struct stat st;
  for (const char* f : {"HEAD", "packed-refs", "refs/heads", "refs/tags"}) {
    if (stat((gitdir + f).c_str(), &st) == 0) AddOnce(gitdir + f, files);
  }
  git_reference* raw = nullptr;
  if (git_reference_lookup(&raw, repo_.get(), "HEAD") == 0) {
    ReferencePtr head(raw);
    if (git_reference_type(head.get()) == GIT_REFERENCE_SYMBOLIC) {
      AddRefFile(gitdir, git_reference_symbolic_target(head.get()), files);
    }
  }
  // The ref that `rev` starts from, if any: git_revparse_ext names it for "origin/main~2".
  git_object* object = nullptr;
  git_reference* ref = nullptr;
  if (git_revparse_ext(&object, &ref, repo_.get(), rev.c_str()) == 0) {
    ObjectPtr owned_object(object);
    ReferencePtr owned_ref(ref);
    if (ref) AddRefFile(gitdir, git_reference_name(ref), files);
  }
}

Expected<git_oid> Repository::CommitTree(const git_oid& commit) const {
  git_commit* raw = nullptr;
  if (git_commit_lookup(&raw, repo_.get(), &commit) != 0) {
    return GitError(fmt::format("commit {} is missing from the repository", OidToString(commit)));
  }
  CommitPtr c(raw);
  return *git_commit_tree_id(c.get());
}

Expected<git_oid> Repository::MergeBase(const git_oid& a, const git_oid& b) const {
  git_oid out;
  int rc = git_merge_base(&out, repo_.get(), &a, &b);
  if (rc == 0) return out;
  if (rc == GIT_ENOTFOUND) {
    std::string why = IsShallow() ? "the clone is shallow; run 'git fetch --deepen=100' (or "
                                    "'git fetch --unshallow') or pass --on-missing-base=all"
                                  : "the histories are unrelated; pass --direct to compare the "
                                    "two commits as they are";
    return MakeError(fmt::format("no merge base of {} and {}: {}", OidToString(a).substr(0, 12),
                                 OidToString(b).substr(0, 12), why),
                     kExitGit);
  }
  return GitError(
      fmt::format("cannot compute the merge base of {} and {}", OidToString(a), OidToString(b)));
}

Expected<std::optional<std::string>> Repository::ReadFileAt(const git_oid& tree_id,
                                                            const std::string& path) const {
  git_tree* raw_tree = nullptr;
  if (git_tree_lookup(&raw_tree, repo_.get(), &tree_id) != 0) {
    return GitError(fmt::format("tree {} is missing", OidToString(tree_id)));
  }
  TreePtr tree(raw_tree);
  git_tree_entry* raw_entry = nullptr;
  int rc = git_tree_entry_bypath(&raw_entry, tree.get(), path.c_str());
  if (rc == GIT_ENOTFOUND) return std::optional<std::string>();
  if (rc != 0) return GitError(fmt::format("cannot look up '{}'", path));
  TreeEntryPtr entry(raw_entry);
  if (git_tree_entry_type(entry.get()) != GIT_OBJECT_BLOB) return std::optional<std::string>();
  git_blob* raw_blob = nullptr;
  if (git_blob_lookup(&raw_blob, repo_.get(), git_tree_entry_id(entry.get())) != 0) {
    return GitError(fmt::format("blob {} of '{}' is missing (a partial or shallow clone?)",
                                OidToString(*git_tree_entry_id(entry.get())), path));
  }
  BlobPtr blob(raw_blob);
  const char* data = static_cast<const char*>(git_blob_rawcontent(blob.get()));
  return std::optional<std::string>(std::string(data, git_blob_rawsize(blob.get())));
}

namespace {

/// Which subtrees a multi-prefix walk visits. Holds views into the prefixes it was made from.
class PrefixSet {
 public:
  explicit PrefixSet(const std::vector<std::string>& prefixes) {
    roots_.reserve(prefixes.size());
    for (const std::string& p : prefixes) {
      if (p.empty()) everything_ = true;
      roots_.insert(p);
      for (size_t slash = p.find('/'); slash != std::string::npos; slash = p.find('/', slash + 1)) {
        ancestors_.insert(std::string_view(p).substr(0, slash));
      }
    }
  }
  bool everything() const { return everything_; }
  /// `path` is a prefix or lies under one.
  bool Covers(std::string_view path) const {
    for (;;) {
      if (roots_.count(path)) return true;
      size_t slash = path.rfind('/');
      if (slash == std::string_view::npos) return false;
      path = path.substr(0, slash);
    }
  }
  /// Some prefix lies under the directory `path`.
  bool Leads(std::string_view path) const { return ancestors_.count(path) > 0; }

 private:
  bool everything_ = false;
  std::unordered_set<std::string_view> roots_;
  std::unordered_set<std::string_view> ancestors_;
};

/// Walks `tree`, descending into subtrees that `prefixes` reaches; nullptr means everything.
Status WalkPruned(git_repository* repo, const git_tree* tree, std::string& path,
                  const PrefixSet* prefixes, const std::function<void(const TreeFile&)>& fn) {
  const size_t n = git_tree_entrycount(tree);
  for (size_t i = 0; i < n; ++i) {
    const git_tree_entry* e = git_tree_entry_byindex(tree, i);
    const size_t old = path.size();
    if (!path.empty()) path += '/';
    path += git_tree_entry_name(e);
    const git_filemode_t mode = git_tree_entry_filemode(e);
    const bool covered = !prefixes || prefixes->Covers(path);
    if (mode == GIT_FILEMODE_TREE && (covered || prefixes->Leads(path))) {
      git_tree* raw = nullptr;
      if (git_tree_lookup(&raw, repo, git_tree_entry_id(e)) != 0) {
        return GitError(
            fmt::format("tree {} at '{}' is missing", OidToString(*git_tree_entry_id(e)), path));
      }
      TreePtr sub(raw);
      FANOUT_TRY(WalkPruned(repo, sub.get(), path, covered ? nullptr : prefixes, fn));
    } else if (mode != GIT_FILEMODE_TREE && covered) {
      fn(TreeFile{path, mode, *git_tree_entry_id(e)});
    }
    path.resize(old);
  }
  return {};
}

}  // namespace

Status Repository::WalkTree(const git_oid& tree_id, const std::string& prefix,
                            const std::function<void(const TreeFile&)>& fn) const {
  git_tree* raw = nullptr;
  if (git_tree_lookup(&raw, repo_.get(), &tree_id) != 0) {
    return GitError(fmt::format("tree {} is missing", OidToString(tree_id)));
  }
  TreePtr root(raw);
  std::string path;
  if (prefix.empty()) return WalkPruned(repo_.get(), root.get(), path, nullptr, fn);

  git_tree_entry* raw_entry = nullptr;
  int rc = git_tree_entry_bypath(&raw_entry, root.get(), prefix.c_str());
  if (rc == GIT_ENOTFOUND) return {};
  if (rc != 0) return GitError(fmt::format("cannot look up '{}'", prefix));
  TreeEntryPtr entry(raw_entry);
  path = prefix;
  if (git_tree_entry_filemode(entry.get()) != GIT_FILEMODE_TREE) {
    fn(TreeFile{path, git_tree_entry_filemode(entry.get()), *git_tree_entry_id(entry.get())});
    return {};
  }
  git_tree* raw_sub = nullptr;
  if (git_tree_lookup(&raw_sub, repo_.get(), git_tree_entry_id(entry.get())) != 0) {
    return GitError(fmt::format("tree at '{}' is missing", prefix));
  }
  TreePtr sub(raw_sub);
  return WalkPruned(repo_.get(), sub.get(), path, nullptr, fn);
}

Status Repository::WalkTreeUnder(const git_oid& tree_id, const std::vector<std::string>& prefixes,
                                 const std::function<void(const TreeFile&)>& fn) const {
  PrefixSet set(prefixes);
  if (set.everything()) return WalkTree(tree_id, "", fn);
  git_tree* raw = nullptr;
  if (git_tree_lookup(&raw, repo_.get(), &tree_id) != 0) {
    return GitError(fmt::format("tree {} is missing", OidToString(tree_id)));
  }
  TreePtr root(raw);
  std::string path;
  return WalkPruned(repo_.get(), root.get(), path, &set, fn);
}

namespace {

/// Sets each submodule's entry (gitlink) of `index` to the commit checked out in its directory
/// under `workdir`, as `git add` would record it, and adds to `dirty` the path of each one whose
/// own work tree has changes no commit holds. The status walk leaves submodules out: fanout
/// reads no file of theirs, only their commit. One that is not checked out keeps its entry.
Status SnapshotSubmodules(const std::string& workdir, git_index* index,
                          std::vector<std::string>* dirty) {
  std::vector<git_index_entry> moved;
  std::vector<std::string> moved_paths;
  for (size_t i = 0, n = git_index_entrycount(index); i < n; ++i) {
    const git_index_entry* e = git_index_get_byindex(index, i);
    if (!e || e->mode != GIT_FILEMODE_COMMIT || git_index_entry_stage(e) != 0) continue;
    git_repository* raw = nullptr;
    if (git_repository_open(&raw, (workdir + e->path).c_str()) != 0) continue;
    RepositoryPtr sub(raw);
    git_oid head;
    if (git_reference_name_to_id(&head, sub.get(), "HEAD") == 0 && !git_oid_equal(&head, &e->id)) {
      moved_paths.push_back(e->path);
      moved.push_back(*e);
      moved.back().id = head;
    }
    git_status_options opts;
    git_status_options_init(&opts, GIT_STATUS_OPTIONS_VERSION);
    opts.flags = GIT_STATUS_OPT_EXCLUDE_SUBMODULES;  // untracked files are not a commit's either
    git_status_list* raw_status = nullptr;
    if (git_status_list_new(&raw_status, sub.get(), &opts) == 0) {
      StatusListPtr status(raw_status);
      if (git_status_list_entrycount(status.get()) > 0) dirty->push_back(e->path);
    }
  }
  for (size_t i = 0; i < moved.size(); ++i) {
    moved[i].path = moved_paths[i].c_str();
    if (git_index_add(index, &moved[i]) != 0) {
      return GitError(fmt::format("cannot snapshot the submodule '{}'", moved_paths[i]));
    }
  }
  return {};
}

}  // namespace

Expected<WorktreeSnapshot> SnapshotWorktree(const Repository& repo,
                                            const std::vector<std::string>& exclude_dirs) {
  git_repository* r = repo.get();
  if (repo.is_bare()) {
    return MakeError(
        "--source worktree needs a work tree, but the repository is bare; pass "
        "--source REV",
        kExitUsage);
  }
  // An in-memory ignore rule keeps the build directory out of the status walk entirely
  // (it can hold thousands of workspaces); nothing is written to .gitignore.
  for (const std::string& dir : exclude_dirs) {
    std::string rule = "/" + dir + "/";
    if (git_ignore_add_rule(r, rule.c_str()) != 0) return GitError("cannot exclude " + dir);
  }

  // A private copy of the index: changes are applied in memory and never written back.
  git_index* raw_index = nullptr;
  std::string index_path = repo.gitdir() + "index";
  if (git_index_open(&raw_index, index_path.c_str()) != 0) {
    return GitError("cannot read the index " + index_path);
  }
  IndexPtr index(raw_index);

  git_status_options opts;
  git_status_options_init(&opts, GIT_STATUS_OPTIONS_VERSION);
  opts.show = GIT_STATUS_SHOW_WORKDIR_ONLY;
  opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS |
               GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
  git_status_list* raw_status = nullptr;
  if (git_status_list_new(&raw_status, r, &opts) != 0) {
    return GitError("cannot read the work tree status");
  }
  StatusListPtr status(raw_status);

  WorktreeSnapshot snap{};
  const std::string workdir = repo.workdir();
  const size_t n = git_status_list_entrycount(status.get());
  for (size_t i = 0; i < n; ++i) {
    const git_status_entry* e = git_status_byindex(status.get(), i);
    if (!e->index_to_workdir) continue;
    const char* path = e->index_to_workdir->new_file.path;
    bool excluded = false;
    for (const std::string& dir : exclude_dirs) {
      if (std::strncmp(path, dir.c_str(), dir.size()) == 0 && path[dir.size()] == '/') {
        excluded = true;
      }
    }
    if (excluded) continue;
    if (e->status & GIT_STATUS_WT_DELETED) {
      git_index_remove(index.get(), path, 0);
      continue;
    }
    if (!(e->status & (GIT_STATUS_WT_NEW | GIT_STATUS_WT_MODIFIED | GIT_STATUS_WT_TYPECHANGE))) {
      continue;
    }
    struct stat st;
    std::string full = workdir + path;
    if (lstat(full.c_str(), &st) != 0) continue;  // vanished while we looked
    if (S_ISDIR(st.st_mode)) continue;            // an untracked nested repository
    git_index_entry entry{};
    entry.path = path;
    entry.mode = S_ISLNK(st.st_mode)      ? GIT_FILEMODE_LINK
                 : (st.st_mode & S_IXUSR) ? GIT_FILEMODE_BLOB_EXECUTABLE
                                          : GIT_FILEMODE_BLOB;
    entry.file_size = static_cast<uint32_t>(st.st_size);
    if (git_blob_create_from_workdir(&entry.id, r, path) != 0) {
      return GitError(fmt::format("cannot snapshot '{}'", path));
    }
    if (git_index_add(index.get(), &entry) != 0) {
      return GitError(fmt::format("cannot snapshot '{}'", path));
    }
    if (e->status & GIT_STATUS_WT_NEW) snap.untracked_files.push_back(path);
  }
  FANOUT_TRY(SnapshotSubmodules(workdir, index.get(), &snap.dirty_submodules));
  if (git_index_write_tree_to(&snap.tree, index.get(), r) != 0) {
    return GitError("cannot write the work tree snapshot (unresolved merge conflicts?)");
  }
  git_oid head;
  if (git_reference_name_to_id(&head, r, "HEAD") == 0) snap.head = head;
  return snap;
}

}  // namespace fanout
