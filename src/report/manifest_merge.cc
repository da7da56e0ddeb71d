#include "report/manifest_merge.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "base/file_util.h"
#include "git/source.h"

namespace fanout {

namespace {

using records::Manifest;
using records::ManifestSource;
using records::ManifestTarget;

std::string DescribeSource(const ManifestSource& source) {
  return fmt::format("commit {} (tree {})", source.commit.value_or("none"),
                     source.tree.value_or("none"));
}

bool SameSource(const ManifestSource& a, const ManifestSource& b) {
  return a.commit == b.commit && a.tree == b.tree;
}

/// The shards' sources as one: dirty when any shard was, with the union of their changed paths
/// (each shard lists those its own targets read), capped as a snapshot caps them. What the
/// shards left unlisted is counted as far as it is known (the largest shard's count).
ManifestSource MergeSources(const std::vector<ShardManifest>& inputs) {
  ManifestSource merged = inputs.front().manifest.source;
  std::set<std::string> paths;
  std::uint64_t largest = 0;
  bool any_known = false, dirty = false;
  for (const ShardManifest& in : inputs) {
    const ManifestSource& s = in.manifest.source;
    if (!s.dirty) continue;
    any_known = true;
    dirty = dirty || *s.dirty;
    const std::vector<std::string> none;
    const std::vector<std::string>& listed = s.changed_paths ? *s.changed_paths : none;
    paths.insert(listed.begin(), listed.end());
    largest = std::max<std::uint64_t>(largest, listed.size() + s.changed_paths_omitted.value_or(0));
  }
  if (!any_known) return merged;
  merged.dirty = dirty;
  std::vector<std::string> listed;
  for (const std::string& p : paths) {
    if (listed.size() == kMaxChangedPaths) break;
    listed.push_back(p);
  }
  const std::uint64_t total = std::max<std::uint64_t>(paths.size(), largest);
  merged.changed_paths_omitted = total - listed.size();
  merged.changed_paths = std::move(listed);
  return merged;
}

}  // namespace

Expected<Manifest> MergeManifests(const std::vector<ShardManifest>& inputs) {
  if (inputs.empty()) return MakeError("no manifests to merge");
  std::map<std::string, std::pair<ManifestTarget, const std::string*>> built;  // name -> entry
  std::set<std::string> unaffected, not_requested;
  std::map<std::string, const std::string*> imported;  // name -> a manifest that imported it
  double wall = 0, busy = 0;
  bool interrupted = false;
  const ShardManifest* first = nullptr;
  for (const ShardManifest& in : inputs) {
    const Manifest& m = in.manifest;
    if (!first) {
      first = &in;
    } else if (!SameSource(first->manifest.source, m.source)) {
      return MakeError(fmt::format(
          "the shards built different sources: {} has {}, {} has {}; build every shard from "
          "the same commit",
          first->path, DescribeSource(first->manifest.source), in.path, DescribeSource(m.source)));
    }
    for (const ManifestTarget& t : m.targets) {
      if (t.status == TargetStatus::kSkipped) {
        not_requested.insert(t.name);
        continue;
      }
      // Taken from an earlier tier: that tier's manifest has the entry that built it.
      if (t.imported_from) {
        imported.try_emplace(t.name, &in.path);
        continue;
      }
      auto [it, inserted] = built.try_emplace(t.name, t, &in.path);
      if (!inserted) {
        return MakeError(
            fmt::format("target '{}' is in both {} and {}; each target must be built "
                        "by exactly one shard (split with 'fanout matrix')",
                        t.name, *it->second.second, in.path));
      }
    }
    unaffected.insert(m.skipped.begin(), m.skipped.end());
    if (m.status == TargetStatus::kInterrupted) interrupted = true;
    wall = std::max(wall, m.timings.wall_seconds);
    busy += m.timings.busy_seconds;
  }
  for (const auto& [name, path] : imported) {
    if (!built.count(name)) {
      return MakeError(fmt::format(
          "target '{}' was taken from an earlier tier by {}, but no manifest given built it; "
          "merge the manifests of every tier",
          name, *path));
    }
  }
  for (const std::string& name : not_requested) {
    if (!built.count(name) && !unaffected.count(name) && !imported.count(name)) {
      return MakeError(fmt::format(
          "target '{}' was built by no shard: every manifest lists it as not requested; merge "
          "every shard's manifest, and build each shard with the same options (such as --base) "
          "that 'fanout matrix' planned with",
          name));
    }
  }

  Manifest merged;
  merged.source = MergeSources(inputs);
  bool all_ok = true;
  for (auto& [name, entry] : built) {  // the map iterates in name order
    all_ok = all_ok && entry.first.Succeeded();
    merged.targets.push_back(entry.first);
  }
  for (const std::string& name : unaffected) {
    if (!built.count(name)) merged.skipped.push_back(name);
  }
  merged.status = interrupted ? TargetStatus::kInterrupted
                  : all_ok    ? TargetStatus::kSucceeded
                              : TargetStatus::kFailed;
  merged.timings = {wall, busy};
  return merged;
}

Status MergeManifestFiles(const std::vector<std::string>& paths, const std::string& out) {
  std::vector<ShardManifest> inputs;
  for (const std::string& path : paths) {
    auto m = records::ReadManifest(path);
    if (!m.ok()) return MakeError(m.error().message);
    inputs.push_back({path, std::move(*m)});
  }
  auto merged = MergeManifests(inputs);
  if (!merged.ok()) return merged.error();
  return records::WriteManifest(out, *merged);
}

}  // namespace fanout
