// The report model: what became of every target of the last build, derived from the records
// `fanout exec` leaves (result.json, failure.json), the plan, and what `fanout build` noted
// about the run (build.json). The writers (report/table.h, report/markdown.h, junit.h) only
// render it.
//
// A target that left no record of this build never started. Its status says why:
//  - `blocked`     a dependency (transitively) failed, timed out, was interrupted or is blocked;
//                  also a target the build stopped before (`--fail-fast`, `-k N`), with the
//                  reason "not started: ..." (a blocked target never ran, whatever stopped it);
//  - `interrupted` the build was interrupted before the target started;
//  - `skipped`     unaffected by the change (plan.skipped), or not among the requested targets.
// A target whose log was written during this build but that left no record did start: it is
// `interrupted`: "interrupted as it finished" when the build was (Ninja removes the outputs of
// the edges it interrupts), else its runner died without recording; never `failed`, since
// nothing says its command failed.
// Records from an earlier build (older than build.json's start) describe this build only when
// Ninja had no reason to rerun them: a result whose input digest still matches the stamp and
// whose dependencies all succeeded is `succeeded` ("up to date"); anything else never started.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "base/log_tail.h"
#include "plan/plan.h"
#include "records/run_records.h"
#include "records/target_record.h"
#include "records/target_status.h"

namespace fanout {

/// One artifact of a succeeded target.
struct ReportArtifact {
  std::string path;  ///< relative to the target's out/ directory
  std::uint64_t size = 0;
  std::string sha256;
};

/// One row of the report: a target, or the post-submit step.
struct TargetReport {
  std::string name;
  TargetStatus status = TargetStatus::kBlocked;
  /// Why, for anything but a plain success: "exited with status 3", "dependency 'c' failed",
  /// "not started: the build stopped after the first failure (--fail-fast)", "up to date".
  std::string message;
  double duration_seconds = 0;  ///< 0 when it did not run
  int attempts = 0;             ///< 0 when it did not run
  std::optional<int> exit_code;
  /// The log, relative to the build directory; empty when there is none.
  std::string log;
  /// The last lines of the log, for failures (and interruptions).
  std::string log_tail;
  std::vector<ReportArtifact> artifacts;
  /// The record is from an earlier build that Ninja found up to date (not rerun now).
  bool up_to_date = false;
};

using records::BuildRecord;
using records::kBuildRecordPath;
using records::kPostSubmitRecordPath;
using records::PostSubmitRecord;
using records::WriteBuildRecord;

/// The post-submit step's combined output, relative to the build directory.
inline constexpr const char* kPostSubmitLogPath = "post_submit.log";
/// The name the post-submit step goes by in reports (not a valid target name).
inline constexpr const char* kPostSubmitName = "(post-submit)";

/// What one target left in the build directory.
struct TargetEvidence {
  std::optional<records::SuccessRecord> result;   ///< result.json, when present
  std::optional<records::FailureRecord> failure;  ///< failure.json, when present
  /// The record was written before this build started (only known with a build record).
  bool from_earlier_build = false;
  /// The result's input digest differs from the target's current input stamp: its inputs
  /// changed since, so it does not describe this source.
  bool result_out_of_date = false;
  /// The last lines of log.txt, for a failure record that carries no log tail.
  std::string log_tail;
  /// log.txt was written during this build (only known with a build record): the target
  /// started, even when it left no record (Ninja removes the outputs of the edges it
  /// interrupts, and `fanout exec` may have been killed outright).
  bool started_this_build = false;
};

/// Everything the derivation reads, gathered from the build directory (or made up by a test).
struct ReportInputs {
  /// The build record when it describes the last run in this directory (a plain `ninja`
  /// since then makes it stale, and it is left out).
  std::optional<BuildRecord> build;
  std::map<std::string, TargetEvidence> evidence;  ///< by target name; missing: no records
  /// The post-submit step's record (post_submit.json), when it ran for the current manifest.
  std::optional<PostSubmitRecord> post_submit;
};

/// The whole report.
struct Report {
  /// Planned and skipped targets, sorted by name.
  std::vector<TargetReport> targets;
  /// The post-submit step, when the description has one.
  std::optional<TargetReport> post_submit;
  bool interrupted = false;  ///< the build was interrupted
  double wall_seconds = 0;   ///< the build's elapsed time, when known
  double started_at = 0;     ///< unix seconds, when known (JUnit's timestamp)

  /// How many targets have `status`.
  int Count(TargetStatus status) const;
  /// "5 targets: 3 succeeded, 1 failed, 1 blocked" (statuses with a zero count left out),
  /// then "; post-submit failed" when there is a post-submit step.
  std::string SummaryLine() const;
  /// The exit code the report implies (DESIGN.md): 130 interrupted, 1 when any target or the
  /// post-submit step has a problem status, else 0.
  int ExitCode() const;
};

/// Derives every target's status from the plan and the evidence (pure; see the file comment).
Report DeriveReport(const Plan& plan, const ReportInputs& inputs);

/// Reads the build directory (plan, records, stamps, build.json, post_submit.json) into
/// ReportInputs. A result.json or failure.json that is not a valid record is an error naming
/// it (records/target_record.h).
Expected<ReportInputs> ReadReportInputs(const std::string& build_dir, const Plan& plan);

/// ReadPlan + ReadReportInputs + DeriveReport.
Expected<Report> LoadReport(const std::string& build_dir);

}  // namespace fanout
