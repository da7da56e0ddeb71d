// The records `fanout exec` leaves in BUILD/targets/<t>/ (docs/architecture.md, "Files between
// stages"): result.json on success (written atomically and last) and failure.json when the
// target failed, timed out or was interrupted. `fanout gather` and `fanout report` read them
// back with the same field tables (records/field_table.h).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/expected.h"
#include "records/field_table.h"
#include "records/target_status.h"

namespace fanout::records {

/// The format version of result.json and failure.json.
inline constexpr int kTargetRecordVersion = 1;

/// One collected artifact, as result.json lists it.
struct ArtifactRecord {
  std::string path;  ///< relative to out/
  std::uint64_t size = 0;
  std::string sha256;  ///< hex
  static const std::vector<Field<ArtifactRecord>>& Fields();
  bool operator==(const ArtifactRecord&) const = default;
};

/// The image an image target built (its out/image OCI layout): the digests a registry shows.
struct ImageRecord {
  std::string manifest_digest;  ///< "sha256:<hex>"
  std::string config_digest;    ///< "sha256:<hex>"
  std::uint64_t size = 0;       ///< manifest, config and layers, in bytes
  /// Where the layout is, relative to the target's out/ ("image").
  std::string layout;
  static const std::vector<Field<ImageRecord>>& Fields();
  bool operator==(const ImageRecord&) const = default;
};

/// What Landlock restricted in the process tier.
struct LandlockRecord {
  int abi = 0;                         ///< the Landlock ABI version used
  std::vector<std::string> restricts;  ///< "read", "write"
  static const std::vector<Field<LandlockRecord>>& Fields();
  bool operator==(const LandlockRecord&) const = default;
};

/// How the target was sandboxed: the `sandbox` object of result.json and failure.json.
struct SandboxRecord {
  std::string tier;                            ///< "namespaces" or "process"
  std::optional<std::string> fallback_reason;  ///< why not namespaces
  /// How each declared limit ("memory", "pids", "nofile") was enforced: "cgroup v1",
  /// "cgroup v2" or "rlimit".
  std::map<std::string, std::string> limits;
  std::optional<std::string> limits_fallback_reason;  ///< why memory or pids are rlimits
  /// Unset when Landlock was not used (the namespaces tier, or a kernel without it).
  std::optional<LandlockRecord> landlock;
  static const std::vector<Field<SandboxRecord>>& Fields();
  bool operator==(const SandboxRecord&) const = default;
};

/// The source a target was built from.
struct SourceRecord {
  std::optional<std::string> commit;  ///< unset: a work-tree snapshot
  std::string tree;
  /// Built from uncommitted changes (SourceState::dirty): `commit` is HEAD, not what was built.
  /// Unset in records written before the field was added (read as clean).
  std::optional<bool> dirty{};
  static const std::vector<Field<SourceRecord>>& Fields();
  bool operator==(const SourceRecord&) const = default;
};

/// The format version of the action key and of the cache entry. Raising it makes every
/// earlier entry unreachable (a new key for every target).
inline constexpr int kActionKeyVersion = 1;

/// A target's action key and what it is made of.
struct ActionRecord {
  std::string key;  ///< sha256 hex of the parts below (ComputeActionKey)
  int version = kActionKeyVersion;
  /// The target's input digest (its stamp): the files its inputs match, by path, mode and
  /// blob id, and its definition digest.
  std::string input_digest;
  /// The definition digest (part of input_digest; kept apart to say which one changed).
  std::string definition_digest;
  /// sha256 of the `pass_env` variables as the command gets them (name and value, or unset).
  std::string env_digest;
  /// Each dependency's ResultDigest: what the target's command saw of it.
  std::map<std::string, std::string> deps;
  /// "linux/x86_64": results of one machine type are not reused on another.
  std::string platform;
  static const std::vector<Field<ActionRecord>>& Fields();
  bool operator==(const ActionRecord&) const = default;
};

/// Where a restored result came from.
struct CachedRecord {
  std::string store;                     ///< "local" or "remote"
  std::string where;                     ///< the cache directory, or the URL without credentials
  double original_duration_seconds = 0;  ///< how long the run that made it took
  double original_finished_at = 0;       ///< unix seconds
  static const std::vector<Field<CachedRecord>>& Fields();
  bool operator==(const CachedRecord&) const = default;
};

/// result.json.
struct SuccessRecord {
  std::string target;
  TargetStatus status = TargetStatus::kSucceeded;  ///< succeeded, flaky (after retries), cached
  int exit_code = 0;
  int attempts = 1;
  double started_at = 0;   ///< unix seconds
  double finished_at = 0;  ///< unix seconds
  double duration_seconds = 0;
  SourceRecord source;
  std::string input_digest;
  SandboxRecord sandbox;
  std::vector<ArtifactRecord> artifacts;
  std::string log;                   ///< relative to the build directory
  std::optional<ImageRecord> image;  ///< an image target's image; left out for others
  /// The action key and its parts (records/action_record.h); unset in records of fanout
  /// versions before the action cache.
  std::optional<ActionRecord> action;
  /// Set when the result was restored from the action cache (status `cached`).
  std::optional<CachedRecord> cached;
  static const std::vector<Field<SuccessRecord>>& Fields();
  bool operator==(const SuccessRecord&) const = default;
};

/// failure.json.
struct FailureRecord {
  std::string target;
  TargetStatus status = TargetStatus::kFailed;  ///< failed, timed_out or interrupted
  int exit_code = 1;
  std::optional<int> signal;
  int attempts = 1;
  double duration_seconds = 0;
  /// Unix seconds; unset in records of fanout versions before `fanout trace` (the timeline
  /// leaves such a target out).
  std::optional<double> started_at;
  std::optional<double> finished_at;  ///< unix seconds; started_at + duration_seconds
  std::string message;
  std::string log_tail;
  std::optional<SandboxRecord> sandbox;  ///< unset when setup failed before the tier was chosen
  static const std::vector<Field<FailureRecord>>& Fields();
  bool operator==(const FailureRecord&) const = default;
};

/// What to do about an unreadable result.json or failure.json.
inline constexpr const char* kTargetRecordRemedy =
    "rebuild the target (delete the file and run 'fanout build' again)";

/// The text of result.json, failure.json.
std::string SuccessText(const SuccessRecord& r);
std::string FailureText(const FailureRecord& r);

/// Parses result.json, failure.json text read from `path` (named in errors).
Expected<SuccessRecord> ParseSuccess(const std::string& text, const std::string& path);
Expected<FailureRecord> ParseFailure(const std::string& text, const std::string& path);

/// Reads result.json, failure.json at `path`; a missing file is an error too.
Expected<SuccessRecord> ReadSuccess(const std::string& path);
Expected<FailureRecord> ReadFailure(const std::string& path);

/// Writes result.json, failure.json at `path` atomically.
Status WriteSuccess(const std::string& path, const SuccessRecord& r);
Status WriteFailure(const std::string& path, const FailureRecord& r);

}  // namespace fanout::records
