// git access through libgit2: RAII owners for every handle, revision resolution, tree walks,
// and the work-tree snapshot. Errors carry git_error_last()'s text and exit code 3.
#pragma once

#include <git2.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"

namespace fanout {

/// Initializes libgit2 once per process (idempotent, thread-safe) and configures it with
/// ConfigureLibgit2 (git/libgit2_init.cc).
void EnsureLibgit2();
/// Sets every libgit2 global option fanout uses: strict hash verification and owner
/// validation on, the object cache and the extensions fanout accepts. EnsureLibgit2 calls it.
void ConfigureLibgit2();

template <class T, void (*Free)(T*)>
struct GitDeleter {
  void operator()(T* p) const {
    if (p) Free(p);
  }
};
/// An owning pointer to a libgit2 object, freed with its own free function.
template <class T, void (*Free)(T*)>
using GitPtr = std::unique_ptr<T, GitDeleter<T, Free>>;

using RepositoryPtr = GitPtr<git_repository, git_repository_free>;
using ObjectPtr = GitPtr<git_object, git_object_free>;
using CommitPtr = GitPtr<git_commit, git_commit_free>;
using TreePtr = GitPtr<git_tree, git_tree_free>;
using BlobPtr = GitPtr<git_blob, git_blob_free>;
using IndexPtr = GitPtr<git_index, git_index_free>;
using DiffPtr = GitPtr<git_diff, git_diff_free>;
using StatusListPtr = GitPtr<git_status_list, git_status_list_free>;
using TreeEntryPtr = GitPtr<git_tree_entry, git_tree_entry_free>;
using OdbPtr = GitPtr<git_odb, git_odb_free>;
using ReferencePtr = GitPtr<git_reference, git_reference_free>;

/// An Error whose message is "`what`: <libgit2's last error>" with exit code 3.
Error GitError(std::string_view what);

/// Hex form of an object id.
std::string OidToString(const git_oid& oid);
/// Parses a full 40-hex object id.
std::optional<git_oid> ParseOid(std::string_view hex);
/// Whether `hex` is all zeros (git's "no commit", as in a new branch push).
bool IsZeroOid(std::string_view hex);

/// One blob (or gitlink, or symlink) in a tree walk.
struct TreeFile {
  std::string path;  ///< relative to the root, '/'-separated
  git_filemode_t mode;
  git_oid oid;
};

/// Where the processes of one build find the repository: its path, and the build directory's
/// object store (layout::ObjectStorePath) holding the work-tree snapshot's objects; empty when
/// there is none (a revision source needs none).
struct RepoLocation {
  std::string path;
  std::string object_store;
};

/// An open repository. Not thread-safe: use one per thread.
class Repository {
 public:
  /// Opens the repository at or above `path` (a work tree, a .git dir, or a bare repo). Its
  /// objects are read-only to fanout (git/object_store.h): objects fanout writes (a work-tree
  /// snapshot's) go to `object_store`, a build directory's store (layout::kObjectStore) that
  /// later processes of the build open again, or to memory when it is empty.
  static Expected<Repository> Open(const std::string& path, const std::string& object_store = "");
  static Expected<Repository> Open(const RepoLocation& at) {
    return Open(at.path, at.object_store);
  }

  git_repository* get() const { return repo_.get(); }
  bool is_bare() const;
  /// Absolute work tree path with a trailing '/', or empty for a bare repository.
  std::string workdir() const;
  /// Absolute .git directory path with a trailing '/'.
  std::string gitdir() const;
  /// What a plan records as the repository root (Plan::repo_root): the work tree, or the git
  /// directory when bare; absolute, with no trailing '/'.
  std::string root() const;

  /// Resolves a revision (sha, branch, tag, `HEAD~2`) to a commit id. Unknown revisions are an
  /// exit-3 error naming `rev` and what to do.
  Expected<git_oid> ResolveCommit(const std::string& rev) const;
  /// What to do about a revision that does not resolve: a "did you mean" among the branch,
  /// remote-tracking branch and tag names, and the `git fetch` that would bring it
  /// (`origin/main` is `git fetch origin main`); deepening when the clone is shallow.
  std::string UnknownRevisionHint(const std::string& rev) const;
  /// The root tree of `commit`.
  Expected<git_oid> CommitTree(const git_oid& commit) const;
  /// merge-base(a, b); an error (exit 3) with a `git fetch --deepen` hint when there is none
  /// (shallow clone or unrelated histories).
  Expected<git_oid> MergeBase(const git_oid& a, const git_oid& b) const;
  /// Whether the repository is a shallow clone.
  bool IsShallow() const;

  /// Adds to `files` (for a depfile; each path once, only paths that exist) what a change to
  /// `rev`'s resolution touches: HEAD, packed-refs, refs/heads, refs/tags, the file of the
  /// branch HEAD names, and the file of the ref `rev` starts from (`origin/main`, `team/x~2`).
  /// A ref with no file of its own (packed, or not yet created) is watched through the
  /// nearest directory on its path that exists, where git would create it.
  void AddRevisionFiles(const std::string& rev, std::vector<std::string>* files) const;

  /// A remote of a partial clone: objects missing locally are fetched from it on demand.
  struct PromisorRemote {
    std::string name;
    std::string filter;  ///< remote.<name>.partialclonefilter ("blob:none"), or empty
  };
  /// The promisor remotes (`remote.<name>.promisor = true`, or the remote named by
  /// `extensions.partialClone`), sorted by name; empty unless the repository is a partial clone.
  Expected<std::vector<PromisorRemote>> PromisorRemotes() const;

  /// The first path (in index order) that git's index tracks at or under `dir` (relative to the
  /// work tree, '/'-separated, no trailing '/'; empty: the whole work tree), or nullopt when it
  /// tracks none there. A prefix search of the index: no status, no work-tree scan.
  Expected<std::optional<std::string>> FirstTrackedPathUnder(const std::string& dir) const;

  /// The contents of the blob at `path` in `tree`, or nullopt when there is no such file.
  Expected<std::optional<std::string>> ReadFileAt(const git_oid& tree,
                                                  const std::string& path) const;

  /// Calls `fn` for every blob, symlink and gitlink under `tree` (recursively), in git's tree
  /// order, limited to entries under `prefix` when not empty ("docker/base").
  Status WalkTree(const git_oid& tree, const std::string& prefix,
                  const std::function<void(const TreeFile&)>& fn) const;

  /// Calls `fn` once for every file at or under any of `prefixes` (an empty prefix means the
  /// whole tree), reading each tree object at most once and skipping subtrees no prefix
  /// reaches. Files come in git's tree order.
  Status WalkTreeUnder(const git_oid& tree, const std::vector<std::string>& prefixes,
                       const std::function<void(const TreeFile&)>& fn) const;

 private:
  explicit Repository(RepositoryPtr repo) : repo_(std::move(repo)) {}
  RepositoryPtr repo_;
};

/// A snapshot of the work tree as a git tree, made without touching the index or refs.
struct WorktreeSnapshot {
  git_oid tree;
  std::optional<git_oid> head;  ///< HEAD's commit, absent on an unborn branch
  /// Paths relative to the work tree root that the snapshot depends on beyond the index:
  /// the untracked files it added (their directories go into depfiles).
  std::vector<std::string> untracked_files;
  /// Submodules whose own work tree has changes no commit holds: their entry is the commit
  /// checked out, without those changes.
  std::vector<std::string> dirty_submodules;
};

/// Snapshots tracked files (as they are in the work tree, staged or not) plus untracked,
/// non-ignored files into a tree; a submodule as the commit checked out in it. Paths under
/// any of `exclude_dirs` (relative, no trailing '/') are never part of it (the build
/// directory). New blobs are written to the object
/// database; the index and refs are untouched.
Expected<WorktreeSnapshot> SnapshotWorktree(const Repository& repo,
                                            const std::vector<std::string>& exclude_dirs);

}  // namespace fanout
