// The graph both generators write, derived from a Plan and checked once: target names that can
// name files and aliases, dependencies resolved against the plan, pools that exist. Sorted, so
// what is written does not depend on the order of the plan's vectors.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "plan/plan.h"

namespace fanout {

/// One target as an edge of the build graph.
struct GraphTarget {
  std::string name;
  std::string pool;               ///< empty: no pool
  std::vector<std::string> deps;  ///< planned dependencies only (skipped ones dropped), sorted
};

/// What a build file expresses.
struct BuildGraph {
  std::string fanout_binary;  ///< absolute
  /// The edge client each target's edge starts (base/edge_wire.h), absolute; empty: the edge
  /// starts fanout itself.
  std::string edge_client;
  std::vector<std::string> gen_args;  ///< as in the plan
  std::string description_name;       ///< basename of the description file
  /// Declared pools with depth >= 1, sorted by name; never `console` (Ninja predefines it).
  std::map<std::string, int> pools;
  std::vector<GraphTarget> targets;  ///< sorted by name, unique
  bool post_submit = false;          ///< the plan has a post-submit command
};

/// True when `name` matches [A-Za-z0-9][A-Za-z0-9._-]*.
bool IsValidTargetName(std::string_view name);

/// True for names the build files use for their own aliases and outputs (`all`, `gather`,
/// `post_submit`, `build.ninja`, `manifest.json`), which a target may not take.
bool IsReservedTargetName(std::string_view name);

/// Checks the plan and derives its graph. Errors: a relative or empty fanout binary, an
/// invalid, reserved or duplicate target name, a dependency that is neither planned nor
/// skipped, a pool that is not declared (other than `console`) or has depth < 1.
Expected<BuildGraph> MakeBuildGraph(const Plan& plan);

}  // namespace fanout
