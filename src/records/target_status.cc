#include "records/target_status.h"

namespace fanout {

std::string_view StatusName(TargetStatus status) {
  switch (status) {
    case TargetStatus::kSucceeded:
      return "succeeded";
    case TargetStatus::kFlaky:
      return "flaky";
    case TargetStatus::kCached:
      return "cached";
    case TargetStatus::kFailed:
      return "failed";
    case TargetStatus::kTimedOut:
      return "timed_out";
    case TargetStatus::kInterrupted:
      return "interrupted";
    case TargetStatus::kBlocked:
      return "blocked";
    case TargetStatus::kSkipped:
      return "skipped";
  }
  return "failed";
}

std::optional<TargetStatus> ParseStatus(std::string_view name) {
  for (TargetStatus s : kAllStatuses) {
    if (StatusName(s) == name) return s;
  }
  return std::nullopt;
}

bool IsSuccess(TargetStatus status) {
  return status == TargetStatus::kSucceeded || status == TargetStatus::kFlaky ||
         status == TargetStatus::kCached || status == TargetStatus::kSkipped;
}

bool IsProblem(TargetStatus status) { return !IsSuccess(status); }

}  // namespace fanout
