// report/gather.h: the manifest the gather step writes, and the post-submit step.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/build_layout.h"
#include "base/exit_codes.h"
#include "base/file_util.h"
#include "base/sha256.h"
#include "records/manifest.h"
#include "report/gather.h"
#include "report/report.h"
#include "report_fixture.h"
#include "test_util.h"

namespace fanout {
namespace {

using nlohmann::json;
namespace tu = ::fanout::testing;
using namespace ::fanout::report_test;

TEST_F(ReportDir, ManifestListsFailedAndBlockedTargets) {
  Put(layout::FailurePath("b"), Failure(), 1000);
  // a succeeded with one artifact whose digest matches.
  tu::WriteFile(dir_ / (layout::OutDir("a") + "/x.tar"), "tar");
  records::SuccessRecord ok = Success();
  ok.artifacts = {{"x.tar", 3, Sha256Hex("tar")}};
  Put(layout::ResultPath("a"), ok, 1000);
  auto gathered = GatherManifest(dir_.path(), plan_);
  ASSERT_TRUE(gathered.ok()) << gathered.error().message;
  const json manifest = json::parse(records::ManifestText(*gathered));
  EXPECT_EQ(manifest["status"], "failed");
  std::map<std::string, json> by;
  for (const json& e : manifest["targets"]) by[e["name"]] = e;
  EXPECT_EQ(by["a"]["status"], "succeeded");
  EXPECT_EQ(by["a"]["artifacts"][0]["gathered"], "artifacts/a/x.tar");
  EXPECT_EQ(tu::ReadFile(dir_ / "artifacts/a/x.tar"), "tar");
  EXPECT_EQ(by["b"]["status"], "failed");
  EXPECT_EQ(by["b"]["message"], "exited with status 3");
  EXPECT_EQ(by["b"]["log"], "targets/b/log.txt");
  EXPECT_EQ(by["c"]["status"], "blocked");
  EXPECT_EQ(by["c"]["message"], "dependency 'b' failed");
  EXPECT_FALSE(by["c"].contains("log"));
}

// ---- the post-submit step -------------------------------------------------------------------

class PostSubmit : public ::testing::Test {
 protected:
  void Prepare(const std::string& command, bool always, const std::string& manifest_status) {
    Plan plan = MakePlanOf({MakeTarget("a")});
    plan.build_dir = build_.path();
    plan.repo_root = repo_.path();
    plan.post_submit.command = command;
    plan.post_submit.always = always;
    ASSERT_TRUE(WriteFileAtomically(build_ / layout::kPlan, PlanToJson(plan)).ok());
    records::Manifest manifest;
    manifest.source = {"worktree", std::nullopt, std::nullopt};
    manifest.status = ParseStatus(manifest_status).value();
    manifest_text_ = records::ManifestText(manifest);
    tu::WriteFile(build_ / layout::kManifest, manifest_text_);
  }
  tu::TempDir build_, repo_;
  std::string manifest_text_;  ///< what Prepare wrote to manifest.json
};

TEST_F(PostSubmit, RunsInTheRepoWithArtifactsAndManifestAndRecordsSuccess) {
  Prepare(
      "pwd > where; echo \"$FANOUT_ARTIFACTS\" >> where; cat \"$FANOUT_MANIFEST\" >> where; "
      "echo shown",
      false, "succeeded");
  auto rc = RunPostSubmit(build_.path());
  ASSERT_TRUE(rc.ok()) << rc.error().message;
  EXPECT_EQ(*rc, kExitSuccess);
  EXPECT_EQ(tu::ReadFile(repo_ / "where"),
            repo_.path() + "\n" + build_.path() + "/artifacts\n" + manifest_text_);
  EXPECT_EQ(tu::ReadFile(build_ / kPostSubmitLogPath), "shown\n");
  EXPECT_TRUE(tu::Exists(build_ / layout::kPostSubmitStamp));
  json record = json::parse(tu::ReadFile(build_ / kPostSubmitRecordPath));
  EXPECT_EQ(record["status"], "succeeded");
  EXPECT_EQ(record["manifest_sha256"], Sha256Hex(tu::ReadFile(build_ / layout::kManifest)));
  auto report = LoadReport(build_.path());
  ASSERT_TRUE(report.ok());
  ASSERT_TRUE(report->post_submit);
  EXPECT_EQ(report->post_submit->status, TargetStatus::kSucceeded)
      << "the record of the step that ran with this manifest is what the report shows";
}

TEST_F(PostSubmit, FailureIsRecordedWithItsLogTailAndNoStamp) {
  Prepare("echo denied >&2; exit 4", false, "succeeded");
  auto rc = RunPostSubmit(build_.path());
  ASSERT_TRUE(rc.ok());
  EXPECT_EQ(*rc, kExitTargetFailed);
  EXPECT_FALSE(tu::Exists(build_ / layout::kPostSubmitStamp));
  json record = json::parse(tu::ReadFile(build_ / kPostSubmitRecordPath));
  EXPECT_EQ(record["status"], "failed");
  EXPECT_EQ(record["exit_code"], 4);
  EXPECT_EQ(record["message"], "exited with status 4");
  EXPECT_EQ(record["log_tail"], "denied");
}

TEST_F(PostSubmit, RefusesAFailedManifestUnlessAlways) {
  Prepare("touch ran", false, "failed");
  auto rc = RunPostSubmit(build_.path());
  ASSERT_FALSE(rc.ok());
  EXPECT_NE(rc.error().message.find("when: always"), std::string::npos);
  EXPECT_FALSE(tu::Exists(repo_ / "ran"));

  Prepare("touch ran", true, "failed");
  auto always = RunPostSubmit(build_.path());
  ASSERT_TRUE(always.ok());
  EXPECT_EQ(*always, kExitSuccess);
  EXPECT_TRUE(tu::Exists(repo_ / "ran"));
}

TEST_F(PostSubmit, NoCommandJustTouchesTheStamp) {
  Prepare("", false, "succeeded");
  auto rc = RunPostSubmit(build_.path());
  ASSERT_TRUE(rc.ok());
  EXPECT_EQ(*rc, kExitSuccess);
  EXPECT_TRUE(tu::Exists(build_ / layout::kPostSubmitStamp));
  EXPECT_FALSE(tu::Exists(build_ / kPostSubmitRecordPath));
}

TEST_F(PostSubmit, AnUnreadableManifestIsRefusedNamingItUnlessAlways) {
  Prepare("touch ran", false, "succeeded");
  tu::WriteFile(build_ / layout::kManifest, "{\"status\": \"succeeded\"}");
  auto rc = RunPostSubmit(build_.path());
  ASSERT_FALSE(rc.ok());
  EXPECT_NE(rc.error().message.find(build_ / layout::kManifest), std::string::npos)
      << rc.error().message;
  EXPECT_NE(rc.error().message.find("'version' is missing"), std::string::npos)
      << rc.error().message;
  EXPECT_NE(rc.error().message.find("when: always"), std::string::npos);
  EXPECT_FALSE(tu::Exists(repo_ / "ran"));
}

}  // namespace
}  // namespace fanout
