#include "generator/build_graph.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "base/build_layout.h"
#include "base/find_program.h"
#include "base/sort_by_name.h"

namespace fanout {

namespace {

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::string Basename(const std::string& path) {
  std::size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

bool IsValidTargetName(std::string_view name) {
  if (name.empty() || !IsAlnum(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return IsAlnum(c) || c == '.' || c == '_' || c == '-'; });
}

bool IsReservedTargetName(std::string_view name) { return layout::IsReservedTargetName(name); }

Expected<BuildGraph> MakeBuildGraph(const Plan& plan) {
  BuildGraph graph;
  if (plan.fanout_binary.empty() || plan.fanout_binary[0] != '/') {
    return MakeError(fmt::format(
        "the fanout binary path '{}' is not absolute; the build runs it from the build directory",
        plan.fanout_binary));
  }
  graph.fanout_binary = plan.fanout_binary;
  graph.edge_client = FindEdgeClient(plan.fanout_binary).value_or("");
  graph.gen_args = plan.gen_args;
  graph.description_name =
      plan.description_path.empty() ? "fanout.yaml" : Basename(plan.description_path);
  graph.post_submit = !plan.post_submit.command.empty();

  for (const auto& [name, depth] : plan.pools) {
    if (depth < 1) {
      return MakeError(
          fmt::format("pool '{}' has depth {}; a pool's depth must be at least 1", name, depth));
    }
    if (name != "console") graph.pools.emplace(name, depth);
  }

  std::set<std::string> planned;
  for (const PlanTarget& t : plan.targets) {
    const std::string& name = t.def.name;
    if (!IsValidTargetName(name)) {
      return MakeError(
          fmt::format("target name '{}' cannot name a build output: names must match "
                      "[A-Za-z0-9][A-Za-z0-9._-]*",
                      name));
    }
    if (IsReservedTargetName(name)) {
      return MakeError(fmt::format(
          "target name '{}' is reserved: the build file uses it for its own target", name));
    }
    if (!planned.insert(name).second) {
      return MakeError(fmt::format("target '{}' appears twice in the plan", name));
    }
  }
  std::set<std::string> skipped(plan.skipped.begin(), plan.skipped.end());

  for (const PlanTarget& t : plan.targets) {
    GraphTarget g;
    g.name = t.def.name;
    g.pool = t.def.pool;
    if (!g.pool.empty() && g.pool != "console" && !graph.pools.count(g.pool)) {
      return MakeError(
          fmt::format("target '{}' uses pool '{}', which is not declared", g.name, g.pool));
    }
    std::set<std::string> deps;
    for (const std::string& dep : t.def.deps) {
      if (planned.count(dep)) {
        deps.insert(dep);
      } else if (!skipped.count(dep)) {
        return MakeError(fmt::format(
            "target '{}' depends on '{}', which is neither planned nor skipped", g.name, dep));
      }
    }
    g.deps.assign(deps.begin(), deps.end());
    graph.targets.push_back(std::move(g));
  }
  SortByName(graph.targets);
  return graph;
}

}  // namespace fanout
