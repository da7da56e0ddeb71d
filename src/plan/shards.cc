#include "plan/shards.h"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "plan/balance.h"

namespace fanout {

using ordered_json = nlohmann::ordered_json;

std::vector<Shard> SplitIntoShards(const Plan& plan, int max_shards) {
  // Every target counts 1 s: components go largest first by target count (ties: the first
  // name) onto the shard with the fewest targets (ties: the lowest index).
  BalanceOptions options;
  options.max_shards = max_shards;
  options.max_tiers = 1;
  return BalanceShards(plan, {}, options).shards;
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

namespace {

/// Seconds rounded to tenths, for output that a person reads and a diff compares.
double Tenths(double seconds) { return std::round(seconds * 10) / 10; }

std::vector<Shard> TierShards(const ShardPlan& plan, int tier) {
  std::vector<Shard> out;
  for (const Shard& s : plan.shards) {
    if (s.tier == tier) out.push_back(s);
  }
  return out;
}

}  // namespace

std::string ShardPlanToJson(const ShardPlan& plan, const std::map<std::string, double>& seconds,
                            const std::vector<std::string>& estimated, double job_overhead) {
  ordered_json out;
  out["strategy"] = plan.strategy;
  out["reason"] = plan.reason;
  out["expected_seconds"] = Tenths(plan.expected_seconds);
  out["job_overhead_seconds"] = job_overhead;
  out["tiers"] = plan.tiers;
  ordered_json list = ordered_json::array();
  for (const Shard& s : plan.shards) {
    ordered_json j;
    j["tier"] = s.tier;
    j["index"] = s.index;
    j["expected_seconds"] = Tenths(s.expected_seconds);
    j["targets"] = s.targets;
    list.push_back(std::move(j));
  }
  out["shards"] = std::move(list);
  ordered_json durations = ordered_json::object();
  for (const auto& [name, s] : seconds) durations[name] = Tenths(s);
  out["durations"] = std::move(durations);
  out["estimated"] = estimated;
  return out.dump(2) + "\n";
}

std::string ShardPlanToGithub(const ShardPlan& plan, int max_tiers) {
  std::string out = ShardsToGithub(TierShards(plan, 1));
  out += "tiers=" + std::to_string(plan.tiers) + "\n";
  for (int t = 1; t <= std::max(max_tiers, plan.tiers); ++t) {
    const std::string tier = ShardsToGithub(TierShards(plan, t));
    // "matrix=...\nshards=K\n" with the tier's number after each name.
    const std::size_t newline = tier.find('\n');
    out += "matrix_" + std::to_string(t) + tier.substr(6, newline - 6 + 1);
    out += "shards_" + std::to_string(t) + tier.substr(newline + 1 + 6);
  }
  out += fmt::format("expected_seconds={}\n", Tenths(plan.expected_seconds));
  return out;
}

}  // namespace fanout
