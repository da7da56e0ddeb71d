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

/// One target's input digest: the hex SHA-256 of its definition digest and every matched
/// file's path, mode and blob id (with `checkout: full`, of the whole tree id).
struct TargetDigest {
  std::string name;
  std::string digest;
  std::string definition;  ///< the definition digest it was computed with
  bool operator<(const TargetDigest& o) const { return name < o.name; }
};

/// BUILD/.fanout/stamps.index as the last snapshot left it: the tree it resolved and each
/// target's input and definition digests ("#tree OID VERSION", then "NAME DIGEST DEFINITION"
/// lines).
/// Since an input digest is a function of the tree and the definition digest alone, a
/// snapshot of the same tree reuses the digest of every target whose definition is unchanged.
class StampIndex {
 public:
  struct Entry {
    std::string_view name, digest, definition;
  };
  explicit StampIndex(std::string text);
  /// The tree the digests were computed from; empty when not recorded.
  std::string_view tree() const { return tree_; }
  const Entry* Find(std::string_view name) const;

 private:
  std::string text_;
  std::string_view tree_;
  std::vector<Entry> entries_;  ///< sorted by name, views into text_
};

/// The result of a snapshot computation.
struct SnapshotResult {
  SourceState state;
  /// Every planned target's input digest, sorted by name.
  std::vector<TargetDigest> digests;
  /// Absolute paths whose change may change the result (matched files, their directories,
  /// the index, HEAD and refs), for the snapshot edge's depfile.
  std::vector<std::string> files_read;
};

/// Resolves the plan's source in `repo` and computes every target's input digest. With
/// `previous`, a revision source that resolves to the tree `previous` was computed from
/// reuses the digests of targets whose definition digest is unchanged (a work tree source
/// computes every digest: its depfile needs every matched file). With `resolved`, the source
/// is taken as already resolved to it (no second snapshot of the work tree).
Expected<SnapshotResult> ComputeSnapshot(const Repository& repo, const Plan& plan,
                                         const StampIndex* previous = nullptr,
                                         const SourceState* resolved = nullptr);

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
