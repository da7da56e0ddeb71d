#include "src/plan.h"

#include <algorithm>
#include <functional>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "src/build_layout.h"
#include "src/file_util.h"
#include "src/json_writer.h"

namespace fanout {

using nlohmann::json;

const PlanTarget* Plan::FindTarget(const std::string& name) const {
  auto it =
      std::lower_bound(targets.begin(), targets.end(), name,
                       [](const PlanTarget& t, const std::string& n) { return t.def.name < n; });
  if (it == targets.end() || it->def.name != name) return nullptr;
  return &*it;
}

namespace {

/// One target's object; keys in sorted order, as nlohmann::json writes them (PlanFromJson reads
/// either).
void WriteTarget(const PlanTarget& pt, JsonWriter& w) {
  const Target& t = pt.def;
  w.BeginObject();
  w.Key("artifacts");
  w.StringArray(t.artifacts);
  w.Key("checkout");
  w.String(t.checkout == Checkout::kFull ? "full" : "inputs");
  w.Key("column");
  w.Int(t.mark.column);
  w.Key("command");
  w.String(t.command);
  w.Key("definition_digest");
  w.String(pt.definition_digest);
  w.Key("deps");
  w.StringArray(t.deps);
  w.Key("env");
  w.BeginObject();
  for (const auto& [k, v] : t.env) {
    w.Key(k);
    w.String(v);
  }
  w.EndObject();
  w.Key("inputs");
  w.StringArray(t.inputs);
  w.Key("limits");
  w.BeginObject();
  w.Key("memory");
  w.UInt(t.limits.memory_bytes);
  w.Key("nofile");
  w.UInt(t.limits.nofile);
  w.Key("pids");
  w.UInt(t.limits.pids);
  w.EndObject();
  w.Key("line");
  w.Int(t.mark.line);
  w.Key("name");
  w.String(t.name);
  w.Key("network");
  w.Bool(t.network);
  w.Key("pass_env");
  w.StringArray(t.pass_env);
  w.Key("pool");
  w.String(t.pool);
  w.Key("retries");
  w.Int(t.retries);
  w.Key("tier");
  w.Int(pt.tier);
  w.Key("timeout_seconds");
  if (t.timeout_seconds) {
    w.Int(*t.timeout_seconds);
  } else {
    w.Null();
  }
  w.EndObject();
}

Target TargetFromJson(const json& j) {
  Target t;
  t.name = j.at("name").get<std::string>();
  t.mark.line = j.value("line", 0);
  t.mark.column = j.value("column", 0);
  t.command = j.at("command").get<std::string>();
  t.inputs = j.at("inputs").get<std::vector<std::string>>();
  t.deps = j.at("deps").get<std::vector<std::string>>();
  t.pool = j.at("pool").get<std::string>();
  t.artifacts = j.at("artifacts").get<std::vector<std::string>>();
  t.env = j.at("env").get<std::map<std::string, std::string>>();
  t.pass_env = j.at("pass_env").get<std::vector<std::string>>();
  if (!j.at("timeout_seconds").is_null())
    t.timeout_seconds = j.at("timeout_seconds").get<int64_t>();
  t.retries = j.at("retries").get<int>();
  t.network = j.at("network").get<bool>();
  t.checkout = j.at("checkout").get<std::string>() == "full" ? Checkout::kFull : Checkout::kInputs;
  const json& l = j.at("limits");
  t.limits.memory_bytes = l.at("memory").get<uint64_t>();
  t.limits.pids = l.at("pids").get<uint64_t>();
  t.limits.nofile = l.at("nofile").get<uint64_t>();
  return t;
}

}  // namespace

std::string DefinitionDigest(const Target& t, const std::vector<std::string>& global_inputs) {
  // Every field that changes what the target does, each length-prefixed, in a fixed order.
  // Where the target sits in the file (its mark) is deliberately left out.
  Sha256 h;
  auto list = [&h](std::string_view tag, const std::vector<std::string>& v) {
    h.UpdateField(tag);
    h.UpdateField(std::to_string(v.size()));
    for (const std::string& s : v) h.UpdateField(s);
  };
  h.UpdateField("fanout-definition-v1");
  h.UpdateField(t.name);
  h.UpdateField(t.command);
  list("inputs", t.inputs);
  list("deps", t.deps);
  h.UpdateField(t.pool);
  list("artifacts", t.artifacts);
  h.UpdateField(std::to_string(t.env.size()));
  for (const auto& [k, v] : t.env) {
    h.UpdateField(k);
    h.UpdateField(v);
  }
  list("pass_env", t.pass_env);
  h.UpdateField(t.timeout_seconds ? std::to_string(*t.timeout_seconds) : "-");
  h.UpdateField(std::to_string(t.retries));
  h.UpdateField(t.network ? "network" : "no-network");
  h.UpdateField(t.checkout == Checkout::kFull ? "full" : "inputs");
  h.UpdateField(fmt::format("{}/{}/{}", t.limits.memory_bytes, t.limits.pids, t.limits.nofile));
  list("global_inputs", global_inputs);
  return h.HexDigest();
}

Plan MakePlan(const Description& desc, const std::vector<std::string>* selected) {
  Plan plan;
  plan.pools = desc.pools;
  plan.global_inputs = desc.global_inputs;
  plan.post_submit = desc.post_submit;
  plan.sandbox = desc.sandbox;
  std::set<std::string> keep;
  if (selected) keep.insert(selected->begin(), selected->end());

  // Tiers over the whole description (targets are validated acyclic); memoized DFS.
  std::map<std::string, int> tier;
  std::function<int(const Target&)> tier_of = [&](const Target& t) -> int {
    auto it = tier.find(t.name);
    if (it != tier.end()) return it->second;
    int best = 0;
    for (const std::string& d : t.deps) {
      if (const Target* dt = desc.FindTarget(d)) best = std::max(best, tier_of(*dt) + 1);
    }
    tier[t.name] = best;
    return best;
  };

  for (const Target& t : desc.targets) {
    if (selected && !keep.count(t.name)) {
      plan.skipped.push_back(t.name);
      continue;
    }
    PlanTarget pt;
    pt.def = t;
    std::sort(pt.def.deps.begin(), pt.def.deps.end());
    pt.tier = tier_of(t);
    pt.definition_digest = DefinitionDigest(pt.def, desc.global_inputs);
    plan.targets.push_back(std::move(pt));
  }
  return plan;
}

std::string PlanToJson(const Plan& plan) {
  // Compact, streamed: it is read by every edge of large builds and written on every
  // generation.
  std::string out;
  out.reserve(512 + plan.targets.size() * 512);
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("base");
  if (plan.base) {
    w.String(*plan.base);
  } else {
    w.Null();
  }
  w.Key("build_dir");
  w.String(plan.build_dir);
  w.Key("description_path");
  w.String(plan.description_path);
  w.Key("direct");
  w.Bool(plan.direct);
  w.Key("fanout_binary");
  w.String(plan.fanout_binary);
  w.Key("gen_args");
  w.StringArray(plan.gen_args);
  w.Key("global_inputs");
  w.StringArray(plan.global_inputs);
  w.Key("pools");
  w.BeginObject();
  for (const auto& [name, depth] : plan.pools) {
    w.Key(name);
    w.Int(depth);
  }
  w.EndObject();
  w.Key("post_submit");
  w.BeginObject();
  w.Key("always");
  w.Bool(plan.post_submit.always);
  w.Key("command");
  w.String(plan.post_submit.command);
  w.EndObject();
  w.Key("repo_root");
  w.String(plan.repo_root);
  w.Key("sandbox");
  w.String(plan.sandbox == SandboxRequirement::kRequired ? "required" : "preferred");
  w.Key("skipped");
  w.StringArray(plan.skipped);
  w.Key("source");
  w.String(plan.source);
  w.Key("targets");
  w.BeginArray();
  for (const PlanTarget& t : plan.targets) WriteTarget(t, w);
  w.EndArray();
  w.Key("version");
  w.Int(1);
  w.EndObject();
  out.push_back('\n');
  return out;
}

Expected<Plan> PlanFromJson(const std::string& text, const std::string& path) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return MakeError(fmt::format("{}: not a valid plan; run 'fanout gen' again", path));
  }
  try {
    Plan plan;
    plan.repo_root = j.at("repo_root").get<std::string>();
    plan.description_path = j.at("description_path").get<std::string>();
    plan.build_dir = j.at("build_dir").get<std::string>();
    plan.fanout_binary = j.at("fanout_binary").get<std::string>();
    plan.source = j.at("source").get<std::string>();
    if (!j.at("base").is_null()) plan.base = j.at("base").get<std::string>();
    plan.direct = j.at("direct").get<bool>();
    plan.gen_args = j.at("gen_args").get<std::vector<std::string>>();
    plan.pools = j.at("pools").get<std::map<std::string, int>>();
    plan.global_inputs = j.at("global_inputs").get<std::vector<std::string>>();
    plan.post_submit.command = j.at("post_submit").at("command").get<std::string>();
    plan.post_submit.always = j.at("post_submit").at("always").get<bool>();
    plan.sandbox = j.at("sandbox").get<std::string>() == "required"
                       ? SandboxRequirement::kRequired
                       : SandboxRequirement::kPreferred;
    for (const json& jt : j.at("targets")) {
      PlanTarget t;
      t.def = TargetFromJson(jt);
      t.tier = jt.at("tier").get<int>();
      t.definition_digest = jt.at("definition_digest").get<std::string>();
      plan.targets.push_back(std::move(t));
    }
    plan.skipped = j.at("skipped").get<std::vector<std::string>>();
    return plan;
  } catch (const json::exception& e) {
    return MakeError(
        fmt::format("{}: not a valid plan ({}); run 'fanout gen' again", path, e.what()));
  }
}

Expected<Plan> ReadPlan(const std::string& build_dir) {
  std::string path = build_dir + "/" + layout::kPlan;
  auto text = ReadFile(path);
  if (!text.ok()) {
    return MakeError(
        fmt::format("{}; run 'fanout gen -B {}' first", text.error().message, build_dir));
  }
  return PlanFromJson(*text, path);
}

}  // namespace fanout
