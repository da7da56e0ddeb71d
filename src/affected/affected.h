// Change detection: which targets a git change affects, and why. The change is a tree-to-tree
// diff over libgit2's tree objects (no rename detection; changed_paths.h) between the base side
// and the head (a commit, or a snapshot of the work tree); each changed path is matched against
// every target's inputs and the global inputs; a changed description affects the targets whose
// resolved definition changed; dependents of an affected target are affected too.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/expected.h"
#include "description/description.h"
#include "git/changed_paths.h"
#include "git/git.h"
#include "git/source.h"

namespace fanout {

/// What to compare.
struct AffectedOptions {
  /// The base revision (sha, branch, tag, `HEAD~3`). All zeros (a new branch push) means
  /// every target is affected.
  std::string base;
  /// The head: a revision, or "worktree" for the work tree as it is (tracked files, staged or
  /// not, plus untracked non-ignored files).
  std::string head = "HEAD";
  /// false: compare merge-base(base, head) with head (three-dot, as pull requests do);
  /// true: compare base with head (two-dot, as pushes do).
  bool direct = false;
  /// When the base cannot be used (unknown revision, no merge base in a shallow clone,
  /// missing objects): false fails with an exit-3 error saying what to fetch; true answers
  /// "every target is affected" with `all_reason` set.
  bool on_missing_base_all = false;
  /// Path of the description file relative to the repository root ("fanout.yaml",
  /// "ci/fanout.yaml"); empty when it is not in the repository. When that path changed, the
  /// description at the compared commit is loaded and diffed against the head description.
  std::string description_relpath;
  /// Directories relative to the work tree root left out of a worktree snapshot (the build
  /// directory).
  std::vector<std::string> exclude_dirs;
  /// The head as the caller already resolved it (git/source.h's ResolveSource, from `head`);
  /// when absent, it is resolved here.
  std::optional<SourceState> head_state;
};

/// Why a target is affected.
struct AffectReason {
  /// "input": `path` matched the target's include `pattern`;
  /// "global": `path` matched the global input `pattern`;
  /// "dep": the dependency `target` is affected;
  /// "description": the target's resolved definition changed (or the description changed in
  ///   a way that affects every target: see AffectedResult::all_reason);
  /// "all": no diff was possible (all-zero base, missing base); see all_reason.
  std::string kind;
  std::string path;     ///< input, global
  std::string pattern;  ///< input, global
  std::string target;   ///< dep
  char change = 0;      ///< input, global: the ChangedPath status letter
  /// input: where a derived `pattern` comes from ("inputs_from: app/Dockerfile:4 COPY"), empty
  /// for one written in the description.
  std::string rule;
};

/// One affected target.
struct AffectedTarget {
  std::string name;
  /// 0 when none of its dependencies is affected, else 1 + the highest tier among its
  /// affected dependencies.
  int tier = 0;
  std::vector<AffectReason> reasons;  ///< inputs (by path), globals, deps, description
};

/// The answer.
struct AffectedResult {
  std::string base;       ///< the base commit's sha, or the revision as given if it did not resolve
  std::string head;       ///< the head commit's sha, or "worktree"
  std::string head_tree;  ///< the tree the head resolved to (the work tree's snapshot)
  /// The commit the diff starts from (the merge base, or the base with --direct); empty when
  /// no diff was made (everything affected without one).
  std::string compared;
  bool all = false;  ///< every target is affected for one reason, `all_reason`
  std::optional<std::string> all_reason;
  /// `all` because the base could not be used and on_missing_base_all was set (callers warn).
  bool missing_base = false;
  /// Affected targets, sorted by name.
  std::vector<AffectedTarget> affected;
  /// Names of the other targets, sorted.
  std::vector<std::string> unaffected;
  /// Affected target names by tier: tiers[k] holds the tier-k targets, sorted by name.
  std::vector<std::vector<std::string>> tiers;
  /// Every path that differs between `compared` and the head, sorted.
  std::vector<ChangedPath> changed_paths;

  /// The affected target named `name`, or nullptr.
  const AffectedTarget* Find(const std::string& name) const;
};

/// Computes which targets of `head_desc` (the description as it is at
/// the head) a change affects: those whose inputs match a changed path (a `checkout: full` target's
/// input is the whole tree, reason pattern "**"), every target when a global input changed, those
/// whose definition changed, and dependents of all of these. Git errors are exit-3 Errors whose
/// message names the revision and what to run.
Expected<AffectedResult> ComputeAffected(const Repository& repo, const Description& head_desc,
                                         const AffectedOptions& opts);

/// Which targets of `head` differ in definition from `base` (both descriptions of the same
/// repository at two commits). Returns a reason when the change affects every target (pools,
/// global inputs or the version changed), and otherwise fills `*changed` with the names of
/// the targets that are new or whose resolved definition differs, sorted.
std::optional<std::string> DiffDescriptions(const Description& base, const Description& head,
                                            std::vector<std::string>* changed);

/// `names` plus, transitively, every dependency of them in `desc`: what must be built so that
/// `names` can be (their dependencies' artifacts are inputs). Sorted, unique.
std::vector<std::string> WithDependencies(const Description& desc,
                                          const std::vector<std::string>& names);

}  // namespace fanout
