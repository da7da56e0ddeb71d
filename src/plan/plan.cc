#include "plan/plan.h"

#include <algorithm>
#include <set>

#include "plan/target_fields.h"

namespace fanout {

const PlanTarget* Plan::FindTarget(const std::string& name) const {
  auto it =
      std::lower_bound(targets.begin(), targets.end(), name,
                       [](const PlanTarget& t, const std::string& n) { return t.def.name < n; });
  if (it == targets.end() || it->def.name != name) return nullptr;
  return &*it;
}

Plan MakePlan(Description desc, const std::vector<std::string>* selected) {
  Plan plan;
  plan.pools = desc.pools;
  plan.global_inputs = desc.global_inputs;
  plan.post_submit = desc.post_submit;
  plan.sandbox = desc.sandbox;
  std::set<std::string> keep;
  if (selected) keep.insert(selected->begin(), selected->end());

  // Tiers over the whole description, before the targets move into the plan.
  const std::vector<int> tier = TargetTiers(desc);
  plan.targets.reserve(selected ? selected->size() : desc.targets.size());

  for (std::size_t i = 0; i < desc.targets.size(); ++i) {
    Target& t = desc.targets[i];
    if (selected && !keep.count(t.name)) {
      plan.skipped.push_back(t.name);
      continue;
    }
    PlanTarget pt;
    pt.def = std::move(t);
    std::sort(pt.def.deps.begin(), pt.def.deps.end());
    pt.tier = tier[i];
    pt.definition_digest = DefinitionDigest(pt, desc.global_inputs);
    plan.targets.push_back(std::move(pt));
  }
  plan.target_count = plan.targets.size();
  return plan;
}

}  // namespace fanout
