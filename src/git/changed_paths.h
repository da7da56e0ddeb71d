// The paths that differ between two git trees, as `git diff --name-only --no-renames` lists
// them: a rename is a delete of the old path and an add of the new one, a mode change (chmod
// +x), a symlink retarget, a file <-> symlink change and a submodule (gitlink) bump each count
// as a change to their path. The walk reads libgit2 tree objects and skips every subtree that
// is identical on both sides, so it costs what the change costs, not what the tree costs.
#pragma once

#include <git2.h>

#include <string>
#include <vector>

#include "base/expected.h"
#include "git/git.h"

namespace fanout {

/// One path that differs between two trees.
struct ChangedPath {
  std::string path;  ///< relative to the root, '/'-separated
  /// 'A' added, 'D' deleted, 'M' modified (content or mode), 'T' type changed (file <->
  /// symlink <-> gitlink).
  char status = 'M';
};

/// Every path (blob, symlink or gitlink) that differs between `old_tree` and `new_tree`, sorted
/// by path (bytes), each once. Missing trees are an exit-3 error.
Expected<std::vector<ChangedPath>> DiffTrees(const Repository& repo, const git_oid& old_tree,
                                             const git_oid& new_tree);

/// A one-word description of a status letter ("added", "deleted", "modified", "type changed").
const char* ChangeStatusName(char status);

}  // namespace fanout
