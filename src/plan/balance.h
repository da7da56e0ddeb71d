// Balancing shards by expected time (`fanout matrix`, docs/sharding.md). Either one tier of
// whole dependency components, or several tiers run one after another as successive CI
// matrices, where a tier's shards take what they depend on from earlier tiers (`fanout build
// --from`) and so a base image with many dependents no longer collapses the matrix into one
// shard. Within a tier, groups of targets that must stay together go longest first onto the
// least loaded shard. Of the layouts, the one with the smallest expected makespan, counting a
// fixed overhead per CI job, wins. Everything is deterministic: the same plan and durations
// always give the same shards.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "plan/plan.h"
#include "plan/shards.h"

namespace fanout {

struct BalanceOptions {
  int max_shards = 1;                ///< per tier, at least 1
  int max_tiers = 2;                 ///< at least 1
  double job_overhead_seconds = 30;  ///< what one more CI job costs: a runner, a checkout
};

/// The shards of a build, tier by tier.
struct ShardPlan {
  /// Tier by tier (1, 2, ...), then by index from 0 within the tier; none empty.
  std::vector<Shard> shards;
  int tiers = 0;  ///< how many tiers have shards (0 for an empty plan)
  /// "components" (one tier of whole components) or "tiers".
  std::string strategy = "components";
  /// The expected makespan: over the tiers, the largest shard's time plus the job overhead.
  double expected_seconds = 0;
  /// Why this layout and not the other, with both makespans.
  std::string reason;
};

/// Splits `plan.targets` by `seconds` (each target's expected duration; a target missing from
/// it counts 1 s). A shard's expected time is the sum of its targets' durations (a shard's
/// targets compete for one machine). Dependencies on targets outside the plan are ignored.
ShardPlan BalanceShards(const Plan& plan, const std::map<std::string, double>& seconds,
                        const BalanceOptions& options);

/// The lower bound on a tier's largest shard: its longest dependency chain within the tier, or
/// its total divided among `max_shards`, whichever is larger (for tests and messages).
double TierLowerBound(const Plan& plan, const std::map<std::string, double>& seconds,
                      const std::vector<std::string>& tier_targets, int max_shards);

}  // namespace fanout
