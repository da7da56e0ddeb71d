#include "report/manifest_merge.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "base/file_util.h"
#include "report/report.h"

namespace fanout {

namespace {

using nlohmann::json;

std::string DescribeSource(const json& source) {
  const json commit = source.value("commit", json(nullptr));
  const json tree = source.value("tree", json(nullptr));
  return fmt::format("commit {} (tree {})", commit.is_string() ? commit.get<std::string>() : "none",
                     tree.is_string() ? tree.get<std::string>() : "none");
}

bool SameSource(const json& a, const json& b) {
  return a.value("commit", json(nullptr)) == b.value("commit", json(nullptr)) &&
         a.value("tree", json(nullptr)) == b.value("tree", json(nullptr));
}

/// Whether a built target's entry records a success a post-submit step can use.
bool EntrySucceeded(const json& entry) {
  auto status = ParseStatus(entry.value("status", ""));
  return status && IsSuccess(*status) && *status != TargetStatus::kSkipped &&
         entry.contains("artifacts") && entry["artifacts"].is_array();
}

Status CheckShape(const ShardManifest& in) {
  const json& m = in.manifest;
  if (!m.is_object())
    return MakeError(fmt::format("{}: not a manifest (expected an object)", in.path));
  if (!m.contains("version") || m["version"] != 1) {
    return MakeError(fmt::format("{}: unsupported manifest version {} (expected 1)", in.path,
                                 m.contains("version") ? m["version"].dump() : "(missing)"));
  }
  if (!m.contains("targets") || !m["targets"].is_array()) {
    return MakeError(fmt::format("{}: the manifest has no 'targets' list", in.path));
  }
  for (const json& t : m["targets"]) {
    if (!t.is_object() || !t.contains("name") || !t["name"].is_string() || !t.contains("status") ||
        !t["status"].is_string()) {
      return MakeError(fmt::format("{}: a target entry lacks 'name' or 'status'", in.path));
    }
  }
  if (m.contains("skipped") && !m["skipped"].is_array()) {
    return MakeError(fmt::format("{}: 'skipped' is not a list", in.path));
  }
  if (m.contains("status") && !m["status"].is_string()) {
    return MakeError(fmt::format("{}: 'status' is not a string", in.path));
  }
  if (m.contains("source") && !m["source"].is_object()) {
    return MakeError(fmt::format("{}: 'source' is not an object", in.path));
  }
  if (m.contains("timings")) {
    const json& t = m["timings"];
    if (!t.is_object() || (t.contains("wall_seconds") && !t["wall_seconds"].is_number()) ||
        (t.contains("busy_seconds") && !t["busy_seconds"].is_number())) {
      return MakeError(fmt::format("{}: 'timings' does not hold numbers of seconds", in.path));
    }
  }
  return {};
}

}  // namespace

Expected<json> MergeManifests(const std::vector<ShardManifest>& inputs) {
  if (inputs.empty()) return MakeError("no manifests to merge");
  std::map<std::string, std::pair<json, const std::string*>> built;  // name -> entry, file
  std::set<std::string> unaffected, not_requested;
  double wall = 0, busy = 0;
  bool interrupted = false;
  const ShardManifest* first = nullptr;
  for (const ShardManifest& in : inputs) {
    FANOUT_TRY(CheckShape(in));
    const json& m = in.manifest;
    const json source = m.value("source", json::object());
    if (!first) {
      first = &in;
    } else if (!SameSource(first->manifest.value("source", json::object()), source)) {
      return MakeError(fmt::format(
          "the shards built different sources: {} has {}, {} has {}; build every shard from "
          "the same commit",
          first->path, DescribeSource(first->manifest.value("source", json::object())), in.path,
          DescribeSource(source)));
    }
    for (const json& t : m["targets"]) {
      const std::string name = t["name"].get<std::string>();
      if (t["status"] == "skipped") {
        not_requested.insert(name);
        continue;
      }
      auto [it, inserted] = built.try_emplace(name, t, &in.path);
      if (!inserted) {
        return MakeError(
            fmt::format("target '{}' is in both {} and {}; each target must be built "
                        "by exactly one shard (split with 'fanout matrix')",
                        name, *it->second.second, in.path));
      }
    }
    for (const json& s : m.value("skipped", json::array())) {
      if (s.is_string()) unaffected.insert(s.get<std::string>());
    }
    if (m.value("status", "") == "interrupted") interrupted = true;
    const json timings = m.value("timings", json::object());
    wall = std::max(wall, timings.value("wall_seconds", 0.0));
    busy += timings.value("busy_seconds", 0.0);
  }
  for (const std::string& name : not_requested) {
    if (!built.count(name) && !unaffected.count(name)) {
      return MakeError(fmt::format(
          "target '{}' was built by no shard: every manifest lists it as not requested; merge "
          "every shard's manifest, and build each shard with the same options (such as --base) "
          "that 'fanout matrix' planned with",
          name));
    }
  }

  json targets = json::array();
  bool all_ok = true;
  for (auto& [name, entry] : built) {  // the map iterates in name order
    all_ok = all_ok && EntrySucceeded(entry.first);
    targets.push_back(entry.first);
  }
  std::vector<std::string> skipped;
  for (const std::string& name : unaffected) {
    if (!built.count(name)) skipped.push_back(name);
  }

  json merged;
  merged["version"] = 1;
  merged["source"] = first->manifest.value("source", json::object());
  merged["targets"] = std::move(targets);
  merged["skipped"] = std::move(skipped);
  merged["status"] = interrupted ? "interrupted" : all_ok ? "succeeded" : "failed";
  merged["timings"] = {{"wall_seconds", wall}, {"busy_seconds", busy}};
  return merged;
}

Status MergeManifestFiles(const std::vector<std::string>& paths, const std::string& out) {
  std::vector<ShardManifest> inputs;
  for (const std::string& path : paths) {
    auto text = ReadFile(path);
    if (!text.ok()) return MakeError(text.error().message);
    json m = json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (m.is_discarded()) return MakeError(fmt::format("{}: not valid JSON", path));
    inputs.push_back({path, std::move(m)});
  }
  auto merged = MergeManifests(inputs);
  if (!merged.ok()) return merged.error();
  return WriteFileAtomically(out, merged->dump(2) + "\n");
}

}  // namespace fanout
