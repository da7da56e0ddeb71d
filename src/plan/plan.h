// The plan: everything a build directory needs to run, resolved from the description and the
// command line, stored as BUILD/.fanout/plan.json. The generators write Ninja or Make from it;
// `fanout exec`, `snapshot` and `gather` read it back. It knows nothing of libgit2 or Ninja.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/expected.h"
#include "description/description.h"

namespace fanout {

/// One target as built: its definition plus what the planner derived.
struct PlanTarget {
  Target def;
  int tier = 0;  ///< 0: no dependencies; else 1 + max tier of its deps
  /// Digest of the resolved definition (command, env, inputs, artifacts, deps, limits ...),
  /// hex SHA-256; part of the input stamp, so changing the definition reruns only this target.
  std::string definition_digest;
};

/// A resolved build.
struct Plan {
  /// Absolute path of the repository's work tree (or git dir when bare), with no trailing '/'.
  std::string repo_root;
  /// Absolute path of the description file.
  std::string description_path;
  /// Absolute path of the build directory.
  std::string build_dir;
  /// Absolute path of the fanout binary that generated the plan (Ninja runs it).
  std::string fanout_binary;
  /// "worktree" or the revision the user passed with --source.
  std::string source = "worktree";
  /// The base revision for change detection, when --base was given.
  std::optional<std::string> base;
  bool direct = false;  ///< with base: two-dot instead of merge-base
  /// Arguments that make `fanout gen` reproduce this plan (for the regeneration edge).
  std::vector<std::string> gen_args;

  std::map<std::string, int> pools;
  std::vector<std::string> global_inputs;
  PostSubmit post_submit;
  SandboxRequirement sandbox = SandboxRequirement::kPreferred;
  /// Targets to build, sorted by name. With --base: only the affected ones. (A plan read for
  /// one target holds only that one; see ReadPlan.)
  std::vector<PlanTarget> targets;
  /// How many targets the plan builds (targets.size(), unless read for one target).
  std::size_t target_count = 0;
  /// Targets not built because the change does not affect them, sorted.
  std::vector<std::string> skipped;

  /// The planned target named `name`, or nullptr.
  const PlanTarget* FindTarget(const std::string& name) const;
};

/// Builds a plan from a validated description: takes its targets (pass an rvalue to move
/// them; a large description is not copied), computes tiers and definition digests. `selected`,
/// when given, restricts the build to those targets (others go to `skipped`); dependencies of
/// selected targets must be selected too (the caller closes the set).
Plan MakePlan(Description desc, const std::vector<std::string>* selected = nullptr);

/// Hex SHA-256 of the target's resolved definition plus the global inputs.
std::string DefinitionDigest(const Target& target, const std::vector<std::string>& global_inputs);

/// Where PlanToJson put the targets: the byte range of the "targets" array, from its '[' to
/// past its ']', and of each target's object, in the plan's order (plan/plan_index.h).
struct PlanSlices {
  std::size_t targets_begin = 0, targets_end = 0;
  std::vector<std::pair<std::size_t, std::size_t>> objects;  ///< offset and length
};

/// plan.json text (compact, sorted keys, deterministic); `slices`, when given, receives where
/// each target went.
std::string PlanToJson(const Plan& plan, PlanSlices* slices = nullptr);
/// Parses plan.json text; errors name `path`. With `only_target`, `targets` holds just that
/// target (or none) and the others are skipped unread: an edge of a 10,000-target build needs
/// one target of a 3.5 MB plan, and reading every target cost it 8 ms.
Expected<Plan> PlanFromJson(const std::string& text, const std::string& path,
                            const std::string* only_target = nullptr);
/// Reads BUILD/.fanout/plan.json (see PlanFromJson for `only_target`). For one target it
/// reads only that target's slice when BUILD/.fanout/plan.index matches the file
/// (plan/plan_index.h), and the whole file otherwise.
Expected<Plan> ReadPlan(const std::string& build_dir, const std::string* only_target = nullptr);

}  // namespace fanout
