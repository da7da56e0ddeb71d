// BUILD/.fanout/plan.index (plan/plan_index.h): an edge reads its own target's slice of
// plan.json through it, and reads the whole plan whenever the index does not describe the
// plan.json that is there.
#include "plan/plan_index.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/build_layout.h"
#include "base/file_util.h"
#include "test_util.h"

namespace fanout {
namespace {

using testing::ReadFile;
using testing::TempDir;

Plan ThreePlan(const std::string& command) {
  Plan plan;
  plan.repo_root = "/r";
  plan.description_path = "/r/fanout.yaml";
  plan.build_dir = "/r/build";
  plan.pools = {{"images", 2}};
  plan.global_inputs = {"WORKSPACE"};
  plan.skipped = {"old"};
  for (const char* name : {"a", "b-1", "c.x"}) {
    PlanTarget t;
    t.def.name = name;
    t.def.command = command + " " + name;
    t.def.inputs = {std::string(name) + "/**"};
    t.def.pool = "images";
    t.definition_digest = DefinitionDigest(t.def, plan.global_inputs);
    plan.targets.push_back(t);
  }
  plan.target_count = plan.targets.size();
  return plan;
}

class PlanIndexTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(mkdir((dir_ / ".fanout").c_str(), 0755), 0); }

  /// Writes plan.json and its index as `fanout gen` does.
  void Write(const Plan& plan) {
    PlanSlices slices;
    ASSERT_TRUE(WriteFileAtomically(dir_ / layout::kPlan, PlanToJson(plan, &slices)).ok());
    ASSERT_TRUE(WritePlanIndex(dir_.path(), plan, slices).ok());
  }

  /// The plan of `target` read whole, as an edge read it before the index.
  Plan Whole(const std::string& target) {
    auto text = fanout::ReadFile(dir_ / layout::kPlan);
    EXPECT_TRUE(text.ok());
    auto plan = PlanFromJson(*text, "plan.json", &target);
    EXPECT_TRUE(plan.ok()) << plan.error().message;
    return *plan;
  }

  TempDir dir_;
};

TEST_F(PlanIndexTest, EachTargetsSliceReadsAsTheWholePlanReadForThatTarget) {
  const Plan plan = ThreePlan("make");
  Write(plan);
  for (const PlanTarget& t : plan.targets) {
    std::optional<Plan> sliced = ReadPlanThroughIndex(dir_.path(), t.def.name);
    ASSERT_TRUE(sliced) << t.def.name;
    EXPECT_EQ(PlanToJson(*sliced), PlanToJson(Whole(t.def.name))) << t.def.name;
    EXPECT_EQ(sliced->target_count, 3u);
    ASSERT_EQ(sliced->targets.size(), 1u);
    EXPECT_EQ(sliced->targets[0].def.command, "make " + t.def.name);
  }
  // A name the plan does not have, or one that sorts between two it has.
  EXPECT_FALSE(ReadPlanThroughIndex(dir_.path(), "b"));
  EXPECT_FALSE(ReadPlanThroughIndex(dir_.path(), "zz"));
  EXPECT_FALSE(ReadPlanThroughIndex(dir_.path(), ""));
}

TEST_F(PlanIndexTest, TheSliceIsWhatIsReadNotTheWholeFile) {
  // Positive control for the index being used at all: another target's object is broken in
  // place, with plan.json's size, inode and modification time kept. The whole read refuses
  // the file; the slice of a target whose object is intact still reads.
  const Plan plan = ThreePlan("make");
  Write(plan);
  const std::string path = dir_ / layout::kPlan;
  struct stat before;
  ASSERT_EQ(stat(path.c_str(), &before), 0);
  std::string text = ReadFile(path);
  const std::size_t at = text.find("\"make c.x\"");
  ASSERT_NE(at, std::string::npos);
  text[at] = '{';  // "make c.x" is no longer a string
  testing::WriteFile(path, text);
  const struct timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  const std::string a = "a";
  EXPECT_FALSE(PlanFromJson(text, "plan.json", &a).ok());
  EXPECT_TRUE(ReadPlanThroughIndex(dir_.path(), "a"));
  EXPECT_FALSE(ReadPlanThroughIndex(dir_.path(), "c.x"));
}

TEST_F(PlanIndexTest, AnIndexOfAnotherPlanJsonIsNotUsed) {
  Write(ThreePlan("make"));
  // plan.json rewritten by something that did not write the index (an older fanout).
  const Plan newer = ThreePlan("ninja");
  ASSERT_TRUE(WriteFileAtomically(dir_ / layout::kPlan, PlanToJson(newer)).ok());
  EXPECT_FALSE(ReadPlanThroughIndex(dir_.path(), "a"));
  // ReadPlan then reads the whole file, and gets the new command.
  const std::string a = "a";
  auto read = ReadPlan(dir_.path(), &a);
  ASSERT_TRUE(read.ok()) << read.error().message;
  ASSERT_EQ(read->targets.size(), 1u);
  EXPECT_EQ(read->targets[0].def.command, "ninja a");
  // No index at all.
  ASSERT_EQ(unlink((dir_ / layout::kPlanIndex).c_str()), 0);
  EXPECT_FALSE(ReadPlanThroughIndex(dir_.path(), "a"));
  ASSERT_TRUE(ReadPlan(dir_.path(), &a).ok());
}

TEST_F(PlanIndexTest, AnIndexWhoseLinesDoNotHoldTheTargetIsNotUsed) {
  const Plan plan = ThreePlan("make");
  Write(plan);
  const std::string good = ReadFile(dir_ / layout::kPlanIndex);
  // Each change keeps the identity line, so only the check of what the slice holds stops it.
  auto with = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    const std::size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
    testing::WriteFile(dir_ / layout::kPlanIndex, text);
  };
  const std::size_t a_line = good.find("\na ") + 1;
  const std::string a_entry = good.substr(a_line, good.find('\n', a_line) - a_line);
  const std::size_t b_line = good.find("\nb-1 ") + 1;
  const std::string b_entry = good.substr(b_line, good.find('\n', b_line) - b_line);
  // a's line pointing at b's object.
  with(a_entry, "a" + b_entry.substr(3));
  EXPECT_FALSE(ReadPlanThroughIndex(dir_.path(), "a"));
  // Offsets past the array, a format from elsewhere, numbers that are not numbers.
  with(a_entry, "a 999999 10");
  EXPECT_FALSE(ReadPlanThroughIndex(dir_.path(), "a"));
  with("fanout plan index 1", "fanout plan index 2");
  EXPECT_FALSE(ReadPlanThroughIndex(dir_.path(), "a"));
  with(a_entry, "a x 10");
  EXPECT_FALSE(ReadPlanThroughIndex(dir_.path(), "a"));
  // A length whose sum with the offset wraps around.
  with(a_entry, a_entry.substr(0, a_entry.rfind(' ')) + " 18446744073709551615");
  EXPECT_FALSE(ReadPlanThroughIndex(dir_.path(), "a"));
  // The good index again: read.
  testing::WriteFile(dir_ / layout::kPlanIndex, good);
  EXPECT_TRUE(ReadPlanThroughIndex(dir_.path(), "a"));
}

TEST(PlanSlices, EveryObjectIsWhereTheSlicesSay) {
  const Plan plan = ThreePlan("make");
  PlanSlices slices;
  const std::string text = PlanToJson(plan, &slices);
  EXPECT_EQ(text[slices.targets_begin], '[');
  EXPECT_EQ(text[slices.targets_end - 1], ']');
  ASSERT_EQ(slices.objects.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const std::string object = text.substr(slices.objects[i].first, slices.objects[i].second);
    EXPECT_EQ(object.front(), '{');
    EXPECT_EQ(object.back(), '}');
    EXPECT_NE(object.find("\"name\":\"" + plan.targets[i].def.name + "\""), std::string::npos);
  }
}

}  // namespace
}  // namespace fanout
