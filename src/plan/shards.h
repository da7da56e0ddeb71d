// Sharding: the plan's targets split into groups that separate machines build (`fanout
// matrix`). SplitIntoShards keeps whole weakly-connected components of the dependency graph
// in one shard, so `fanout build TARGET...` on one machine never needs a target that another
// machine builds; plan/balance.h balances by expected time and may split the plan into tiers.
// The output formats of both are here.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "plan/plan.h"

namespace fanout {

/// One shard: the targets one machine builds, sorted by name.
struct Shard {
  int index = 0;  ///< from 0 within its tier
  std::vector<std::string> targets;
  int tier = 1;                 ///< from 1; a tier's shards run after every earlier tier's
  double expected_seconds = 0;  ///< the sum of its targets' expected durations
};

struct ShardPlan;

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

/// `fanout matrix --format json`: the strategy, its reason and expected makespan, the job
/// overhead, the number of tiers, each target's expected seconds (`durations`, with
/// `estimated` listing those without history), and the shards with their tier and expected
/// seconds. Indented, with a final newline.
std::string ShardPlanToJson(const ShardPlan& plan, const std::map<std::string, double>& seconds,
                            const std::vector<std::string>& estimated, double job_overhead);

/// `fanout matrix --format github`: `matrix` and `shards` for tier 1 (the single-tier recipe
/// reads only those), `tiers=T`, then `matrix_T`/`shards_T` for every tier from 1 to
/// `max_tiers` (an unused tier has an empty matrix and `shards_T=0`, so a workflow can name a
/// job per tier), and `expected_seconds`.
std::string ShardPlanToGithub(const ShardPlan& plan, int max_tiers);

}  // namespace fanout
