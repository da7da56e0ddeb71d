// A target's private workspace under BUILD/.fanout/ws/<t>: the checkout the command runs in,
// made from a cached base either as an overlay (upper and work layers here, mounted by the
// namespaces sandbox) or as a private copy that each attempt resets in place, rewriting only
// what the last run changed.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/expected.h"
#include "sandbox/base_cache.h"
#include "sandbox/owner.h"

namespace fanout::sandbox {

/// The directories of one target's workspace; all absolute.
struct WorkspacePaths {
  std::string root;   ///< BUILD/.fanout/ws/<t>
  std::string src;    ///< the checkout: the command's working directory
  std::string home;   ///< $HOME
  std::string tmp;    ///< $TMPDIR
  std::string deps;   ///< $FANOUT_DEPS: <dep> -> BUILD/targets/<dep>/out
  std::string upper;  ///< overlay upper layer (the command's writes)
  std::string work;   ///< overlay work directory
  std::string state;  ///< fingerprints of the private copy (copy mode)

  /// The paths for `target` in the absolute build directory `build_dir`.
  static WorkspacePaths For(const std::string& build_dir, const std::string& target);
};

/// How the checkout is presented to the command.
enum class WorkspaceMode {
  kOverlay,  ///< base as the lower layer of an overlay mounted at `src` (namespaces tier)
  kCopy,     ///< a private copy of the base in `src`, reset in place between runs
};

/// What a Prepare did, for benchmarks and tests.
struct PrepareStats {
  std::size_t files_written = 0;  ///< files copied from the base (0 on a warm reset)
  std::size_t files_removed = 0;  ///< stray or changed entries removed
};

/// Makes the workspace fresh for one attempt: home, tmp and deps empty; in overlay mode empty
/// layers and an empty mount point; in copy mode `src` equal to the base, rewriting only
/// entries whose content, mode or identity changed since the last prepare.
Expected<PrepareStats> PrepareWorkspace(const WorkspacePaths& ws, const BaseLease& base,
                                        WorkspaceMode mode, const Owner& owner = {});

/// Points $FANOUT_DEPS/<dep> at each dependency's collected artifacts (absolute paths).
Status LinkDeps(const WorkspacePaths& ws, const std::map<std::string, std::string>& dep_out_dirs);

/// The repository's directories a sandbox hides: `repo_root` (the work tree, or the git
/// directory of a bare repository) and, when the work tree's `.git` is a file (a linked
/// worktree, a submodule, `git init --separate-git-dir`), the git directory it names and that
/// directory's common directory (`commondir`). Symlinks are resolved; paths that do not exist
/// are left out. A `.git` directory lies in the work tree already.
std::vector<std::string> RepositoryDirs(const std::string& repo_root);

/// What the command changed in its checkout.
struct WorkspaceChanges {
  std::vector<std::string> written;  ///< created or modified files (relative to src), sorted
  std::vector<std::string> deleted;  ///< input files it removed, sorted
};

/// Compares the checkout after a run with the base: in overlay mode by reading the upper
/// layer, in copy mode against the fingerprints recorded by PrepareWorkspace.
Expected<WorkspaceChanges> ScanChanges(const WorkspacePaths& ws, const BaseLease& base,
                                       WorkspaceMode mode);

}  // namespace fanout::sandbox
