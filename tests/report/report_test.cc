// report/report.h: the report model, its status derivation from the records a build leaves,
// and reading those records from a build directory.
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/build_layout.h"
#include "base/file_util.h"
#include "report/report.h"
#include "report_fixture.h"
#include "test_util.h"

namespace fanout {
namespace {

using nlohmann::json;
namespace tu = ::fanout::testing;
using namespace ::fanout::report_test;

TEST(DeriveReport, IndependentTargetsSucceedWhileADependencyChainIsBlocked) {
  // a fails; b needs a; c needs b; x and y are independent.
  Plan plan = MakePlanOf({MakeTarget("a"), MakeTarget("b", {"a"}), MakeTarget("c", {"b"}),
                          MakeTarget("x"), MakeTarget("y")});
  ReportInputs in;
  in.evidence["a"] = WithFailure(Failure());
  in.evidence["x"] = WithResult(Success());
  in.evidence["y"] = WithResult(Success());
  Report r = DeriveReport(plan, in);

  EXPECT_EQ(Row(r, "a").status, TargetStatus::kFailed);
  EXPECT_EQ(Row(r, "a").log, "targets/a/log.txt");
  EXPECT_EQ(Row(r, "a").log_tail, "boom");
  EXPECT_EQ(Row(r, "b").status, TargetStatus::kBlocked);
  EXPECT_EQ(Row(r, "b").message, "dependency 'a' failed");
  EXPECT_EQ(Row(r, "c").status, TargetStatus::kBlocked);
  EXPECT_EQ(Row(r, "c").message, "dependency 'a' failed (via 'b')");
  EXPECT_TRUE(Row(r, "c").log.empty()) << "a blocked target never ran, so it has no log";
  EXPECT_EQ(Row(r, "x").status, TargetStatus::kSucceeded);
  ASSERT_EQ(Row(r, "x").artifacts.size(), 1u);
  EXPECT_EQ(Row(r, "x").artifacts[0].size, 2048u);
  EXPECT_EQ(r.SummaryLine(), "5 targets: 2 succeeded, 1 failed, 2 blocked");
  EXPECT_EQ(r.ExitCode(), kExitTargetFailed);
  EXPECT_FALSE(r.interrupted);
}

TEST(DeriveReport, BlockedNamesHowTheRootDependencyEnded) {
  Plan plan = MakePlanOf({MakeTarget("slow"), MakeTarget("after", {"slow"}),
                          MakeTarget("dep2", {"ok", "slow"}), MakeTarget("ok")});
  ReportInputs in;
  in.evidence["slow"] = WithFailure(Failure(TargetStatus::kTimedOut));
  in.evidence["ok"] = WithResult(Success());
  Report r = DeriveReport(plan, in);
  EXPECT_EQ(Row(r, "slow").status, TargetStatus::kTimedOut);
  EXPECT_EQ(Row(r, "after").message, "dependency 'slow' timed out");
  EXPECT_EQ(Row(r, "dep2").status, TargetStatus::kBlocked);
  EXPECT_EQ(Row(r, "dep2").message, "dependency 'slow' timed out");
  EXPECT_EQ(r.SummaryLine(), "4 targets: 1 succeeded, 1 timed out, 2 blocked");
}

TEST(DeriveReport, InterruptedBuildMarksUnstartedTargetsInterruptedAndDependentsBlocked) {
  Plan plan = MakePlanOf({MakeTarget("done"), MakeTarget("running"), MakeTarget("waiting"),
                          MakeTarget("downstream", {"running"})});
  ReportInputs in;
  in.evidence["done"] = WithResult(Success());
  in.evidence["running"] = WithFailure(Failure(TargetStatus::kInterrupted, "partial output"));
  Report r = DeriveReport(plan, in);
  EXPECT_TRUE(r.interrupted) << "an interrupted record alone says the build was interrupted";
  EXPECT_EQ(Row(r, "running").status, TargetStatus::kInterrupted);
  EXPECT_EQ(Row(r, "running").log_tail, "partial output");
  EXPECT_EQ(Row(r, "waiting").status, TargetStatus::kInterrupted);
  EXPECT_EQ(Row(r, "waiting").message, "not started: the build was interrupted");
  EXPECT_EQ(Row(r, "downstream").status, TargetStatus::kBlocked);
  EXPECT_EQ(Row(r, "downstream").message, "dependency 'running' was interrupted");
  EXPECT_EQ(r.ExitCode(), kExitInterrupted);
}

TEST(DeriveReport, InterruptedBuildRecordWithoutAnyRecordOfIt) {
  Plan plan = MakePlanOf({MakeTarget("a")});
  ReportInputs in;
  in.build = BuildRecord{};
  in.build->interrupted = true;
  Report r = DeriveReport(plan, in);
  EXPECT_EQ(Row(r, "a").status, TargetStatus::kInterrupted);
  EXPECT_EQ(r.ExitCode(), kExitInterrupted);
}

TEST(DeriveReport, FailFastStopsAreBlockedWithTheReason) {
  Plan plan = MakePlanOf({MakeTarget("a"), MakeTarget("b"), MakeTarget("c", {"b"})});
  ReportInputs in;
  in.build = BuildRecord{};
  in.build->fail_fast = true;
  in.build->keep_going = 1;
  in.build->ninja_exit_code = 1;
  in.evidence["a"] = WithFailure(Failure());
  Report r = DeriveReport(plan, in);
  EXPECT_EQ(Row(r, "b").status, TargetStatus::kBlocked);
  EXPECT_EQ(Row(r, "b").message,
            "not started: the build stopped after the first failure (--fail-fast)");
  EXPECT_EQ(Row(r, "c").message, "dependency 'b' was not started");

  in.build->fail_fast = false;
  in.build->keep_going = 2;
  EXPECT_EQ(Row(DeriveReport(plan, in), "b").message,
            "not started: the build stopped after 2 failures (-k 2)");
}

TEST(DeriveReport, RetriesThatPassAreFlaky) {
  Plan plan = MakePlanOf({MakeTarget("a"), MakeTarget("b"), MakeTarget("c")});
  ReportInputs in;
  in.evidence["a"] = WithResult(Success(2));                            // exec says "flaky"
  in.evidence["b"] = WithResult(Success(3, TargetStatus::kSucceeded));  // attempts alone tell too
  in.evidence["c"] = WithResult(Success(1));
  Report r = DeriveReport(plan, in);
  EXPECT_EQ(Row(r, "a").status, TargetStatus::kFlaky);
  EXPECT_EQ(Row(r, "a").message, "succeeded on attempt 2");
  EXPECT_EQ(Row(r, "b").status, TargetStatus::kFlaky);
  EXPECT_EQ(Row(r, "c").status, TargetStatus::kSucceeded);
  EXPECT_EQ(r.ExitCode(), kExitSuccess) << "flaky is a success";
  EXPECT_EQ(r.SummaryLine(), "3 targets: 1 succeeded, 2 flaky");
}

TEST(DeriveReport, UnaffectedAndUnrequestedTargetsAreSkipped) {
  Plan plan = MakePlanOf({MakeTarget("base"), MakeTarget("app", {"base"}), MakeTarget("other")});
  plan.skipped = {"docs"};
  ReportInputs in;
  in.build = BuildRecord{};
  in.build->requested = {"app"};
  in.build->ninja_exit_code = 0;
  in.evidence["base"] = WithResult(Success());
  in.evidence["app"] = WithResult(Success());
  Report r = DeriveReport(plan, in);
  EXPECT_EQ(Row(r, "docs").status, TargetStatus::kSkipped);
  EXPECT_EQ(Row(r, "docs").message, "unaffected by the change");
  EXPECT_EQ(Row(r, "other").status, TargetStatus::kSkipped);
  EXPECT_EQ(Row(r, "other").message, "not requested");
  EXPECT_EQ(r.ExitCode(), kExitSuccess);
  ASSERT_EQ(r.targets.size(), 4u);
  EXPECT_EQ(r.targets[0].name, "app") << "rows are sorted by name";
}

TEST(DeriveReport, AnUnrequestedTargetsRecentFailureIsNotThisBuilds) {
  // `fanout build b` right after `fanout build a` failed: a's record is newer than the clock
  // slack allows to tell apart, but Ninja was not asked for a, so it did not run.
  Plan plan = MakePlanOf({MakeTarget("a"), MakeTarget("b"), MakeTarget("c")});
  ReportInputs in;
  in.build = BuildRecord{};
  in.build->requested = {"b"};
  in.build->ninja_exit_code = 0;
  in.evidence["a"] = WithFailure(Failure(TargetStatus::kInterrupted));
  TargetEvidence log_only;
  log_only.started_this_build = true;
  in.evidence["c"] = log_only;
  in.evidence["b"] = WithResult(Success());
  Report r = DeriveReport(plan, in);
  EXPECT_EQ(Row(r, "a").status, TargetStatus::kSkipped);
  EXPECT_EQ(Row(r, "a").message, "not requested");
  EXPECT_EQ(Row(r, "c").status, TargetStatus::kSkipped);
  EXPECT_FALSE(r.interrupted) << "another build's interruption is not this one's";
  EXPECT_EQ(r.ExitCode(), kExitSuccess);

  // Control: when a is asked for, the same record is this build's.
  in.build->requested = {"a", "b", "c"};
  Report all = DeriveReport(plan, in);
  EXPECT_EQ(Row(all, "a").status, TargetStatus::kInterrupted);
  EXPECT_EQ(Row(all, "c").status, TargetStatus::kInterrupted);
  EXPECT_EQ(all.ExitCode(), kExitInterrupted);
}

TEST(DeriveReport, RecordsFromAnEarlierBuildDoNotDescribeThisOne) {
  Plan plan = MakePlanOf({MakeTarget("old_fail"), MakeTarget("old_ok"), MakeTarget("stale"),
                          MakeTarget("on_failed_dep", {"now_fails"}), MakeTarget("now_fails")});
  ReportInputs in;
  in.build = BuildRecord{};
  in.build->fail_fast = true;
  in.build->ninja_exit_code = 1;
  TargetEvidence old_fail = WithFailure(Failure());
  old_fail.from_earlier_build = true;  // it did not run this time
  in.evidence["old_fail"] = old_fail;
  TargetEvidence old_ok = WithResult(Success());
  old_ok.from_earlier_build = true;  // up to date: Ninja did not need to rerun it
  in.evidence["old_ok"] = old_ok;
  TargetEvidence stale = WithResult(Success());
  stale.from_earlier_build = true;
  stale.result_out_of_date = true;  // its inputs changed; the build stopped before it
  in.evidence["stale"] = stale;
  TargetEvidence on_failed = WithResult(Success());
  on_failed.from_earlier_build = true;
  in.evidence["on_failed_dep"] = on_failed;
  in.evidence["now_fails"] = WithFailure(Failure());
  Report r = DeriveReport(plan, in);

  EXPECT_EQ(Row(r, "old_fail").status, TargetStatus::kBlocked);
  EXPECT_EQ(Row(r, "old_ok").status, TargetStatus::kSucceeded);
  EXPECT_TRUE(Row(r, "old_ok").up_to_date);
  EXPECT_EQ(Row(r, "old_ok").message, "up to date");
  EXPECT_EQ(Row(r, "stale").status, TargetStatus::kBlocked);
  EXPECT_EQ(Row(r, "on_failed_dep").status, TargetStatus::kBlocked)
      << "a success built on a dependency that now fails is stale";
  EXPECT_EQ(Row(r, "on_failed_dep").message, "dependency 'now_fails' failed");
}

TEST(DeriveReport, PostSubmitStatus) {
  Plan plan = MakePlanOf({MakeTarget("a")});
  ReportInputs ok;
  ok.evidence["a"] = WithResult(Success());
  EXPECT_FALSE(DeriveReport(plan, ok).post_submit.has_value()) << "no command, no row";

  plan.post_submit.command = "push";
  Report not_run = DeriveReport(plan, ok);
  ASSERT_TRUE(not_run.post_submit);
  EXPECT_EQ(not_run.post_submit->status, TargetStatus::kSkipped);
  EXPECT_EQ(not_run.post_submit->name, kPostSubmitName);
  EXPECT_EQ(not_run.ExitCode(), kExitSuccess);

  ReportInputs ran = ok;
  PostSubmitRecord failed_step;
  failed_step.status = TargetStatus::kFailed;
  failed_step.exit_code = 4;
  failed_step.duration_seconds = 0.5;
  failed_step.message = "exited with status 4";
  failed_step.log = "post_submit.log";
  failed_step.log_tail = "denied";
  ran.post_submit = failed_step;
  Report failed = DeriveReport(plan, ran);
  EXPECT_EQ(failed.post_submit->status, TargetStatus::kFailed);
  EXPECT_EQ(failed.post_submit->log_tail, "denied");
  EXPECT_EQ(failed.ExitCode(), kExitTargetFailed) << "a failed post-submit fails the build";
  EXPECT_EQ(failed.SummaryLine(), "1 target: 1 succeeded; post-submit failed");

  ReportInputs broken;
  broken.evidence["a"] = WithFailure(Failure());
  Report blocked = DeriveReport(plan, broken);
  EXPECT_EQ(blocked.post_submit->status, TargetStatus::kBlocked);
  EXPECT_EQ(blocked.post_submit->message, "not run: 1 target did not succeed");
}

// ---- reading a build directory --------------------------------------------------------------

TEST_F(ReportDir, ReadsRecordsStampsAndTheBuildRecord) {
  const double now = static_cast<double>(time(nullptr));
  records::SuccessRecord ok = Success();
  Put(layout::ResultPath("a"), ok, now - 100);  // from an earlier build, still up to date
  tu::WriteFile(dir_ / layout::StampPath("a"), "abc\n");
  Put(layout::ResultPath("b"), ok, now - 100);  // earlier, and its inputs changed since
  tu::WriteFile(dir_ / layout::StampPath("b"), "def\n");
  Put(layout::FailurePath("c"), Failure(TargetStatus::kFailed, ""),
      now - 1);  // this build; no tail
  tu::WriteFile(dir_ / layout::LogPath("c"), "one\ntwo\nthree\n");
  BuildRecord record;
  record.started_at = now - 10;
  record.finished_at = now;
  record.fail_fast = true;
  ASSERT_TRUE(WriteBuildRecord(dir_.path(), record).ok());

  auto in = ReadReportInputs(dir_.path(), plan_);
  ASSERT_TRUE(in.ok());
  ASSERT_TRUE(in->build.has_value());
  EXPECT_TRUE(in->build->fail_fast);
  EXPECT_TRUE(in->evidence["a"].from_earlier_build);
  EXPECT_FALSE(in->evidence["a"].result_out_of_date);
  EXPECT_TRUE(in->evidence["b"].result_out_of_date);
  EXPECT_FALSE(in->evidence["c"].from_earlier_build);
  EXPECT_EQ(in->evidence["c"].log_tail, "one\ntwo\nthree");

  auto report = LoadReport(dir_.path());
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(Row(*report, "a").status, TargetStatus::kSucceeded);
  EXPECT_EQ(Row(*report, "b").status, TargetStatus::kBlocked);
  EXPECT_EQ(Row(*report, "c").status, TargetStatus::kFailed);
  EXPECT_EQ(Row(*report, "c").log_tail, "one\ntwo\nthree");

  // A plain `ninja` run after the build makes the record stale: it is left out.
  tu::WriteFile(dir_ / ".ninja_log", "# ninja log v5\n");
  SetMTime(dir_ / ".ninja_log", now + 5);
  auto later = ReadReportInputs(dir_.path(), plan_);
  ASSERT_TRUE(later.ok());
  EXPECT_FALSE(later->build.has_value());
}

TEST_F(ReportDir, WhichBuildRanATargetIsTheRunnersStartNotTheRecordsFileTime) {
  // A build that ended a moment before this one began: its records' file times fall right at
  // this build's start (found by CI: a no-op rebuild called an image "succeeded", not "up to
  // date"). The runner's recorded start is what tells them apart.
  const double now = static_cast<double>(time(nullptr));
  BuildRecord record;
  record.started_at = now - 10;
  record.finished_at = now;
  ASSERT_TRUE(WriteBuildRecord(dir_.path(), record).ok());
  records::SuccessRecord earlier = Success();
  earlier.started_at = now - 10.4;
  earlier.finished_at = now - 10.01;
  Put(layout::ResultPath("a"), earlier, now - 10.005);  // written as the earlier build ended
  records::FailureRecord failed_earlier = Failure();
  failed_earlier.started_at = now - 10.2;
  Put(layout::FailurePath("b"), failed_earlier, now - 9.999);
  // And one this build ran, whose file time lags its start by a clock tick.
  records::SuccessRecord ran_now = Success();
  ran_now.started_at = now - 9.99;
  Put(layout::ResultPath("c"), ran_now, now - 10.02);

  auto in = ReadReportInputs(dir_.path(), plan_);
  ASSERT_TRUE(in.ok());
  EXPECT_TRUE(in->evidence["a"].from_earlier_build);
  EXPECT_TRUE(in->evidence["b"].from_earlier_build);
  EXPECT_FALSE(in->evidence["c"].from_earlier_build);
  auto report = LoadReport(dir_.path());
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(Row(*report, "a").message, "up to date");

  // Positive control: a record without its start (fanout before `fanout trace`) still goes by
  // its file time, which here says this build.
  records::FailureRecord no_start = Failure();
  Put(layout::FailurePath("b"), no_start, now - 9.999);
  in = ReadReportInputs(dir_.path(), plan_);
  ASSERT_TRUE(in.ok());
  EXPECT_FALSE(in->evidence["b"].from_earlier_build);
}

TEST_F(ReportDir, TargetThatStartedButLeftNoRecordIsNotCalledUnstarted) {
  const double now = static_cast<double>(time(nullptr));
  tu::WriteFile(dir_ / layout::LogPath("a"), "working\n");  // written during this build
  BuildRecord record;
  record.started_at = now - 10;
  record.finished_at = now + 1;
  record.interrupted = true;
  record.ninja_exit_code = 130;
  ASSERT_TRUE(WriteBuildRecord(dir_.path(), record).ok());
  auto report = LoadReport(dir_.path());
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(Row(*report, "a").status, TargetStatus::kInterrupted);
  EXPECT_EQ(Row(*report, "a").message,
            "interrupted as it finished (its unfinished result was discarded)");
  EXPECT_EQ(Row(*report, "a").log, "targets/a/log.txt");
  EXPECT_EQ(Row(*report, "a").log_tail, "working");
  EXPECT_EQ(Row(*report, "b").message, "not started: the build was interrupted");

  record.interrupted = false;
  record.ninja_exit_code = 1;
  ASSERT_TRUE(WriteBuildRecord(dir_.path(), record).ok());
  report = LoadReport(dir_.path());
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(Row(*report, "a").status, TargetStatus::kInterrupted)
      << "its end went unrecorded: nothing says its command failed";
  EXPECT_EQ(Row(*report, "a").message,
            "its runner ('fanout exec') ended before recording a result (killed?)");
}
TEST_F(ReportDir, AnInvalidRecordIsAnErrorNamingItNotAMissingOne) {
  PutText(layout::ResultPath("a"), "{\"version\": 1, \"target\": \"a\"}", 1000);
  auto in = ReadReportInputs(dir_.path(), plan_);
  ASSERT_FALSE(in.ok());
  EXPECT_NE(in.error().message.find(dir_ / layout::ResultPath("a")), std::string::npos)
      << in.error().message;
  EXPECT_NE(in.error().message.find("the field 'status' is missing"), std::string::npos)
      << in.error().message;
  EXPECT_NE(in.error().message.find("rebuild the target"), std::string::npos);

  tu::WriteFile(dir_ / layout::ResultPath("a"), records::SuccessText(Success()));
  records::FailureRecord f = Failure();
  std::string text = records::FailureText(f);
  text.replace(text.find("\"version\": 1"), 12, "\"version\": 9");
  PutText(layout::FailurePath("b"), text, 1000);
  in = ReadReportInputs(dir_.path(), plan_);
  ASSERT_FALSE(in.ok());
  EXPECT_NE(in.error().message.find(dir_ / layout::FailurePath("b")), std::string::npos)
      << in.error().message;
  EXPECT_NE(in.error().message.find("unsupported version 9"), std::string::npos)
      << in.error().message;
  EXPECT_FALSE(LoadReport(dir_.path()).ok());
}

}  // namespace
}  // namespace fanout
