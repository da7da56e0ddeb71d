// The two records of a run as a whole (docs/architecture.md, "Files between stages"):
// BUILD/.fanout/build.json, what `fanout build` notes about the run it drives, and
// BUILD/.fanout/post_submit.json, what the post-submit step did for one manifest. Both are
// written and read through one field table each (records/field_table.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/expected.h"
#include "records/field_table.h"
#include "records/target_status.h"

namespace fanout::records {

/// The format version of build.json and post_submit.json.
inline constexpr int kRunRecordVersion = 1;

/// Where `fanout build` keeps its BuildRecord, relative to the build directory.
inline constexpr const char* kBuildRecordPath = ".fanout/build.json";
/// Where the post-submit step keeps its PostSubmitRecord, relative to the build directory.
inline constexpr const char* kPostSubmitRecordPath = ".fanout/post_submit.json";

/// What `fanout build` notes about a run: how to read the absence of a target's record
/// (stopped early, interrupted, not requested).
struct BuildRecord {
  double started_at = 0;   ///< unix seconds, before Ninja started
  double finished_at = 0;  ///< 0 while the build runs
  bool fail_fast = false;
  int keep_going = 0;                  ///< ninja's -k (0: keep going)
  std::vector<std::string> requested;  ///< targets named on the command line; empty: all
  bool interrupted = false;
  int ninja_exit_code = -1;  ///< -1: not known
  static const std::vector<Field<BuildRecord>>& Fields();
  bool operator==(const BuildRecord&) const = default;
};

/// What the post-submit step did, for the manifest whose SHA-256 it names. A step that was
/// not run (a pull request, --no-post-submit) is recorded as skipped with the reason.
struct PostSubmitRecord {
  TargetStatus status = TargetStatus::kFailed;
  std::string command;
  std::optional<int> exit_code;  ///< null when it did not run
  std::optional<int> signal;     ///< the signal that ended it, null when none
  double started_at = 0;         ///< unix seconds
  double finished_at = 0;        ///< unix seconds
  double duration_seconds = 0;
  std::string message;   ///< why it failed or was not run; "" when it succeeded
  std::string log;       ///< relative to the build directory; "" when it did not run
  std::string log_tail;  ///< the last lines of the log, for a failure
  std::string manifest_sha256;
  /// What the step published: the SHA-256 of every successful target's artifact digests and
  /// image digest (report/gather.cc, ArtifactsDigest). Unset in records of older versions.
  std::optional<std::string> artifacts_sha256;
  static const std::vector<Field<PostSubmitRecord>>& Fields();
  bool operator==(const PostSubmitRecord&) const = default;
};

/// What to do about an unreadable build.json or post_submit.json.
inline constexpr const char* kRunRecordRemedy =
    "it is rewritten by the next 'fanout build' (or 'fanout gather --post-submit'); remove it to "
    "go on without it";

std::string BuildRecordText(const BuildRecord& r);
std::string PostSubmitRecordText(const PostSubmitRecord& r);
/// Parses build.json, post_submit.json text read from `path` (named in errors).
Expected<BuildRecord> ParseBuildRecord(const std::string& text, const std::string& path);
Expected<PostSubmitRecord> ParsePostSubmitRecord(const std::string& text, const std::string& path);
/// Writes BUILD/.fanout/build.json, BUILD/.fanout/post_submit.json atomically.
Status WriteBuildRecord(const std::string& build_dir, const BuildRecord& r);
Status WritePostSubmitRecord(const std::string& build_dir, const PostSubmitRecord& r);

}  // namespace fanout::records
