// Sharding: the plan's targets split into groups that separate machines can build
// independently (`fanout matrix`). A shard lists whole weakly-connected components of the
// dependency graph, so `fanout build TARGET...` on one machine never needs a target that
// another machine builds, and no target is built twice.
#pragma once

#include <string>
#include <vector>

#include "plan/plan.h"

namespace fanout {

/// One shard: the targets one machine builds, sorted by name.
struct Shard {
  int index = 0;
  std::vector<std::string> targets;
};

/// Splits `plan.targets` into at most `max_shards` (>= 1) non-empty shards. Targets joined by
/// a dependency (in either direction, transitively) share a shard. Components are placed
/// largest first (by target count, ties by smallest name) on the shard with the fewest
/// targets so far (ties: lowest index), so the result is deterministic. Fewer components than
/// `max_shards` gives fewer shards; an empty plan gives none. Dependencies on targets outside
/// the plan are ignored.
std::vector<Shard> SplitIntoShards(const Plan& plan, int max_shards);

/// `{"shards":[{"index":0,"targets":["a","b"]},...]}`, indented, with a final newline.
std::string ShardsToJson(const std::vector<Shard>& shards);

/// GitHub Actions step outputs: `matrix={"include":[{"shard":0,"targets":"a b"},...]}` and
/// `shards=K`, one per line.
std::string ShardsToGithub(const std::vector<Shard>& shards);

}  // namespace fanout
