// Where things live in the build directory (docs/architecture.md, "The build directory";
// docs/build-directory.md). All paths are relative to the build directory, which is Ninja's working
// directory.
#pragma once

#include <string>
#include <string_view>

namespace fanout::layout {

inline constexpr const char* kBuildNinja = "build.ninja";
inline constexpr const char* kInternalDir = ".fanout";
inline constexpr const char* kPlan = ".fanout/plan.json";
/// Where each target's object lies in plan.json, for an edge to read only its own
/// (plan/plan_index.h).
inline constexpr const char* kPlanIndex = ".fanout/plan.index";
inline constexpr const char* kRegenStamp = ".fanout/build.ninja.stamp";
inline constexpr const char* kRegenDepfile = ".fanout/build.ninja.d";
inline constexpr const char* kSnapshotStamp = ".fanout/snapshot.stamp";
inline constexpr const char* kSnapshotDepfile = ".fanout/snapshot.d";
/// {"commit": sha|null, "tree": sha, "source": "worktree"|REV}: what the last snapshot saw.
inline constexpr const char* kSource = ".fanout/source.json";
/// The loose objects of work-tree snapshots (blobs of edited and untracked files, and trees):
/// fanout writes them here, never into the repository (git/object_store.h).
inline constexpr const char* kObjectStore = ".fanout/objects";
/// The object store of the build directory `build_dir`.
inline std::string ObjectStorePath(const std::string& build_dir) {
  return build_dir + "/" + kObjectStore;
}
/// Where the process `pid` runs the sandbox probe (sandbox/probe.h) for the build directory
/// `build_dir`: on the file system of its workspaces, made and removed by the probe.
inline std::string ProbeScratchPath(const std::string& build_dir, long pid) {
  return build_dir + "/" + kInternalDir + "/probe-" + std::to_string(pid);
}
inline constexpr const char* kManifest = "manifest.json";
inline constexpr const char* kArtifactsDir = "artifacts";
inline constexpr const char* kJunit = "junit.xml";
inline constexpr const char* kSummary = "summary.md";
/// The last build as Chrome trace events, and as a self-contained HTML page (`fanout trace`).
inline constexpr const char* kTrace = "trace.json";
inline constexpr const char* kTimeline = "timeline.html";
inline constexpr const char* kPostSubmitStamp = ".fanout/post_submit.stamp";

/// The input stamp of a target: the digest of its input set and resolved definition, rewritten
/// by the snapshot edge only when it changes.
inline constexpr const char* kStampsDir = ".fanout/stamps";
/// Every input stamp's digest as of the last snapshot ("NAME DIGEST" lines), so the next one
/// need not open thousands of stamps to find the few that changed.
inline constexpr const char* kStampIndex = ".fanout/stamps.index";
inline std::string StampPath(const std::string& t) {
  return std::string(kStampsDir) + "/" + t + ".stamp";
}
/// The per-target directory holding result.json, log.txt and out/.
inline std::string TargetDir(const std::string& t) { return "targets/" + t; }
inline std::string ResultPath(const std::string& t) { return "targets/" + t + "/result.json"; }
inline std::string LogPath(const std::string& t) { return "targets/" + t + "/log.txt"; }
inline std::string OutDir(const std::string& t) { return "targets/" + t + "/out"; }
/// Written when a target fails or is interrupted (status, exit code, log tail), removed on
/// success; read by `fanout report`.
inline std::string FailurePath(const std::string& t) { return "targets/" + t + "/failure.json"; }
/// The target's private workspace root (sandbox-owned; may be recreated each run).
inline std::string WorkspaceDir(const std::string& t) { return ".fanout/ws/" + t; }
/// Where a run moves the result it replaces, until its own records are written.
inline std::string SupersededResultPath(const std::string& t) {
  return WorkspaceDir(t) + "/superseded-result.json";
}
/// The buildah engine's layer store, shared by the build directory's image targets
/// (image/buildah_build.h); owned by the build uid when fanout runs as root.
inline constexpr const char* kBuildahStore = ".fanout/buildah";

/// Names the generated build uses for its own targets and files at the top of the build
/// directory; a target may not take one (its phony alias would clash).
inline bool IsReservedTargetName(std::string_view name) {
  return name == "all" || name == "gather" || name == "post_submit" || name == kBuildNinja ||
         name == kManifest;
}

}  // namespace fanout::layout
