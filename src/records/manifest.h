// manifest.json (docs/architecture.md, "Files between stages"): what `fanout gather` writes
// for the post-submit step and for users' scripts, and what `fanout matrix --merge` reads from
// every shard and writes merged. One field table per record (records/field_table.h) writes and
// reads it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/expected.h"
#include "records/field_table.h"
#include "records/target_record.h"
#include "records/target_status.h"

namespace fanout::records {

/// The format version of manifest.json.
inline constexpr int kManifestVersion = 1;

/// What the build was built from.
struct ManifestSource {
  std::string source;                 ///< "worktree" or the revision asked for
  std::optional<std::string> commit;  ///< null for a work-tree snapshot
  std::optional<std::string> tree;    ///< null when the snapshot left no source record
  /// Built from uncommitted changes (SourceState::dirty); unset when the snapshot left no
  /// source record, and in manifests written before the field was added.
  std::optional<bool> dirty{};
  /// The paths that differ from `commit`, sorted, at most kMaxChangedPaths (empty when clean).
  std::optional<std::vector<std::string>> changed_paths{};
  /// How many more paths differ than `changed_paths` lists.
  std::optional<std::uint64_t> changed_paths_omitted{};
  static const std::vector<Field<ManifestSource>>& Fields();
  bool operator==(const ManifestSource&) const = default;
};

/// One gathered artifact.
struct ManifestArtifact {
  std::string path;  ///< relative to the target's out/
  std::uint64_t size = 0;
  std::string sha256;
  std::string gathered;  ///< relative to the build directory: artifacts/<t>/<path>
  static const std::vector<Field<ManifestArtifact>>& Fields();
  bool operator==(const ManifestArtifact&) const = default;
};

/// One reference `fanout publish` left pointing at an image.
struct PushedReference {
  std::string reference;  ///< "registry/repo@sha256:..." or "registry/repo:tag"
  std::string digest;     ///< the manifest digest the registry holds under it
  /// "pushed" (this run sent it) or "present" (the registry had it: nothing sent)
  std::string state;
  static const std::vector<Field<PushedReference>>& Fields();
  bool operator==(const PushedReference&) const = default;
};

/// An image target's image in the manifest.
struct ManifestImage {
  std::string manifest_digest;  ///< "sha256:<hex>": what a registry shows
  std::string config_digest;    ///< "sha256:<hex>"
  std::uint64_t size = 0;
  std::string layout;             ///< the OCI layout, relative to the build directory
  std::vector<std::string> tags;  ///< the target's tag templates, resolved
  /// Set by `fanout publish`: each repository by digest, then each tag (docs/images.md).
  std::optional<std::vector<PushedReference>> pushed;
  /// The tag templates left out because they name a commit the image was not built from (a
  /// build of uncommitted changes, or no commit): image/tags.h. Unset when none was.
  std::optional<std::vector<std::string>> dropped_tags{};
  static const std::vector<Field<ManifestImage>>& Fields();
  bool operator==(const ManifestImage&) const = default;
};

/// One planned target. A target that succeeded carries its result's fields and `artifacts`;
/// one that did not carries `message` (and `log` when it ran) instead.
struct ManifestTarget {
  std::string name;
  int tier = 0;
  TargetStatus status = TargetStatus::kFailed;
  std::optional<std::string> message;
  std::optional<int> exit_code;
  std::optional<int> attempts;
  std::optional<double> duration_seconds;
  std::optional<double> started_at;
  std::optional<double> finished_at;
  std::optional<SourceRecord> source;
  std::optional<std::string> input_digest;
  std::optional<SandboxRecord> sandbox;
  std::optional<std::string> log;
  std::optional<std::vector<ManifestArtifact>> artifacts;
  std::optional<ManifestImage> image;  ///< an image target that succeeded
  /// For a success: "rebuilt" when its result is new since the previous manifest of this
  /// build directory (or there was none), "up_to_date" when it is the same result.
  std::optional<std::string> change;
  /// A result taken from an earlier tier (`fanout build --from`): the directory it came from.
  /// Such a target was built by that tier, not by this build; a merge keeps that tier's entry.
  std::optional<std::string> imported_from{};
  static const std::vector<Field<ManifestTarget>>& Fields();
  bool operator==(const ManifestTarget&) const = default;

  /// A success a post-submit step can use: succeeded, flaky or cached, with artifacts.
  bool Succeeded() const;
};

struct ManifestTimings {
  double wall_seconds = 0;
  double busy_seconds = 0;
  static const std::vector<Field<ManifestTimings>>& Fields();
  bool operator==(const ManifestTimings&) const = default;
};

/// manifest.json.
struct Manifest {
  ManifestSource source;
  std::vector<ManifestTarget> targets;
  std::vector<std::string> skipped;  ///< unaffected by the change
  /// succeeded, failed or interrupted.
  TargetStatus status = TargetStatus::kSucceeded;
  ManifestTimings timings;
  static const std::vector<Field<Manifest>>& Fields();
  bool operator==(const Manifest&) const = default;
};

/// What to do about an unreadable manifest.
inline constexpr const char* kManifestRemedy =
    "run 'fanout gather' again in its build directory (or 'fanout build')";

/// The text of manifest.json.
std::string ManifestText(const Manifest& m);
/// Parses manifest.json text read from `path` (named in errors).
Expected<Manifest> ParseManifest(const std::string& text, const std::string& path);
/// Reads the manifest at `path`; a missing file is an error too.
Expected<Manifest> ReadManifest(const std::string& path);
/// Writes the manifest to `path` atomically.
Status WriteManifest(const std::string& path, const Manifest& m);

}  // namespace fanout::records
