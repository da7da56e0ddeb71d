// Earlier run times for `fanout matrix --history` (duration_history.h).
#include <gtest/gtest.h>

#include "records/manifest.h"
#include "report/duration_history.h"
#include "test_util.h"

namespace fanout {
namespace {

using testing::TempDir;
using testing::WriteFile;

std::string ManifestWith(const std::vector<std::tuple<std::string, TargetStatus, double>>& runs) {
  records::Manifest m;
  for (const auto& [name, status, seconds] : runs) {
    records::ManifestTarget t;
    t.name = name;
    t.status = status;
    t.duration_seconds = seconds;
    m.targets.push_back(t);
  }
  return records::ManifestText(m);
}

TEST(DurationHistory, ManifestsGiveRunTimesOfSuccessesOnly) {
  TempDir dir;
  WriteFile(dir / "m1.json", ManifestWith({{"a", TargetStatus::kSucceeded, 10},
                                           {"b", TargetStatus::kFlaky, 30},
                                           {"c", TargetStatus::kCached, 0.1},
                                           {"d", TargetStatus::kFailed, 2}}));
  WriteFile(dir / "m2.json", ManifestWith({{"a", TargetStatus::kSucceeded, 14}}));
  auto h = ReadDurationHistory({dir / "m1.json", dir / "m2.json"});
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->seconds, (std::map<std::string, std::vector<double>>{{"a", {10, 14}}, {"b", {30}}}));
}

TEST(DurationHistory, NinjaLogGivesEachTargetsEdge) {
  TempDir dir;
  WriteFile(dir / "log",
            "# ninja log v5\n"
            "0\t12000\t0\t.fanout/snapshot.stamp\tabc\n"
            "100\t2600\t0\ttargets/app/result.json\tdef\n"
            "50\t4050\t0\ttargets/a/b/result.json\t123\n");
  auto h = ReadDurationHistory({dir / "log"});
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->seconds,
            (std::map<std::string, std::vector<double>>{{"a/b", {4.0}}, {"app", {2.5}}}));
}

TEST(DurationHistory, NinjaLogErrorsNameTheLine) {
  TempDir dir;
  WriteFile(dir / ".ninja_log", "# ninja log v5\n1\t2\t0\ttargets/a/result.json\tx\nbad line\n");
  auto h = ReadDurationHistory({dir / ".ninja_log"});
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.error().message.find(".ninja_log:3: not a .ninja_log entry"), std::string::npos)
      << h.error().message;
  WriteFile(dir / ".ninja_log", "# ninja log v4\n");
  h = ReadDurationHistory({dir / ".ninja_log"});
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.error().message.find(":1: not a .ninja_log of format v5 or v6"), std::string::npos)
      << h.error().message;
}

TEST(DurationHistory, DirectoriesAreSearchedAndAManifestOutranksItsNinjaLog) {
  TempDir dir;
  // A build directory: its manifest says 'a' was restored from the cache, which its .ninja_log
  // cannot tell from a run.
  WriteFile(dir / "run1/build/manifest.json",
            ManifestWith({{"a", TargetStatus::kCached, 0.1}, {"b", TargetStatus::kSucceeded, 8}}));
  WriteFile(dir / "run1/build/.ninja_log", "# ninja log v5\n0\t100\t0\ttargets/a/result.json\tx\n");
  // A .ninja_log alone counts.
  WriteFile(dir / "run2/.ninja_log", "# ninja log v6\n0\t6000\t0\ttargets/b/result.json\tx\n");
  WriteFile(dir / "run2/notes.txt", "not read");
  auto h = ReadDurationHistory({dir.path()});
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->seconds, (std::map<std::string, std::vector<double>>{{"b", {8, 6}}}));
  EXPECT_EQ(h->files.size(), 2u);
}

TEST(DurationHistory, MediansAndTheMedianForTargetsWithoutHistory) {
  DurationHistory h;
  h.seconds = {{"a", {10, 50, 20}}, {"b", {4, 6}}, {"gone", {1000}}};
  std::vector<std::string> estimated;
  auto d = ExpectedDurations({"a", "b", "c"}, h, &estimated);
  EXPECT_EQ(d, (std::map<std::string, double>{{"a", 20}, {"b", 5}, {"c", 12.5}}));
  EXPECT_EQ(estimated, std::vector<std::string>{"c"});
  estimated.clear();
  EXPECT_EQ(ExpectedDurations({"x"}, DurationHistory{}, &estimated),
            (std::map<std::string, double>{{"x", 1}}));
}

TEST(DurationHistory, WhatIsNeitherIsRefusedByName) {
  TempDir dir;
  WriteFile(dir / "x.json", "{\"hello\": 1}");
  auto h = ReadDurationHistory({dir / "x.json"});
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.error().message.find("x.json: neither a manifest.json nor a .ninja_log"),
            std::string::npos)
      << h.error().message;
  h = ReadDurationHistory({dir / "missing"});
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.error().message.find("does not exist"), std::string::npos) << h.error().message;
}

}  // namespace
}  // namespace fanout
