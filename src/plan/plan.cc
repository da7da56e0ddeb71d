#include "plan/plan.h"

#include <algorithm>
#include <initializer_list>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <simdjson.h>

#include "base/build_layout.h"
#include "base/file_util.h"
#include "base/json_writer.h"

namespace fanout {

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
  w.Key("tmp");
  w.UInt(t.limits.tmp_bytes);
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
  w.Key("sockets");
  w.StringArray(t.sockets);
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
  h.UpdateField(fmt::format("{}/{}/{}/{}", t.limits.memory_bytes, t.limits.pids, t.limits.nofile,
                            t.limits.tmp_bytes));
  list("sockets", t.sockets);
  list("global_inputs", global_inputs);
  return h.HexDigest();
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
    pt.definition_digest = DefinitionDigest(pt.def, desc.global_inputs);
    plan.targets.push_back(std::move(pt));
  }
  plan.target_count = plan.targets.size();
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

namespace {

// plan.json is read by every edge (and the snapshot, gather and report), so it is read with
// simdjson's On-Demand API straight into the Plan, in one pass; a DOM parse of a 10,000-target
// plan cost more than the rest of an edge's start-up. Reading stops at the first error, which
// PlanFromJson turns into "not a valid plan".
namespace od = simdjson::ondemand;

std::string Str(od::value v) { return std::string(std::string_view(v.get_string())); }

std::vector<std::string> StrList(od::value v) {
  std::vector<std::string> out;
  for (od::value item : v.get_array()) out.push_back(Str(item));
  return out;
}

/// Calls `f(key, value)` for every member of the object `v`; `required` names members that
/// must be there (a missing one is an error naming it).
template <class F>
void Members(od::object object, std::initializer_list<std::string_view> required, F&& f) {
  std::uint64_t seen = 0;
  for (od::field field : object) {
    const std::string_view key = field.unescaped_key();
    std::size_t i = 0;
    for (std::string_view r : required) {
      if (r == key) {
        seen |= std::uint64_t{1} << i;
        break;
      }
      ++i;
    }
    f(key, field.value());
  }
  std::size_t i = 0;
  for (std::string_view r : required) {
    if (!(seen & (std::uint64_t{1} << i))) {
      throw std::runtime_error(fmt::format("'{}' is missing", r));
    }
    ++i;
  }
}

template <class F>
void Members(od::value v, std::initializer_list<std::string_view> required, F&& f) {
  Members(v.get_object(), required, std::forward<F>(f));
}

PlanTarget ReadTarget(od::object v) {
  PlanTarget pt;
  Target& t = pt.def;
  Members(
      v,
      {"artifacts", "checkout", "command", "definition_digest", "deps", "env", "inputs", "limits",
       "name", "network", "pass_env", "pool", "retries", "sockets", "tier", "timeout_seconds"},
      [&](std::string_view key, od::value value) {
        if (key == "name") {
          t.name = Str(value);
        } else if (key == "line") {
          t.mark.line = static_cast<int>(value.get_int64());
        } else if (key == "column") {
          t.mark.column = static_cast<int>(value.get_int64());
        } else if (key == "command") {
          t.command = Str(value);
        } else if (key == "inputs") {
          t.inputs = StrList(value);
        } else if (key == "deps") {
          t.deps = StrList(value);
        } else if (key == "pool") {
          t.pool = Str(value);
        } else if (key == "artifacts") {
          t.artifacts = StrList(value);
        } else if (key == "env") {
          for (od::field e : value.get_object()) {
            t.env.emplace(std::string(std::string_view(e.unescaped_key())), Str(e.value()));
          }
        } else if (key == "pass_env") {
          t.pass_env = StrList(value);
        } else if (key == "sockets") {
          t.sockets = StrList(value);
        } else if (key == "timeout_seconds") {
          if (!value.is_null()) t.timeout_seconds = value.get_int64();
        } else if (key == "retries") {
          t.retries = static_cast<int>(value.get_int64());
        } else if (key == "network") {
          t.network = value.get_bool();
        } else if (key == "checkout") {
          t.checkout = Str(value) == "full" ? Checkout::kFull : Checkout::kInputs;
        } else if (key == "limits") {
          Members(value, {"memory", "nofile", "pids", "tmp"}, [&](std::string_view k, od::value l) {
            const std::uint64_t n = l.get_uint64();
            if (k == "memory") t.limits.memory_bytes = n;
            if (k == "nofile") t.limits.nofile = n;
            if (k == "pids") t.limits.pids = n;
            if (k == "tmp") t.limits.tmp_bytes = n;
          });
        } else if (key == "tier") {
          pt.tier = static_cast<int>(value.get_int64());
        } else if (key == "definition_digest") {
          pt.definition_digest = Str(value);
        }
      });
  return pt;
}

}  // namespace

Expected<Plan> PlanFromJson(const std::string& text, const std::string& path,
                            const std::string* only_target) {
  try {
    const simdjson::padded_string padded(text);
    od::parser parser;
    od::document doc = parser.iterate(padded);
    Plan plan;
    Members(od::object(doc.get_object()),
            {"base", "build_dir", "description_path", "direct", "fanout_binary", "gen_args",
             "global_inputs", "pools", "post_submit", "repo_root", "sandbox", "skipped", "source",
             "targets"},
            [&](std::string_view key, od::value value) {
              if (key == "repo_root") {
                plan.repo_root = Str(value);
              } else if (key == "description_path") {
                plan.description_path = Str(value);
              } else if (key == "build_dir") {
                plan.build_dir = Str(value);
              } else if (key == "fanout_binary") {
                plan.fanout_binary = Str(value);
              } else if (key == "source") {
                plan.source = Str(value);
              } else if (key == "base") {
                if (!value.is_null()) plan.base = Str(value);
              } else if (key == "direct") {
                plan.direct = value.get_bool();
              } else if (key == "gen_args") {
                plan.gen_args = StrList(value);
              } else if (key == "pools") {
                for (od::field f : value.get_object()) {
                  plan.pools.emplace(std::string(std::string_view(f.unescaped_key())),
                                     static_cast<int>(f.value().get_int64()));
                }
              } else if (key == "global_inputs") {
                plan.global_inputs = StrList(value);
              } else if (key == "post_submit") {
                Members(value, {"always", "command"}, [&](std::string_view k, od::value v) {
                  if (k == "always") plan.post_submit.always = v.get_bool();
                  if (k == "command") plan.post_submit.command = Str(v);
                });
              } else if (key == "sandbox") {
                plan.sandbox = Str(value) == "required" ? SandboxRequirement::kRequired
                                                        : SandboxRequirement::kPreferred;
              } else if (key == "targets") {
                od::array targets = value.get_array();
                // Counting first (a pass over the structural index) saves moving every
                // target again on each growth of the vector.
                if (!only_target) plan.targets.reserve(targets.count_elements());
                for (od::value t : targets) {
                  ++plan.target_count;
                  od::object object = t.get_object();
                  if (only_target) {
                    // The rest of a skipped object is passed over, not parsed.
                    if (std::string_view(object.find_field_unordered("name").get_string()) !=
                        *only_target) {
                      continue;
                    }
                    object.reset();
                  }
                  plan.targets.push_back(ReadTarget(object));
                }
              } else if (key == "skipped") {
                plan.skipped = StrList(value);
              }
            });
    return plan;
  } catch (const std::exception& e) {
    return MakeError(
        fmt::format("{}: not a valid plan ({}); run 'fanout gen' again", path, e.what()));
  }
}

Expected<Plan> ReadPlan(const std::string& build_dir, const std::string* only_target) {
  std::string path = build_dir + "/" + layout::kPlan;
  auto text = ReadFile(path);
  if (!text.ok()) {
    return MakeError(
        fmt::format("{}; run 'fanout gen -B {}' first", text.error().message, build_dir));
  }
  return PlanFromJson(*text, path, only_target);
}

}  // namespace fanout
