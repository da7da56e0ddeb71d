// What the tests of src/report/ share: plans, the records a target leaves (typed, as
// `fanout exec` writes them), a sample report, an XML parser, and a build directory.
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "plan/plan.h"
#include "records/target_record.h"
#include "records/target_status.h"
#include "report/report.h"
#include "test_util.h"

namespace fanout::report_test {

PlanTarget MakeTarget(const std::string& name, std::vector<std::string> deps = {});
/// A plan with the given targets (sorted, as plans are).
Plan MakePlanOf(std::vector<PlanTarget> targets);

/// A result.json record: succeeded (flaky with `attempts` > 1, unless `status` says otherwise)
/// with one artifact x.tar of 2048 bytes.
records::SuccessRecord Success(int attempts = 1, std::optional<TargetStatus> status = {});
/// A failure.json record: exited with status 3 after 1.25 s, with `tail` as its log tail.
records::FailureRecord Failure(TargetStatus status = TargetStatus::kFailed,
                               const std::string& tail = "boom");
TargetEvidence WithResult(records::SuccessRecord r);
TargetEvidence WithFailure(records::FailureRecord f);

/// The row of `name` (a test failure when there is none).
const TargetReport& Row(const Report& r, const std::string& name);

/// Parses XML with Python's xml.etree (a real XML parser) into
/// {"tag", "attrib", "text", "children"} JSON; fails the test when it is not well-formed.
nlohmann::json ParseXml(const std::string& path);
std::vector<nlohmann::json> Children(const nlohmann::json& node, const std::string& tag);

/// A report with a target of every kind of outcome; `tail` is the failed target's log tail.
Report SampleReport(const std::string& tail);

void SetMTime(const std::string& path, double unix_seconds);

/// A build directory with the plan of a, b and c (c needs b).
class ReportDir : public ::testing::Test {
 protected:
  void SetUp() override;
  /// Writes the record's file at `rel` with the modification time `mtime`.
  void Put(const std::string& rel, const records::SuccessRecord& r, double mtime);
  void Put(const std::string& rel, const records::FailureRecord& f, double mtime);
  void PutText(const std::string& rel, const std::string& text, double mtime);
  ::fanout::testing::TempDir dir_;
  Plan plan_;
};

}  // namespace fanout::report_test
