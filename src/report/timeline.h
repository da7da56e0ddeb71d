// The timeline of the last build: one bar per target that ran in it, placed on a slot (a row:
// no two bars of one slot overlap), with the critical path marked (report/critical_path.h).
// `fanout trace` writes it as Chrome trace events (report/trace_json.h) and as an HTML page
// (report/timeline_html.h); docs/cli.md, "fanout trace", says what is shown and why.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/expected.h"
#include "plan/plan.h"
#include "records/target_status.h"
#include "report/report.h"

namespace fanout {

/// One target that ran in the build.
struct TimelineBar {
  std::string name;
  std::string pool;  ///< empty: no pool
  TargetStatus status = TargetStatus::kSucceeded;
  double start = 0;     ///< seconds after Timeline::origin
  double duration = 0;  ///< seconds, as recorded
  int attempts = 0;
  std::optional<int> exit_code;
  std::string message;  ///< the report's reason ("exited with status 3"), may be empty
  int slot = 0;         ///< 0-based row
  bool critical = false;

  double finish() const { return start + duration; }
};

/// A target of the plan that has no bar, and why (its report status and message).
struct TimelineAbsent {
  std::string name;
  TargetStatus status = TargetStatus::kBlocked;
  std::string message;
};

/// The whole timeline.
struct Timeline {
  /// Unix seconds every bar's start counts from: the build's start (build.json) when known,
  /// else the earliest bar's start.
  double origin = 0;
  /// Seconds from the origin to the end of the build (its finish when known, else the last
  /// bar's finish).
  double span = 0;
  int slots = 0;
  /// Sorted by start, then name.
  std::vector<TimelineBar> bars;
  /// The post-submit step when it ran in this build (post_submit.json, for the current
  /// manifest, started at or after the build): named kPostSubmitName, on a row of its own
  /// after the slots (its `slot` is `slots`), never on the critical path.
  std::optional<TimelineBar> post_submit;
  /// The critical path's targets, first to last (empty when nothing ran).
  std::vector<std::string> critical_path;
  /// Planned and skipped targets that did not run in this build, sorted by name.
  std::vector<TimelineAbsent> absent;
  /// The pools of the plan, sorted, for colours and the legend ("" for no pool comes first).
  std::vector<std::string> pools;
  std::string summary;  ///< Report::SummaryLine()
};

/// Gives each interval [start, finish) the lowest slot free at its start, taking them in
/// order of start (ties: in the given order). Returns the slot of each, by index.
std::vector<int> AssignSlots(const std::vector<std::pair<double, double>>& intervals);

/// Builds the timeline (pure): a bar for every target whose result.json or failure.json was
/// written by this build and records when it ran; slots; the critical path; the post-submit
/// step's bar.
Timeline MakeTimeline(const Plan& plan, const ReportInputs& inputs, const Report& report);

/// ReadPlan + ReadReportInputs + DeriveReport + MakeTimeline.
Expected<Timeline> LoadTimeline(const std::string& build_dir);

}  // namespace fanout
