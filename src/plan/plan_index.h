// BUILD/.fanout/plan.index: where each target's object lies in plan.json. Every edge needs its
// own target of the plan and the plan's own fields; reading a 10,000-target plan.json (4 MB)
// whole cost an edge 10 ms, most of it page faults on the copies of the text and on simdjson's
// index of all of it. Through the index an edge reads plan.json's head and tail (the plan's
// own fields) and its target's object, and parses them as a plan of one target
// (docs/edge-cost.md).
//
// The index names the plan.json it was written for (its size, inode and modification time);
// an index that does not match the file, or a slice that does not hold the target, is not
// used, and the whole plan is read instead. Text, one line each:
//   fanout plan index 1
//   plan SIZE INODE MTIME_NS
//   targets BEGIN END COUNT        (the "targets" array's bytes, from '[' to past ']')
//   NAME OFFSET LENGTH             (one per target, sorted by name as the plan is)
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/expected.h"
#include "plan/plan.h"

namespace fanout {

/// What the index says of the plan.json it was written for.
struct PlanFileIdentity {
  std::uint64_t size = 0;
  std::uint64_t inode = 0;
  std::int64_t mtime_ns = 0;
};

/// The index's text for `plan`, which PlanToJson wrote (with `slices`) to a file that is now
/// `file`.
std::string PlanIndexText(const Plan& plan, const PlanSlices& slices, const PlanFileIdentity& file);

/// Writes BUILD/.fanout/plan.index for the plan.json just written there from `plan`.
Status WritePlanIndex(const std::string& build_dir, const Plan& plan, const PlanSlices& slices);

/// BUILD/.fanout/plan.json read through the index for `target` alone, as ReadPlan with
/// `only_target` reads it (target_count the whole plan's); nullopt when the index is missing,
/// of another plan.json or format, or does not name the target: the caller reads the whole
/// plan, which also says what is wrong with it.
std::optional<Plan> ReadPlanThroughIndex(const std::string& build_dir, const std::string& target);

}  // namespace fanout
