// records/manifest.h: manifest.json round trips, leaves out what a target did not record, and
// every malformed manifest is an error naming the file and what to do.
#include "records/manifest.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "records_fixture.h"
#include "test_util.h"

namespace fanout::records {
namespace {

using nlohmann::json;
namespace tu = ::fanout::testing;

TEST(Manifest, RoundTrips) {
  const Manifest m = testing::SampleManifest();
  auto back = ParseManifest(ManifestText(m), "manifest.json");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, m);
}

TEST(Manifest, AnEntryListsOnlyWhatTheTargetRecorded) {
  const json j = json::parse(ManifestText(testing::SampleManifest()));
  EXPECT_EQ(j["version"], kManifestVersion);
  EXPECT_EQ(j["status"], "failed");
  const json& failed = j["targets"][1];
  EXPECT_EQ(failed["message"], "exited with status 3");
  EXPECT_FALSE(failed.contains("artifacts"));
  EXPECT_FALSE(failed.contains("started_at"));
  EXPECT_FALSE(failed.contains("sandbox"));
  const json& ok = j["targets"][0];
  EXPECT_FALSE(ok.contains("message"));
  EXPECT_EQ(ok["artifacts"][0]["gathered"], "artifacts/app/x.tar");
  EXPECT_TRUE(ok["source"]["commit"].is_null());
}

TEST(Manifest, TheSourceSaysWhetherTheBuildWasOfUncommittedChanges) {
  const json j = json::parse(ManifestText(testing::SampleManifest()));
  EXPECT_EQ(j["source"]["dirty"], true);
  EXPECT_EQ(j["source"]["changed_paths"], json({"a.txt", "b/c.txt"}));
  EXPECT_EQ(j["source"]["changed_paths_omitted"], 3);
  EXPECT_EQ(j["targets"][0]["image"]["dropped_tags"], json({"r/app:{short}"}));
}

TEST(Manifest, AManifestFromBeforeTheDirtyFieldsIsRead) {
  json j = json::parse(ManifestText(testing::SampleManifest()));
  for (const char* key : {"dirty", "changed_paths", "changed_paths_omitted"}) {
    j["source"].erase(key);
  }
  j["targets"][0]["image"].erase("dropped_tags");
  j["targets"][0]["source"].erase("dirty");
  auto m = ParseManifest(j.dump(), "manifest.json");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_FALSE(m->source.dirty.has_value());
  EXPECT_FALSE(m->source.changed_paths.has_value());
  EXPECT_FALSE(m->targets[0].image->dropped_tags.has_value());
  EXPECT_FALSE(m->targets[0].source->dirty.has_value());
}

TEST(Manifest, SucceededNeedsASuccessStatusAndArtifacts) {
  const Manifest m = testing::SampleManifest();
  EXPECT_TRUE(m.targets[0].Succeeded());
  EXPECT_FALSE(m.targets[1].Succeeded());
  ManifestTarget skipped = m.targets[0];
  skipped.status = TargetStatus::kSkipped;
  EXPECT_FALSE(skipped.Succeeded());
  ManifestTarget no_artifacts = m.targets[0];
  no_artifacts.artifacts.reset();
  EXPECT_FALSE(no_artifacts.Succeeded());
}

TEST(Manifest, MalformedManifestsNameTheFileAndSayWhatToDo) {
  tu::TempDir dir;
  const std::string path = dir / "manifest.json";
  auto missing = ReadManifest(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find(path), std::string::npos);
  EXPECT_NE(missing.error().message.find("fanout gather"), std::string::npos);

  ASSERT_TRUE(WriteManifest(path, testing::SampleManifest()).ok());
  auto read = ReadManifest(path);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(*read, testing::SampleManifest());

  json j = json::parse(ManifestText(testing::SampleManifest()));
  j["version"] = 7;
  tu::WriteFile(path, j.dump());
  auto unknown = ReadManifest(path);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message,
            path + ": unsupported version 7 (this fanout reads version 1); " + kManifestRemedy);

  j["version"] = 1;
  j["targets"][0].erase("status");
  auto no_status = ParseManifest(j.dump(), path);
  ASSERT_FALSE(no_status.ok());
  EXPECT_EQ(no_status.error().message,
            path + ": the field 'targets[0].status' is missing; " + kManifestRemedy);

  j["targets"][0]["status"] = "succeeded";
  j["timings"]["wall_seconds"] = "long";
  auto bad_timing = ParseManifest(j.dump(), path);
  ASSERT_FALSE(bad_timing.ok());
  EXPECT_EQ(bad_timing.error().message,
            path + ": the field 'timings.wall_seconds' is not a number; " + kManifestRemedy);

  auto not_json = ParseManifest("{]", path);
  ASSERT_FALSE(not_json.ok());
  EXPECT_EQ(not_json.error().message, path + ": not valid JSON; " + kManifestRemedy);
}

}  // namespace
}  // namespace fanout::records
