// plan.json: the plan's fields listed once (kPlanFields), written by PlanToJson and read by
// PlanFromJson; each target object goes through plan/target_fields.cc's table.
//
// plan.json is read by every edge (and the snapshot, gather and report), so it is read with
// simdjson's On-Demand API straight into the Plan, in one pass; a DOM parse of a 10,000-target
// plan cost more than the rest of an edge's start-up.
#include <array>
#include <string_view>
#include <unordered_set>

#include <fmt/format.h>

#include "base/build_layout.h"
#include "base/file_util.h"
#include "plan/plan.h"
#include "plan/plan_index.h"
#include "plan/target_fields.h"

namespace fanout {
namespace {

/// The plan.json format this fanout writes and reads.
constexpr int kPlanVersion = 1;

/// A plan as the file holds it: the plan, and for reading, the one target wanted (see
/// PlanFromJson). Writing never modifies `plan`.
struct PlanFile {
  Plan* plan;
  const std::string* only_target = nullptr;
  /// For writing: where the targets array and each target's object go (plan_index.h).
  PlanSlices* slices = nullptr;
};

simdjson::error_code ReadTargets(od::value v, PlanFile& file, FieldError& error) {
  Plan& plan = *file.plan;
  od::array targets;
  if (simdjson::error_code e = v.get_array().get(targets)) return e;
  // Counting first (a pass over the structural index) saves moving every target again on each
  // growth of the vector.
  if (!file.only_target) {
    std::size_t count = 0;
    if (simdjson::error_code e = targets.count_elements().get(count)) return e;
    plan.targets.reserve(count);
  }
  for (auto item : targets) {
    ++plan.target_count;
    od::object object;
    if (simdjson::error_code e = item.get_object().get(object)) return e;
    if (file.only_target) {
      // The rest of a skipped object is passed over, not parsed.
      std::string_view name;
      if (simdjson::error_code e = object.find_field_unordered("name").get_string().get(name)) {
        error.message =
            fmt::format("target {}: 'name' is missing or not a string", plan.target_count);
        return e;
      }
      if (name != *file.only_target) continue;
      if (simdjson::error_code e = object.reset().error()) return e;
    }
    PlanTarget target;
    FieldError target_error;
    if (!ReadTargetJson(object, target, target_error)) {
      // Name the target when its name is readable (it may come after the wrong member). Not
      // after broken JSON text: simdjson has abandoned the document, and resetting the object
      // would dereference its null parser (found by fuzz/fuzz_plan_json).
      std::string_view name;
      if (target.def.name.empty() && target_error.DocumentReadable() && !object.reset().error() &&
          !object.find_field_unordered("name").get_string().get(name)) {
        target.def.name = name;
      }
      error.message = target.def.name.empty()
                          ? fmt::format("target {}: {}", plan.target_count, target_error.message)
                          : fmt::format("target '{}': {}", target.def.name, target_error.message);
      return simdjson::INCORRECT_TYPE;
    }
    // A name twice would make an edge's read of its target and the whole plan's read disagree
    // (found by fuzz/fuzz_plan_json); fanout never writes one.
    if (file.only_target && !plan.targets.empty()) {
      error.message = fmt::format("target '{}' appears twice", target.def.name);
      return simdjson::INCORRECT_TYPE;
    }
    plan.targets.push_back(std::move(target));
  }
  if (!file.only_target) {
    std::unordered_set<std::string_view> names;
    for (const PlanTarget& t : plan.targets) {
      if (!names.insert(t.def.name).second) {
        error.message = fmt::format("target '{}' appears twice", t.def.name);
        return simdjson::INCORRECT_TYPE;
      }
    }
  }
  return simdjson::SUCCESS;
}

simdjson::error_code ReadPools(od::value v, std::map<std::string, int>& pools) {
  od::object object;
  if (simdjson::error_code e = v.get_object().get(object)) return e;
  for (auto member : object) {
    od::field field;
    std::string_view name;
    int depth = 0;
    if (simdjson::error_code e = std::move(member).get(field)) return e;
    if (simdjson::error_code e = field.unescaped_key().get(name)) return e;
    if (simdjson::error_code e = ReadInt(field.value(), depth)) return e;
    pools.emplace(std::string(name), depth);
  }
  return simdjson::SUCCESS;
}

const JsonField<PostSubmit> kPostSubmitFields[] = {
    {"always", true, false, [](const PostSubmit& p, JsonWriter& w) { w.Bool(p.always); },
     [](od::value v, PostSubmit& p, FieldError&) { return ReadBool(v, p.always); }},
    {"command", true, false, [](const PostSubmit& p, JsonWriter& w) { w.String(p.command); },
     [](od::value v, PostSubmit& p, FieldError&) { return ReadString(v, p.command); }},
};

using Field = JsonField<PlanFile>;

// Sorted by key, as plan.json has always been written.
const Field kPlanFields[] = {
    {"base", true, false,
     [](const PlanFile& f, JsonWriter& w) {
       if (f.plan->base) {
         w.String(*f.plan->base);
       } else {
         w.Null();
       }
     },
     [](od::value v, PlanFile& f, FieldError&) {
       bool null = false;
       if (simdjson::error_code e = v.is_null().get(null)) return e;
       if (null) return simdjson::SUCCESS;
       f.plan->base.emplace();
       return ReadString(v, *f.plan->base);
     }},
    {"build_dir", true, false,
     [](const PlanFile& f, JsonWriter& w) { w.String(f.plan->build_dir); },
     [](od::value v, PlanFile& f, FieldError&) { return ReadString(v, f.plan->build_dir); }},
    {"description_path", true, false,
     [](const PlanFile& f, JsonWriter& w) { w.String(f.plan->description_path); },
     [](od::value v, PlanFile& f, FieldError&) { return ReadString(v, f.plan->description_path); }},
    {"direct", true, false, [](const PlanFile& f, JsonWriter& w) { w.Bool(f.plan->direct); },
     [](od::value v, PlanFile& f, FieldError&) { return ReadBool(v, f.plan->direct); }},
    {"fanout_binary", true, false,
     [](const PlanFile& f, JsonWriter& w) { w.String(f.plan->fanout_binary); },
     [](od::value v, PlanFile& f, FieldError&) { return ReadString(v, f.plan->fanout_binary); }},
    {"gen_args", true, false,
     [](const PlanFile& f, JsonWriter& w) { w.StringArray(f.plan->gen_args); },
     [](od::value v, PlanFile& f, FieldError&) { return ReadStringList(v, f.plan->gen_args); }},
    {"global_inputs", true, false,
     [](const PlanFile& f, JsonWriter& w) { w.StringArray(f.plan->global_inputs); },
     [](od::value v, PlanFile& f, FieldError&) {
       return ReadStringList(v, f.plan->global_inputs);
     }},
    {"pools", true, false,
     [](const PlanFile& f, JsonWriter& w) {
       w.BeginObject();
       for (const auto& [name, depth] : f.plan->pools) {
         w.Key(name);
         w.Int(depth);
       }
       w.EndObject();
     },
     [](od::value v, PlanFile& f, FieldError&) { return ReadPools(v, f.plan->pools); }},
    {"post_submit", true, false,
     [](const PlanFile& f, JsonWriter& w) {
       WriteFields<PostSubmit>(kPostSubmitFields, f.plan->post_submit, w);
     },
     [](od::value v, PlanFile& f, FieldError& error) {
       od::object object;
       if (simdjson::error_code e = v.get_object().get(object)) return e;
       return ReadFields<PostSubmit>(kPostSubmitFields, object, f.plan->post_submit, error)
                  ? simdjson::SUCCESS
                  : simdjson::INCORRECT_TYPE;
     }},
    {"repo_root", true, false,
     [](const PlanFile& f, JsonWriter& w) { w.String(f.plan->repo_root); },
     [](od::value v, PlanFile& f, FieldError&) { return ReadString(v, f.plan->repo_root); }},
    {"sandbox", true, false,
     [](const PlanFile& f, JsonWriter& w) {
       w.String(f.plan->sandbox == SandboxRequirement::kRequired ? "required" : "preferred");
     },
     [](od::value v, PlanFile& f, FieldError&) {
       std::string_view s;
       if (simdjson::error_code e = v.get_string().get(s)) return e;
       if (s != "required" && s != "preferred") return simdjson::INCORRECT_TYPE;
       f.plan->sandbox =
           s == "required" ? SandboxRequirement::kRequired : SandboxRequirement::kPreferred;
       return simdjson::SUCCESS;
     }},
    {"skipped", true, false,
     [](const PlanFile& f, JsonWriter& w) { w.StringArray(f.plan->skipped); },
     [](od::value v, PlanFile& f, FieldError&) { return ReadStringList(v, f.plan->skipped); }},
    {"source", true, false, [](const PlanFile& f, JsonWriter& w) { w.String(f.plan->source); },
     [](od::value v, PlanFile& f, FieldError&) { return ReadString(v, f.plan->source); }},
    {"targets", true, false,
     [](const PlanFile& f, JsonWriter& w) {
       w.BeginArray();
       // Compact output: the array's '[' is the byte before, and ',' is all that lies between
       // two objects.
       const std::size_t open = w.size();
       for (const PlanTarget& t : f.plan->targets) {
         const std::size_t begin = w.size() + (w.size() == open ? 0 : 1);
         WriteTargetJson(t, w);
         if (f.slices) f.slices->objects.push_back({begin, w.size() - begin});
       }
       w.EndArray();
       if (f.slices) {
         f.slices->targets_begin = open - 1;
         f.slices->targets_end = w.size();
       }
     },
     ReadTargets},
    {"version", true, false, [](const PlanFile&, JsonWriter& w) { w.Int(kPlanVersion); },
     [](od::value v, PlanFile&, FieldError& error) { return ReadVersion(v, kPlanVersion, error); }},
};

}  // namespace

std::string PlanToJson(const Plan& plan, PlanSlices* slices) {
  // Compact, streamed: it is read by every edge of large builds and written on every
  // generation.
  std::string out;
  out.reserve(512 + plan.targets.size() * 512);
  JsonWriter w(&out);
  // Writing only reads the plan (the table's write functions take a const PlanFile).
  if (slices) *slices = PlanSlices{};
  const PlanFile file{const_cast<Plan*>(&plan), nullptr, slices};
  WriteFields<PlanFile>(kPlanFields, file, w);
  out.push_back('\n');
  return out;
}

Expected<Plan> PlanFromJson(const std::string& text, const std::string& path,
                            const std::string* only_target) {
  auto invalid = [&path](std::string_view why) {
    return MakeError(fmt::format("{}: not a valid plan ({}); run 'fanout gen' again", path, why));
  };
  Plan plan;
  PlanFile file{&plan, only_target};
  FieldError error;
  if (!ReadJsonDocument<PlanFile>(kPlanFields, text, file, error)) return invalid(error.message);
  return plan;
}

Expected<Plan> ReadPlan(const std::string& build_dir, const std::string* only_target) {
  if (only_target) {
    if (std::optional<Plan> plan = ReadPlanThroughIndex(build_dir, *only_target)) {
      return std::move(*plan);
    }
  }
  std::string path = build_dir + "/" + layout::kPlan;
  auto text = ReadFile(path);
  if (!text.ok()) {
    return MakeError(
        fmt::format("{}; run 'fanout gen -B {}' first", text.error().message, build_dir));
  }
  return PlanFromJson(*text, path, only_target);
}

}  // namespace fanout
