// The snapshot step: resolves the plan's source (the work tree or a revision) to a git tree,
// computes every target's input digest in one pass, and rewrites only the stamps that changed.
// Ninja's snapshot edge (restat = 1) runs it; its depfile lists what it read, so a true no-op
// build never runs it.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "src/expected.h"
#include "src/git.h"
#include "src/plan.h"

namespace fanout {

/// What the source resolved to; stored as BUILD/.fanout/source.json.
struct SourceState {
  std::string source;                 ///< "worktree" or the revision as given
  std::optional<std::string> commit;  ///< HEAD (worktree) or the revision's commit
  std::string tree;                   ///< the tree every workspace is checked out from
};

/// The result of a snapshot computation.
struct SnapshotResult {
  SourceState state;
  /// (target name, input digest), sorted by name: the hex SHA-256 of the definition digest
  /// and every matched file's path, mode and blob id (with `checkout: full`, of the whole tree
  /// id).
  std::vector<std::pair<std::string, std::string>> digests;
  /// Absolute paths whose change may change the result (matched files, their directories,
  /// the index, HEAD and refs), for the snapshot edge's depfile.
  std::vector<std::string> files_read;
};

/// Resolves the plan's source in `repo` and computes every target's input digest.
Expected<SnapshotResult> ComputeSnapshot(const Repository& repo, const Plan& plan);

/// Resolves `plan.source` to a tree (snapshotting the work tree when it is "worktree"), never
/// including the build directory.
Expected<SourceState> ResolveSource(const Repository& repo, const Plan& plan);

/// Runs the snapshot step for the build directory: reads the plan, computes, writes
/// .fanout/source.json and each .fanout/stamps/<t>.stamp only when changed, then the depfile
/// and .fanout/snapshot.stamp.
Status RunSnapshot(const std::string& build_dir);

/// source.json text for `state`.
std::string SourceStateToJson(const SourceState& state);
/// Reads BUILD/.fanout/source.json.
Expected<SourceState> ReadSourceState(const std::string& build_dir);

}  // namespace fanout
