#include "plan/shards.h"

#include <algorithm>
#include <map>
#include <numeric>

#include <nlohmann/json.hpp>

namespace fanout {

namespace {

using ordered_json = nlohmann::ordered_json;

/// Union-find over target indices.
class DisjointSets {
 public:
  explicit DisjointSets(size_t n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), 0); }
  size_t Find(size_t x) {
    while (parent_[x] != x) x = parent_[x] = parent_[parent_[x]];
    return x;
  }
  void Join(size_t a, size_t b) {
    a = Find(a);
    b = Find(b);
    if (a != b) parent_[std::max(a, b)] = std::min(a, b);
  }

 private:
  std::vector<size_t> parent_;
};

}  // namespace

std::vector<Shard> SplitIntoShards(const Plan& plan, int max_shards) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < plan.targets.size(); ++i) index[plan.targets[i].def.name] = i;
  DisjointSets sets(plan.targets.size());
  for (size_t i = 0; i < plan.targets.size(); ++i) {
    for (const std::string& dep : plan.targets[i].def.deps) {
      auto it = index.find(dep);
      if (it != index.end()) sets.Join(i, it->second);
    }
  }
  // Components keyed by root; members collected in name order (the map iterates sorted).
  std::map<size_t, std::vector<std::string>> by_root;
  for (const auto& [name, i] : index) by_root[sets.Find(i)].push_back(name);
  std::vector<std::vector<std::string>> components;
  for (auto& [root, members] : by_root) components.push_back(std::move(members));
  std::sort(components.begin(), components.end(), [](const auto& a, const auto& b) {
    if (a.size() != b.size()) return a.size() > b.size();
    return a.front() < b.front();  // names are unique, so no two components tie here
  });

  const size_t count = std::min(components.size(), static_cast<size_t>(std::max(max_shards, 1)));
  std::vector<Shard> shards(count);
  for (size_t i = 0; i < count; ++i) shards[i].index = static_cast<int>(i);
  for (const auto& component : components) {
    // Fewest targets so far; min_element keeps the first (lowest index) among equals.
    auto lightest = std::min_element(
        shards.begin(), shards.end(),
        [](const Shard& a, const Shard& b) { return a.targets.size() < b.targets.size(); });
    lightest->targets.insert(lightest->targets.end(), component.begin(), component.end());
  }
  for (Shard& s : shards) std::sort(s.targets.begin(), s.targets.end());
  return shards;
}

std::string ShardsToJson(const std::vector<Shard>& shards) {
  ordered_json list = ordered_json::array();
  for (const Shard& s : shards) {
    ordered_json j;
    j["index"] = s.index;
    j["targets"] = s.targets;
    list.push_back(std::move(j));
  }
  ordered_json out;
  out["shards"] = std::move(list);
  return out.dump(2) + "\n";
}

std::string ShardsToGithub(const std::vector<Shard>& shards) {
  ordered_json include = ordered_json::array();
  for (const Shard& s : shards) {
    std::string targets;
    for (const std::string& t : s.targets) targets += (targets.empty() ? "" : " ") + t;
    ordered_json j;
    j["shard"] = s.index;
    j["targets"] = targets;
    include.push_back(std::move(j));
  }
  ordered_json matrix;
  matrix["include"] = std::move(include);
  return "matrix=" + matrix.dump() + "\n" + "shards=" + std::to_string(shards.size()) + "\n";
}

}  // namespace fanout
