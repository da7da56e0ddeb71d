#include "affected/affected_report.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/json_writer.h"

namespace fanout {

namespace {

using ordered_json = nlohmann::ordered_json;

void WriteReason(const AffectReason& r, JsonWriter* w) {
  w->BeginObject();
  w->Key("kind");
  w->String(r.kind);
  if (r.kind == "input" || r.kind == "global") {
    w->Key("path");
    w->String(r.path);
    w->Key("pattern");
    w->String(r.pattern);
    if (!r.rule.empty()) {
      w->Key("rule");
      w->String(r.rule);
    }
  } else if (r.kind == "dep") {
    w->Key("target");
    w->String(r.target);
  }
  w->EndObject();
}

/// Affected targets in dependency order: by tier, then by name.
std::vector<const AffectedTarget*> InTierOrder(const AffectedResult& result) {
  std::vector<const AffectedTarget*> out;
  for (const auto& tier : result.tiers) {
    for (const std::string& name : tier) {
      if (const AffectedTarget* t = result.Find(name)) out.push_back(t);
    }
  }
  return out;
}

std::string Short(const std::string& sha) { return sha.size() == 40 ? sha.substr(0, 12) : sha; }

std::string DescribePathReason(const AffectReason& r) {
  if (r.rule.empty()) {
    return fmt::format("{} ({}) matches '{}'", r.path, ChangeStatusName(r.change), r.pattern);
  }
  return fmt::format("{} ({}) matches '{}' ({})", r.path, ChangeStatusName(r.change), r.pattern,
                     r.rule);
}

/// "base -> core: core/a.c (modified) matches 'core/**'": from the dependency `dep` down the
/// first affected dependency at each step to a target affected for its own reasons.
std::string DependencyChain(const AffectedResult& result, const std::string& dep) {
  std::string chain = dep;
  std::set<std::string> seen;
  const AffectedTarget* t = result.Find(dep);
  while (t && seen.insert(t->name).second) {
    auto own = std::find_if(t->reasons.begin(), t->reasons.end(),
                            [](const AffectReason& r) { return r.kind != "dep"; });
    if (own != t->reasons.end()) {
      if (own->kind == "input" || own->kind == "global") {
        return fmt::format("{}: {}", chain, DescribePathReason(*own));
      }
      return fmt::format("{}: {}", chain,
                         own->kind == "description" ? "definition changed" : "everything affected");
    }
    if (t->reasons.empty()) break;
    const std::string& next = t->reasons.front().target;
    chain += " -> " + next;
    t = result.Find(next);
  }
  return chain;
}

}  // namespace

std::string AffectedToJson(const AffectedResult& result) {
  std::string out;
  JsonWriter w(&out, 2);
  w.BeginObject();
  w.Key("base");
  w.String(result.base);
  w.Key("head");
  w.String(result.head);
  w.Key("compared");
  result.compared.empty() ? w.Null() : w.String(result.compared);
  w.Key("all");
  w.Bool(result.all);
  w.Key("all_reason");
  result.all_reason ? w.String(*result.all_reason) : w.Null();
  w.Key("affected");
  w.BeginArray();
  for (const AffectedTarget& t : result.affected) {
    w.BeginObject();
    w.Key("name");
    w.String(t.name);
    w.Key("tier");
    w.Int(t.tier);
    w.Key("reasons");
    w.BeginArray();
    for (const AffectReason& r : t.reasons) WriteReason(r, &w);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.Key("unaffected");
  w.StringArray(result.unaffected);
  w.Key("tiers");
  w.BeginArray();
  for (const std::vector<std::string>& tier : result.tiers) w.StringArray(tier);
  w.EndArray();
  w.EndObject();
  out += '\n';
  return out;
}

std::string AffectedToText(const AffectedResult& result) {
  std::string out;
  for (const AffectedTarget* t : InTierOrder(result)) out += t->name + "\n";
  return out;
}

std::string AffectedToGithub(const AffectedResult& result) {
  ordered_json include = ordered_json::array();
  for (const AffectedTarget& t : result.affected) include.push_back({{"target", t.name}});
  ordered_json matrix;
  matrix["include"] = std::move(include);
  std::string out = "matrix=" + matrix.dump() + "\n";
  out += fmt::format("any={}\n", result.affected.empty() ? "false" : "true");
  std::vector<std::pair<std::string, bool>> all;
  for (const AffectedTarget& t : result.affected) all.emplace_back(t.name, true);
  for (const std::string& name : result.unaffected) all.emplace_back(name, false);
  std::sort(all.begin(), all.end());
  for (const auto& [name, affected] : all) out += fmt::format("{}={}\n", name, affected);
  return out;
}

std::string ExplainAffected(const AffectedResult& result) {
  std::string out;
  for (const AffectedTarget* t : InTierOrder(result)) {
    out += fmt::format("{} (tier {})\n", t->name, t->tier);
    for (const AffectReason& r : t->reasons) {
      if (r.kind == "input") {
        out += fmt::format("    input   {}\n", DescribePathReason(r));
      } else if (r.kind == "global") {
        out += fmt::format("    global  {}\n", DescribePathReason(r));
      } else if (r.kind == "dep") {
        out += fmt::format("    dep     {}\n", DependencyChain(result, r.target));
      } else if (r.kind == "description") {
        out += "    description  the description changed for this target\n";
      } else {
        out += fmt::format("    all     {}\n", result.all_reason.value_or("everything affected"));
      }
    }
  }
  const size_t total = result.affected.size() + result.unaffected.size();
  const std::string range =
      result.compared.empty()
          ? fmt::format("base {}, head {}", Short(result.base), Short(result.head))
          : fmt::format("{}..{}, {} changed path{}", Short(result.compared), Short(result.head),
                        result.changed_paths.size(), result.changed_paths.size() == 1 ? "" : "s");
  out += fmt::format("{} of {} target{} affected ({})\n", result.affected.size(), total,
                     total == 1 ? "" : "s", range);
  if (result.all_reason) out += fmt::format("every target is affected: {}\n", *result.all_reason);
  return out;
}

}  // namespace fanout
