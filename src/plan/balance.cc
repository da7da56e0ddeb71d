#include "plan/balance.h"

#include <algorithm>
#include <functional>
#include <numeric>

#include <fmt/format.h>

namespace fanout {

namespace {

/// The plan as a graph over indices in name order, with each target's expected seconds.
struct Graph {
  std::vector<std::string> names;
  std::vector<double> cost;
  std::vector<std::vector<std::size_t>> deps;        ///< within the plan
  std::vector<std::vector<std::size_t>> dependents;  ///< within the plan
};

Graph MakeGraph(const Plan& plan, const std::map<std::string, double>& seconds) {
  std::map<std::string, const PlanTarget*> by_name;
  for (const PlanTarget& t : plan.targets) by_name[t.def.name] = &t;
  Graph g;
  std::map<std::string, std::size_t> index;
  for (const auto& [name, t] : by_name) {
    index[name] = g.names.size();
    g.names.push_back(name);
    auto it = seconds.find(name);
    g.cost.push_back(it == seconds.end() ? 1.0 : std::max(it->second, 0.0));
  }
  g.deps.resize(g.names.size());
  g.dependents.resize(g.names.size());
  for (const auto& [name, t] : by_name) {
    const std::size_t i = index[name];
    for (const std::string& dep : t->def.deps) {
      auto it = index.find(dep);
      if (it == index.end() || it->second == i) continue;
      g.deps[i].push_back(it->second);
      g.dependents[it->second].push_back(i);
    }
  }
  return g;
}

/// The weakly connected components of the targets for which `member` is true, counting only
/// edges between two members; each sorted, the list in order of first member.
std::vector<std::vector<std::size_t>> Components(
    const Graph& g, const std::function<bool(std::size_t)>& member,
    const std::function<bool(std::size_t, std::size_t)>& joined) {
  std::vector<std::size_t> parent(g.names.size());
  std::iota(parent.begin(), parent.end(), 0);
  std::function<std::size_t(std::size_t)> find = [&](std::size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  for (std::size_t i = 0; i < g.names.size(); ++i) {
    if (!member(i)) continue;
    for (std::size_t d : g.deps[i]) {
      if (!member(d) || !joined(i, d)) continue;
      const std::size_t a = find(i), b = find(d);
      if (a != b) parent[std::max(a, b)] = std::min(a, b);
    }
  }
  std::map<std::size_t, std::vector<std::size_t>> by_root;
  for (std::size_t i = 0; i < g.names.size(); ++i) {
    if (member(i)) by_root[find(i)].push_back(i);
  }
  std::vector<std::vector<std::size_t>> out;
  for (auto& [root, members] : by_root) out.push_back(std::move(members));
  return out;
}

double Cost(const Graph& g, const std::vector<std::size_t>& group) {
  double sum = 0;
  for (std::size_t i : group) sum += g.cost[i];
  return sum;
}

/// One machine's share of a tier.
struct Bin {
  std::vector<std::size_t> items;
  double load = 0;
};

/// Longest processing time first: groups by cost, largest first (ties: the first name), each
/// onto the least loaded of `n` bins (ties: the lowest index).
std::vector<Bin> Lpt(const Graph& g, std::vector<std::vector<std::size_t>> groups, int n) {
  std::stable_sort(groups.begin(), groups.end(), [&](const auto& a, const auto& b) {
    const double ca = Cost(g, a), cb = Cost(g, b);
    if (ca != cb) return ca > cb;
    return a.front() < b.front();  // indices follow names
  });
  std::vector<Bin> bins(static_cast<std::size_t>(std::max(n, 1)));
  for (const auto& group : groups) {
    Bin& lightest = *std::min_element(bins.begin(), bins.end(),
                                      [](const Bin& a, const Bin& b) { return a.load < b.load; });
    lightest.items.insert(lightest.items.end(), group.begin(), group.end());
    lightest.load += Cost(g, group);
  }
  return bins;
}

/// A layout: for each tier, its bins.
using Layout = std::vector<std::vector<Bin>>;

double Makespan(const Layout& layout, double overhead) {
  double total = 0;
  for (const std::vector<Bin>& tier : layout) {
    double largest = 0;
    bool any = false;
    for (const Bin& b : tier) {
      if (b.items.empty()) continue;
      any = true;
      largest = std::max(largest, b.load);
    }
    if (any) total += largest + overhead;
  }
  return total;
}

/// One tier of whole components.
Layout OneTier(const Graph& g, int shards) {
  auto all = [](std::size_t) { return true; };
  auto any_edge = [](std::size_t, std::size_t) { return true; };
  return {Lpt(g, Components(g, all, any_edge), shards)};
}

/// `tiers` tiers: a target with dependents goes as late as its dependents allow (its height,
/// the longest chain of dependents below it, counts back from the last tier; chains longer than
/// the tiers share the first one), so a tier's targets wait only for earlier tiers. Within a
/// tier, targets joined by a dependency stay in one shard. A target with neither dependencies
/// nor dependents goes, longest first, where it adds least to the makespan.
Layout ManyTiers(const Graph& g, int tiers, int shards, double overhead) {
  const std::size_t n = g.names.size();
  std::vector<int> height(n, -1);
  std::function<int(std::size_t)> height_of = [&](std::size_t i) {
    if (height[i] >= 0) return height[i];
    int h = 0;
    for (std::size_t d : g.dependents[i]) h = std::max(h, 1 + height_of(d));
    return height[i] = h;
  };
  std::vector<int> tier_of(n, -1);
  std::vector<std::size_t> loose;
  for (std::size_t i = 0; i < n; ++i) {
    if (g.deps[i].empty() && g.dependents[i].empty()) {
      loose.push_back(i);
      continue;
    }
    tier_of[i] = (tiers - 1) - std::min(height_of(i), tiers - 1);
  }
  Layout layout;
  for (int t = 0; t < tiers; ++t) {
    auto member = [&](std::size_t i) { return tier_of[i] == t; };
    auto same_tier = [&](std::size_t a, std::size_t b) { return tier_of[a] == tier_of[b]; };
    layout.push_back(Lpt(g, Components(g, member, same_tier), shards));
  }
  std::stable_sort(loose.begin(), loose.end(), [&](std::size_t a, std::size_t b) {
    if (g.cost[a] != g.cost[b]) return g.cost[a] > g.cost[b];
    return a < b;
  });
  for (std::size_t i : loose) {
    double best_span = 0, best_load = 0;
    std::size_t best_t = 0, best_b = 0;
    bool found = false;
    for (std::size_t t = 0; t < layout.size(); ++t) {
      for (std::size_t b = 0; b < layout[t].size(); ++b) {
        layout[t][b].items.push_back(i);
        layout[t][b].load += g.cost[i];
        const double span = Makespan(layout, overhead);
        const double load = layout[t][b].load;
        layout[t][b].items.pop_back();
        layout[t][b].load -= g.cost[i];
        if (!found || span < best_span || (span == best_span && load < best_load)) {
          found = true;
          best_span = span;
          best_load = load;
          best_t = t;
          best_b = b;
        }
      }
    }
    layout[best_t][best_b].items.push_back(i);
    layout[best_t][best_b].load += g.cost[i];
  }
  return layout;
}

/// The layout's non-empty tiers and shards as Shards, numbered from tier 1 and index 0.
std::vector<Shard> ToShards(const Graph& g, const Layout& layout) {
  std::vector<Shard> shards;
  int tier = 0;
  for (const std::vector<Bin>& bins : layout) {
    int index = 0;
    bool any = false;
    for (const Bin& b : bins) {
      if (b.items.empty()) continue;
      if (!any) ++tier;
      any = true;
      Shard s;
      s.tier = tier;
      s.index = index++;
      s.expected_seconds = b.load;
      for (std::size_t i : b.items) s.targets.push_back(g.names[i]);
      std::sort(s.targets.begin(), s.targets.end());
      shards.push_back(std::move(s));
    }
  }
  return shards;
}

int CountTiers(const std::vector<Shard>& shards) { return shards.empty() ? 0 : shards.back().tier; }

}  // namespace

ShardPlan BalanceShards(const Plan& plan, const std::map<std::string, double>& seconds,
                        const BalanceOptions& options) {
  const Graph g = MakeGraph(plan, seconds);
  const int shards = std::max(options.max_shards, 1);
  const double overhead = std::max(options.job_overhead_seconds, 0.0);
  ShardPlan out;
  const Layout one = OneTier(g, shards);
  out.shards = ToShards(g, one);
  out.tiers = CountTiers(out.shards);
  out.expected_seconds = Makespan(one, overhead);
  if (g.names.empty()) {
    out.reason = "the plan has no targets";
    return out;
  }
  const bool any_edge =
      std::any_of(g.deps.begin(), g.deps.end(), [](const auto& d) { return !d.empty(); });
  if (!any_edge) {
    out.reason = "no target depends on another: one tier";
    return out;
  }
  // A later tier takes what it depends on from the action cache directories earlier tiers
  // left: a result that is never stored there cannot cross tiers.
  for (const PlanTarget& t : plan.targets) {
    auto it = std::lower_bound(g.names.begin(), g.names.end(), t.def.name);
    if (t.def.cache || g.dependents[static_cast<std::size_t>(it - g.names.begin())].empty()) {
      continue;
    }
    out.reason = fmt::format(
        "one tier of whole components: '{}' has dependents and 'cache: false', so its result "
        "cannot be handed to a later tier",
        t.def.name);
    return out;
  }
  if (options.max_tiers < 2) {
    out.reason = "one tier of whole components (--max-tiers 1)";
    return out;
  }
  // The best of 2..max_tiers tiers; a tie keeps fewer tiers (fewer jobs, one less hand-over).
  Layout best;
  double best_span = 0;
  int best_tiers = 0;
  for (int t = 2; t <= options.max_tiers; ++t) {
    Layout layout = ManyTiers(g, t, shards, overhead);
    const double span = Makespan(layout, overhead);
    if (best.empty() || span < best_span) {
      best = std::move(layout);
      best_span = span;
      best_tiers = t;
    }
  }
  std::vector<Shard> tiered = ToShards(g, best);
  const int used = CountTiers(tiered);
  if (used > 1 && best_span < out.expected_seconds) {
    out.reason = fmt::format(
        "{} tiers: {:.1f} s expected, against {:.1f} s for one tier of whole components "
        "({:g} s per job)",
        used, best_span, out.expected_seconds, overhead);
    out.shards = std::move(tiered);
    out.tiers = used;
    out.strategy = "tiers";
    out.expected_seconds = best_span;
  } else {
    out.reason = fmt::format(
        "one tier of whole components: {:.1f} s expected, against {:.1f} s in {} tiers "
        "({:g} s per job)",
        out.expected_seconds, best_span, best_tiers, overhead);
  }
  return out;
}

double TierLowerBound(const Plan& plan, const std::map<std::string, double>& seconds,
                      const std::vector<std::string>& tier_targets, int max_shards) {
  const Graph g = MakeGraph(plan, seconds);
  std::vector<bool> in_tier(g.names.size(), false);
  double total = 0;
  for (std::size_t i = 0; i < g.names.size(); ++i) {
    in_tier[i] =
        std::find(tier_targets.begin(), tier_targets.end(), g.names[i]) != tier_targets.end();
    if (in_tier[i]) total += g.cost[i];
  }
  // The longest chain within the tier, by memoized depth-first search over dependencies.
  std::vector<double> chain(g.names.size(), -1);
  std::function<double(std::size_t)> chain_to = [&](std::size_t i) {
    if (chain[i] >= 0) return chain[i];
    double longest = 0;
    for (std::size_t d : g.deps[i]) {
      if (in_tier[d]) longest = std::max(longest, chain_to(d));
    }
    return chain[i] = longest + g.cost[i];
  };
  double longest = 0;
  for (std::size_t i = 0; i < g.names.size(); ++i) {
    if (in_tier[i]) longest = std::max(longest, chain_to(i));
  }
  return std::max(longest, total / std::max(max_shards, 1));
}

}  // namespace fanout
