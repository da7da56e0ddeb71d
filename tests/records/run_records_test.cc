// records/run_records.h: build.json and post_submit.json round trip through their field
// tables, and a malformed file is an error naming it, what is wrong and what to do.
#include "records/run_records.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace fanout::records {
namespace {

using nlohmann::json;
namespace tu = ::fanout::testing;

BuildRecord SampleBuild() {
  BuildRecord r;
  r.started_at = 1700000000.25;
  r.finished_at = 1700000042.5;
  r.fail_fast = true;
  r.keep_going = 3;
  r.requested = {"app", "base"};
  r.interrupted = true;
  r.ninja_exit_code = 130;
  return r;
}

PostSubmitRecord SamplePostSubmit() {
  PostSubmitRecord r;
  r.status = TargetStatus::kInterrupted;
  r.command = "scripts/push";
  r.exit_code = 143;
  r.signal = 15;
  r.started_at = 1700000050.0;
  r.finished_at = 1700000051.5;
  r.duration_seconds = 1.5;
  r.message = "killed by SIGTERM";
  r.log = "post_submit.log";
  r.log_tail = "pushing app";
  r.manifest_sha256 = "ab12";
  r.artifacts_sha256 = "cd34";
  return r;
}

TEST(RunRecords, BuildRecordRoundTripsEveryField) {
  const BuildRecord r = SampleBuild();
  auto back = ParseBuildRecord(BuildRecordText(r), "build.json");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, r);
  // Every field is in the table: a default record differs from the sample in each one, so a
  // field left out of the table would come back as its default and fail the comparison above.
  const json j = json::parse(BuildRecordText(r));
  EXPECT_EQ(j.size(), BuildRecord::Fields().size() + 1) << j.dump();
  EXPECT_EQ(j["version"], kRunRecordVersion);
}

TEST(RunRecords, PostSubmitRecordRoundTripsWithAndWithoutItsNullableParts) {
  PostSubmitRecord r = SamplePostSubmit();
  auto back = ParsePostSubmitRecord(PostSubmitRecordText(r), "post_submit.json");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, r);
  r.exit_code.reset();
  r.signal.reset();
  const json j = json::parse(PostSubmitRecordText(r));
  EXPECT_TRUE(j["exit_code"].is_null());
  EXPECT_TRUE(j["signal"].is_null());
  EXPECT_EQ(j["status"], "interrupted");
  back = ParsePostSubmitRecord(PostSubmitRecordText(r), "post_submit.json");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, r);
}

TEST(RunRecords, MalformedFilesNameThePathWhatIsWrongAndWhatToDo) {
  const std::string path = "build/.fanout/build.json";
  auto missing_version = ParseBuildRecord(R"({"started_at": 1})", path);
  ASSERT_FALSE(missing_version.ok());
  EXPECT_NE(missing_version.error().message.find(path), std::string::npos);
  EXPECT_NE(missing_version.error().message.find(kRunRecordRemedy), std::string::npos);

  json j = json::parse(BuildRecordText(SampleBuild()));
  j["keep_going"] = "three";
  auto wrong_type = ParseBuildRecord(j.dump(), path);
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_NE(wrong_type.error().message.find("keep_going"), std::string::npos)
      << wrong_type.error().message;

  json p = json::parse(PostSubmitRecordText(SamplePostSubmit()));
  p.erase("manifest_sha256");
  auto no_sha = ParsePostSubmitRecord(p.dump(), "post_submit.json");
  ASSERT_FALSE(no_sha.ok());
  EXPECT_NE(no_sha.error().message.find("'manifest_sha256' is missing"), std::string::npos)
      << no_sha.error().message;
  p = json::parse(PostSubmitRecordText(SamplePostSubmit()));
  p["status"] = "pushed";
  auto bad_status = ParsePostSubmitRecord(p.dump(), "post_submit.json");
  ASSERT_FALSE(bad_status.ok());
  EXPECT_NE(bad_status.error().message.find("status"), std::string::npos);
}

TEST(RunRecords, WritesAtomicallyUnderTheBuildDirectory) {
  tu::TempDir build;
  tu::WriteFile(build / ".fanout/.keep", "");
  ASSERT_TRUE(WriteBuildRecord(build.path(), SampleBuild()).ok());
  ASSERT_TRUE(WritePostSubmitRecord(build.path(), SamplePostSubmit()).ok());
  EXPECT_EQ(*ParseBuildRecord(tu::ReadFile(build / kBuildRecordPath), "b"), SampleBuild());
  EXPECT_EQ(*ParsePostSubmitRecord(tu::ReadFile(build / kPostSubmitRecordPath), "p"),
            SamplePostSubmit());
}

}  // namespace
}  // namespace fanout::records
