// Finding dependency cycles among a description's targets, for the validator's
// "dependency cycle: a -> b -> a" errors.
#pragma once

#include <string>
#include <vector>

#include "description/description.h"

namespace fanout {

/// One cycle: `path` starts and ends at the same target ("a", "b", "a").
struct DependencyCycle {
  std::vector<std::string> path;
  SourceMark mark;  ///< where path.front() is defined

  /// "a -> b -> a".
  std::string ToString() const;
};

/// Finds one cycle per group of targets that depend on each other (a strongly connected
/// component of more than one target). Each cycle starts at the group's first target by
/// name and follows the shortest way back to it; the cycles come in the order of their first
/// target. `targets` must be sorted by name. A target depending on itself and dependencies
/// on unknown targets are ignored: the validator reports those on their own.
std::vector<DependencyCycle> FindDependencyCycles(const std::vector<Target>& targets);

}  // namespace fanout
