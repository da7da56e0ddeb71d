// The snapshot step: resolves the plan's source (the work tree or a revision) to a git tree,
// computes every target's input digest in one pass, and rewrites only the stamps that changed.
// Ninja's snapshot edge (restat = 1) runs it; its depfile lists what it read, so a true no-op
// build never runs it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/expected.h"
#include "base/glob.h"
#include "git/git.h"
#include "git/source.h"
#include "plan/plan.h"
#include "snapshot/inputs.h"
#include "snapshot/stamp_index.h"

namespace fanout {

/// The result of a snapshot computation.
struct SnapshotResult {
  SourceState state;
  /// Every planned target's input digest, sorted by name.
  std::vector<TargetDigest> digests;
  /// Absolute paths whose change may change the result (matched files, their directories,
  /// the index, HEAD and refs), for the snapshot edge's depfile.
  std::vector<std::string> files_read;
};

/// What ComputeSnapshot may start from.
struct SnapshotOptions {
  /// The index as the last snapshot left it: a revision source that resolves to the tree it
  /// was computed from reuses the digests of targets whose definition digest is unchanged (a
  /// work tree source computes every digest: its depfile needs every matched file).
  const StampIndex* previous = nullptr;
  /// The source, already resolved to it (no second snapshot of the work tree).
  const SourceState* resolved = nullptr;
  /// The planned targets' filters, compiled from the same description (others are compiled).
  const CompiledInputs* compiled = nullptr;
  /// The resolved tree, already listed (ListTreeUnder) under at least the prefixes of every
  /// planned target: no tree is walked.
  const std::vector<TreeFile>* listed = nullptr;
  /// For a work-tree source: compare what the planned targets read with HEAD and mark the
  /// result's state dirty (SourceState::dirty) with the paths that differ. Off where the state
  /// is not kept (the watch list of `gen --base`).
  bool find_changes = true;
};

/// Resolves the plan's source in `repo` and computes every target's input digest. For a
/// work-tree source the state says whether the build is of uncommitted changes: dirty when a
/// path that some planned target reads (any path, when one checks out the whole tree), or the
/// description itself, differs between HEAD's tree and the snapshot (added, modified, deleted,
/// untracked), or when there is no HEAD.
Expected<SnapshotResult> ComputeSnapshot(const Repository& repo, const Plan& plan,
                                         const SnapshotOptions& options = {});

/// Adds what resolving `source` reads to `files`, for the snapshot step's depfile: the refs
/// its revision (HEAD for a work tree) depends on, and the index.
void AddSourceFilesRead(const Repository& repo, const std::string& source,
                        std::vector<std::string>* files);

}  // namespace fanout
