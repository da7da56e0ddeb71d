// What became of a target (or of the post-submit step) in a build: the `status` of result.json,
// failure.json and manifest.json, typed from the runner that writes it to the reports that
// render it (docs/architecture.md, "Files between stages").
#pragma once

#include <optional>
#include <string_view>

namespace fanout {

/// What became of a target (or of the post-submit step) in a build.
enum class TargetStatus {
  kSucceeded,
  kFlaky,   ///< succeeded after one or more retries
  kCached,  ///< an earlier result reused (reserved for the action cache)
  kFailed,
  kTimedOut,
  kInterrupted,
  kBlocked,  ///< never started: a dependency did not succeed, or the build stopped first
  kSkipped,  ///< not part of this build (unaffected, or not requested)
};

/// Every status, in the order summaries list them.
inline constexpr TargetStatus kAllStatuses[] = {
    TargetStatus::kSucceeded, TargetStatus::kFlaky,    TargetStatus::kCached,
    TargetStatus::kFailed,    TargetStatus::kTimedOut, TargetStatus::kInterrupted,
    TargetStatus::kBlocked,   TargetStatus::kSkipped};

/// "succeeded", "flaky", "cached", "failed", "timed_out", "interrupted", "blocked", "skipped".
std::string_view StatusName(TargetStatus status);
/// The status named `name`, or nullopt.
std::optional<TargetStatus> ParseStatus(std::string_view name);
/// True for the statuses that count as success: succeeded, flaky, cached (and skipped, which
/// is not a failure).
bool IsSuccess(TargetStatus status);
/// True for the statuses that make a build fail: failed, timed_out, interrupted, blocked.
bool IsProblem(TargetStatus status);

}  // namespace fanout
