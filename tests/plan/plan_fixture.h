// Plans for the plan stage's tests (shards, balancing): targets and dependencies only.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "plan/plan.h"

namespace fanout::testing {

/// A plan from "name" -> deps.
inline Plan MakeTestPlan(const std::map<std::string, std::vector<std::string>>& graph) {
  Plan plan;
  for (const auto& [name, deps] : graph) {
    PlanTarget t;
    t.def.name = name;
    t.def.deps = deps;
    plan.targets.push_back(std::move(t));
  }
  return plan;
}

}  // namespace fanout::testing
