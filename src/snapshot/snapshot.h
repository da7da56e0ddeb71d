// The snapshot step: resolves the plan's source (the work tree or a revision) to a git tree,
// computes every target's input digest in one pass, and rewrites only the stamps that changed.
// Ninja's snapshot edge (restat = 1) runs it; its depfile lists what it read, so a true no-op
// build never runs it.
#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "base/expected.h"
#include "base/glob.h"
#include "git/git.h"
#include "git/source.h"
#include "plan/plan.h"

namespace fanout {

/// One target's input digest: the hex SHA-256 of its definition digest and every matched
/// file's path, mode and blob id (with `checkout: full`, of the whole tree id).
struct TargetDigest {
  std::string name;
  std::string digest;
  std::string definition;  ///< the definition digest it was computed with
  bool operator<(const TargetDigest& o) const { return name < o.name; }
};

/// BUILD/.fanout/stamps.index as the last snapshot left it: the tree it resolved, the digest
/// of the plan it was taken for, and each target's input and definition digests ("#tree OID
/// VERSION", "#plan SHA256", "#repo ROOT", "#source REV", then "NAME DIGEST DEFINITION"
/// lines).
/// Since an input digest is a function of the tree and the definition digest alone, a
/// snapshot of the same tree reuses the digest of every target whose definition is unchanged;
/// with the same plan too, it reuses the whole index without reading the plan's targets.
class StampIndex {
 public:
  struct Entry {
    std::string_view name, digest, definition;
  };
  explicit StampIndex(std::string text);
  /// BUILD/.fanout/stamps.index; empty when missing or unreadable.
  static StampIndex Read(const std::string& build_dir);
  /// The tree the digests were computed from; empty when not recorded.
  std::string_view tree() const { return tree_; }
  /// PlanDigest() of the plan.json the digests were computed for; empty when not recorded.
  std::string_view plan() const { return plan_; }
  /// That plan's repository root and source; empty when not recorded.
  std::string_view repo() const { return repo_; }
  std::string_view source() const { return source_; }
  const Entry* Find(std::string_view name) const;
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::string text_;
  std::string_view tree_;
  std::string_view plan_;
  std::string_view repo_;
  std::string_view source_;
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

/// Every target's input filter (its inputs and the global inputs), compiled once, and the
/// subtrees those inputs lie in.
struct CompiledInputs {
  struct Entry {
    std::string name;
    PathFilter filter;
  };
  std::vector<Entry> targets;         ///< sorted by name
  std::vector<std::string> prefixes;  ///< sorted, unique: each include's Glob::walk_root()
                                      ///< ("" is the whole tree), "" for a full checkout
  /// The filter of the target `name`, or nullptr.
  const PathFilter* Find(std::string_view name) const;
};

/// Compiles the inputs of `targets` (a target whose patterns do not compile, which validation
/// reports, has no filter and makes the prefixes the whole tree).
CompiledInputs CompileInputs(const std::vector<Target>& targets,
                             const std::vector<std::string>& global_inputs);

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
};

/// Resolves the plan's source in `repo` and computes every target's input digest.
Expected<SnapshotResult> ComputeSnapshot(const Repository& repo, const Plan& plan,
                                         const SnapshotOptions& options = {});

/// Every file of `tree` at or under one of `prefixes`, sorted by path.
Expected<std::vector<TreeFile>> ListTreeUnder(const Repository& repo, const git_oid& tree,
                                              const std::vector<std::string>& prefixes);

/// The digest of plan.json's text that stamps.index records.
std::string PlanDigest(std::string_view plan_text);

/// Writes .fanout/source.json, each .fanout/stamps/<t>.stamp whose digest changed (or that is
/// missing), and stamps.index (for `plan`, whose plan.json text has PlanDigest()
/// `plan_digest`). `previous` is the index as read before `snap` was computed.
Status WriteSnapshot(const std::string& build_dir, const Plan& plan, const StampIndex& previous,
                     const SnapshotResult& snap, std::string_view plan_digest);

/// A revision source's snapshot, taken by `fanout gen` on a thread of its own (with its own
/// repository handle) while gen goes on: the thread lists the tree under every target's input
/// prefixes at once, and computes the digests once it is given the plan. A revision's tree
/// cannot change before the build runs, so what it writes stays true; the snapshot edge then
/// finds stamps.index made for that plan and tree and takes it as it is.
class BackgroundSnapshot {
 public:
  /// Starts on `revision` (resolved in the repository at `repo_root`) for the build directory
  /// `build_dir`. The tree is listed under the prefixes of `inputs` (CompileInputs of every
  /// target that may be planned) unless stamps.index was made from that same tree: then most
  /// digests are reused, and only the targets whose definitions changed are listed, once the
  /// plan is known.
  BackgroundSnapshot(std::string repo_root, std::string build_dir, SourceState revision,
                     CompiledInputs inputs);
  /// Never leaves the thread running: one still waiting for the plan or its digest stops
  /// without writing; one already computing or writing finishes first.
  ~BackgroundSnapshot();
  BackgroundSnapshot(const BackgroundSnapshot&) = delete;
  BackgroundSnapshot& operator=(const BackgroundSnapshot&) = delete;

  /// Hands over the plan, for the digests; it must stay unchanged until Finish returns.
  void SetPlan(const Plan* plan);
  /// Hands over PlanDigest() of the plan's plan.json text, for stamps.index; the thread then
  /// writes the stamps and the index.
  void SetPlanDigest(std::string plan_digest);
  /// Waits for the thread; what it computed and wrote, or why not.
  Status Finish();

 private:
  void Run();
  void Prepare();  // opens the repository, reads the index, lists the tree
  void Compute();  // the digests, from the plan
  void Write();    // source.json, the stamps, the index
  /// Waits until `ready` (under mu_) or the snapshot is abandoned; false when abandoned.
  template <class Pred>
  bool WaitFor(Pred ready);

  const std::string repo_root_;
  const std::string build_dir_;
  const SourceState revision_;
  const CompiledInputs inputs_;
  std::optional<Expected<Repository>> repo_;
  std::optional<StampIndex> previous_;
  std::optional<Expected<std::vector<TreeFile>>> listed_;
  std::optional<Expected<SnapshotResult>> result_;

  std::mutex mu_;
  std::condition_variable cv_;
  const Plan* plan_ = nullptr;              // guarded by mu_
  std::optional<std::string> plan_digest_;  // guarded by mu_
  bool abandoned_ = false;                  // guarded by mu_
  Status written_;
  std::thread thread_;
};

/// Runs the snapshot step for the build directory: reads the plan, computes, writes
/// .fanout/source.json and each .fanout/stamps/<t>.stamp only when changed, then the depfile
/// and .fanout/snapshot.stamp. When stamps.index was written for this plan and the source
/// still resolves to its tree (as after `fanout gen --source REV`), the index is taken as it
/// is.
Status RunSnapshot(const std::string& build_dir);

}  // namespace fanout
