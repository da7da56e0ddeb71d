#include "src/gather.h"

#include <unistd.h>

#include <algorithm>

#include <boost/filesystem.hpp>
#include <fmt/format.h>

#include "src/build_layout.h"
#include "src/exit_codes.h"
#include "src/file_util.h"
#include "src/snapshot.h"

namespace fanout {

namespace fs = boost::filesystem;
using nlohmann::json;

Expected<json> ReadResult(const std::string& build_dir, const std::string& target) {
  std::string path = build_dir + "/" + layout::ResultPath(target);
  auto text = ReadFile(path);
  if (!text.ok()) return MakeError(text.error().message, kExitTargetFailed);
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return MakeError(fmt::format("{}: not a valid result; rebuild the target", path),
                     kExitTargetFailed);
  }
  return j;
}

namespace {

/// Places `src` at `dst`: a hard link when possible (same file system), else a copy.
Status LinkOrCopy(const std::string& src, const std::string& dst) {
  boost::system::error_code ec;
  fs::create_directories(fs::path(dst).parent_path(), ec);
  fs::remove(dst, ec);
  if (link(src.c_str(), dst.c_str()) == 0) return {};
  fs::copy_file(src, dst, fs::copy_options::overwrite_existing, ec);
  if (ec) return MakeError(fmt::format("cannot copy '{}' to '{}': {}", src, dst, ec.message()));
  return {};
}

}  // namespace

Expected<json> GatherManifest(const std::string& build_dir, const Plan& plan) {
  json manifest;
  manifest["version"] = 1;
  auto source = ReadSourceState(build_dir);
  if (source.ok()) {
    manifest["source"] = {{"source", source->source},
                          {"commit", source->commit ? json(*source->commit) : json(nullptr)},
                          {"tree", source->tree}};
  } else {
    manifest["source"] = {{"source", plan.source}, {"commit", nullptr}, {"tree", nullptr}};
  }
  const std::string artifacts_root = build_dir + "/" + layout::kArtifactsDir;
  boost::system::error_code ec;
  fs::remove_all(artifacts_root, ec);  // a fresh tree: nothing stale reaches post-submit

  json targets = json::array();
  double first_start = 0, last_end = 0, busy = 0;
  bool all_ok = true;
  for (const PlanTarget& t : plan.targets) {
    const std::string& name = t.def.name;
    auto result = ReadResult(build_dir, name);
    json entry;
    entry["name"] = name;
    entry["tier"] = t.tier;
    if (!result.ok()) {
      entry["status"] = "missing";
      all_ok = false;
      targets.push_back(entry);
      continue;
    }
    const json& r = *result;
    entry["status"] = r.value("status", "succeeded");
    entry["exit_code"] = r.value("exit_code", 0);
    entry["attempts"] = r.value("attempts", 1);
    entry["duration_seconds"] = r.value("duration_seconds", 0.0);
    entry["started_at"] = r.value("started_at", 0.0);
    entry["finished_at"] = r.value("finished_at", 0.0);
    entry["source"] = r.value("source", json::object());
    entry["input_digest"] = r.value("input_digest", "");
    entry["sandbox"] = r.value("sandbox", json::object());
    entry["log"] = layout::LogPath(name);
    double start = entry["started_at"].get<double>(), end = entry["finished_at"].get<double>();
    if (start > 0 && (first_start == 0 || start < first_start)) first_start = start;
    last_end = std::max(last_end, end);
    busy += entry["duration_seconds"].get<double>();

    json artifacts = json::array();
    for (const json& a : r.value("artifacts", json::array())) {
      const std::string rel = a.at("path").get<std::string>();
      const std::string src = build_dir + "/" + layout::OutDir(name) + "/" + rel;
      auto sha = Sha256File(src);
      if (!sha.ok()) return sha.error();
      if (*sha != a.value("sha256", "")) {
        return MakeError(fmt::format("artifact '{}' of target '{}' changed after it was built "
                                     "(sha256 {} != {}); rebuild it",
                                     rel, name, *sha, a.value("sha256", "")),
                         kExitTargetFailed);
      }
      const std::string gathered = std::string(layout::kArtifactsDir) + "/" + name + "/" + rel;
      FANOUT_TRY(LinkOrCopy(src, build_dir + "/" + gathered));
      artifacts.push_back({{"path", rel},
                           {"size", fs::file_size(src, ec)},
                           {"sha256", *sha},
                           {"gathered", gathered}});
    }
    entry["artifacts"] = std::move(artifacts);
    targets.push_back(std::move(entry));
  }
  manifest["targets"] = std::move(targets);
  manifest["skipped"] = plan.skipped;
  manifest["status"] = all_ok ? "succeeded" : "failed";
  manifest["timings"] = {{"wall_seconds", last_end > first_start ? last_end - first_start : 0.0},
                         {"busy_seconds", busy}};
  return manifest;
}

Status RunGather(const std::string& build_dir) {
  auto plan = ReadPlan(build_dir);
  if (!plan.ok()) return plan.error();
  auto manifest = GatherManifest(build_dir, *plan);
  if (!manifest.ok()) return manifest.error();
  return WriteFileAtomically(build_dir + "/" + layout::kManifest, manifest->dump(2) + "\n");
}

}  // namespace fanout
