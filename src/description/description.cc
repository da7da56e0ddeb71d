#include "description/description.h"

#include <algorithm>
#include <functional>

namespace fanout {

const Target* Description::FindTarget(const std::string& name) const {
  auto it = std::lower_bound(targets.begin(), targets.end(), name,
                             [](const Target& t, const std::string& n) { return t.name < n; });
  if (it == targets.end() || it->name != name) return nullptr;
  return &*it;
}

std::optional<std::size_t> Description::IndexOf(const std::string& name) const {
  const Target* t = FindTarget(name);
  if (!t) return std::nullopt;
  return static_cast<std::size_t>(t - targets.data());
}

std::vector<int> TargetTiers(const Description& desc) {
  std::vector<int> tier(desc.targets.size(), -1);
  std::function<int(std::size_t)> tier_of = [&](std::size_t i) -> int {
    if (tier[i] >= 0) return tier[i];
    tier[i] = 0;
    int best = 0;
    for (const std::string& d : desc.targets[i].deps) {
      if (auto j = desc.IndexOf(d)) best = std::max(best, tier_of(*j) + 1);
    }
    return tier[i] = best;
  };
  for (std::size_t i = 0; i < desc.targets.size(); ++i) tier_of(i);
  return tier;
}

std::string FormatDuration(std::int64_t seconds) {
  if (seconds == 0) return "0s";
  std::string out;
  const std::int64_t h = seconds / 3600, m = (seconds % 3600) / 60, s = seconds % 60;
  if (h) out += std::to_string(h) + "h";
  if (m) out += std::to_string(m) + "m";
  if (s) out += std::to_string(s) + "s";
  return out;
}

}  // namespace fanout
