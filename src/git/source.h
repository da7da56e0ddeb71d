// What a build builds, or a change detection compares, resolved to a git tree: a revision (its
// commit's tree), or the work tree (a snapshot of it). ResolveSource is the one place a source
// becomes a tree; each command resolves its source once and hands the result on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "git/git.h"

namespace fanout {

/// What a source resolved to; the snapshot step stores it as BUILD/.fanout/source.json
/// (git/source_state.h reads and writes that file).
struct SourceState {
  std::string source;                 ///< "worktree" or the revision as given
  std::optional<std::string> commit;  ///< HEAD (worktree) or the revision's commit
  std::string tree;                   ///< the tree every workspace is checked out from
  /// Set by the snapshot step (snapshot/snapshot.h) for a work-tree source whose planned
  /// targets read something that differs from HEAD (or when there is no HEAD): the build is of
  /// uncommitted changes, and `commit` does not name what was built. False for a revision.
  bool dirty = false;
  /// With `dirty`: those paths, relative to the repository root, sorted (bytes), at most
  /// kMaxChangedPaths of them.
  std::vector<std::string> changed_paths{};
  /// How many more paths differ than `changed_paths` lists (0 when it lists them all).
  std::uint64_t changed_paths_omitted = 0;
  /// A work tree's submodules with changes no commit of theirs holds (not in source.json):
  /// the snapshot has the commit checked out in each, not those changes.
  std::vector<std::string> dirty_submodules{};

  /// Every changed path, listed or not.
  std::uint64_t ChangedPathCount() const { return changed_paths.size() + changed_paths_omitted; }
};

/// The most changed paths a SourceState lists (source.json is read by every edge).
inline constexpr std::size_t kMaxChangedPaths = 1000;

/// The build directory relative to the work tree, as a work-tree snapshot leaves it out; empty
/// when the repository is bare or the build directory is outside (or is) the work tree.
std::vector<std::string> BuildDirExclusion(const Repository& repo, const std::string& build_dir);

/// An exit-2 error when `repo` has no work tree; `option` names the flag that picks a revision
/// instead ("--source", "--head").
Status RequireWorkTree(const Repository& repo, std::string_view option);

/// Resolves `source`: "worktree" snapshots the work tree (tracked files as they are, staged or
/// not, plus untracked non-ignored ones, leaving out `exclude_dirs`); anything else is a
/// revision, resolved to its commit and that commit's tree. Errors name the revision (exit 3)
/// or, for a bare repository asked for its work tree, `option` (exit 2).
Expected<SourceState> ResolveSource(const Repository& repo, const std::string& source,
                                    std::string_view option,
                                    const std::vector<std::string>& exclude_dirs = {});

/// The tree of a resolved source (which ResolveSource wrote as hex).
git_oid SourceTree(const SourceState& state);

/// The warning for each of `state`'s dirty submodules, a line each; "" when there are none.
std::string DirtySubmoduleWarnings(const SourceState& state);

}  // namespace fanout
