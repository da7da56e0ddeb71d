// report/timeline.h: which targets get a bar, when, on which slot, and the critical path.
#include "report/timeline.h"

#include <gtest/gtest.h>

#include "report_fixture.h"

namespace fanout {
namespace {

using namespace ::fanout::report_test;

TEST(AssignSlots, GivesEachIntervalTheLowestSlotFreeAtItsStart) {
  const std::vector<std::pair<double, double>> iv = {{0, 2}, {1, 3}, {2, 4}, {3, 5}, {0.5, 0.6}};
  // By start: [0,2) -> 0; [0.5,0.6) -> 1; [1,3) -> 1 (free since 0.6); [2,4) -> 0 (free at 2);
  // [3,5) -> 1.
  EXPECT_EQ(AssignSlots(iv), (std::vector<int>{0, 1, 0, 1, 1}));
}

TEST(AssignSlots, OverlappingIntervalsNeverShareASlot) {
  std::vector<std::pair<double, double>> iv;
  for (int i = 0; i < 40; ++i) iv.emplace_back((i * 7) % 13, (i * 7) % 13 + 1 + i % 5);
  const std::vector<int> slots = AssignSlots(iv);
  for (size_t i = 0; i < iv.size(); ++i) {
    for (size_t j = i + 1; j < iv.size(); ++j) {
      const bool overlap = iv[i].first < iv[j].second && iv[j].first < iv[i].second;
      if (overlap) {
        EXPECT_NE(slots[i], slots[j]) << i << " " << j;
      }
    }
  }
}

class TimelineOf : public ::testing::Test {
 protected:
  void SetUp() override {
    PlanTarget a = MakeTarget("a");
    a.def.pool = "docker";
    plan_ = MakePlanOf({a, MakeTarget("b"), MakeTarget("c", {"b"}), MakeTarget("d", {"a"})});
    plan_.pools = {{"docker", 1}};
    BuildRecord build;
    build.started_at = 999.5;
    build.finished_at = 1006;
    inputs_.build = build;
  }
  Timeline Make() { return MakeTimeline(plan_, inputs_, DeriveReport(plan_, inputs_)); }
  const TimelineBar* Find(const Timeline& tl, const std::string& name) {
    for (const TimelineBar& b : tl.bars) {
      if (b.name == name) return &b;
    }
    return nullptr;
  }
  Plan plan_;
  ReportInputs inputs_;
};

TEST_F(TimelineOf, BarsForTargetsThatRanWithStartsFromTheBuildStart) {
  records::SuccessRecord a = Success();  // 1000 .. 1002.5
  records::SuccessRecord d = Success();
  d.started_at = 1002.75;
  d.finished_at = d.started_at + 3;
  d.duration_seconds = 3;
  records::FailureRecord b = Failure();  // 1.25 s
  b.started_at = 1001;
  b.finished_at = 1002.25;
  inputs_.evidence["a"] = WithResult(a);
  inputs_.evidence["b"] = WithFailure(b);
  inputs_.evidence["d"] = WithResult(d);
  const Timeline tl = Make();

  ASSERT_EQ(tl.bars.size(), 3u);
  EXPECT_EQ(tl.origin, 999.5);
  EXPECT_DOUBLE_EQ(tl.span, 6.5);
  EXPECT_EQ(tl.bars[0].name, "a");  // sorted by start
  EXPECT_DOUBLE_EQ(tl.bars[0].start, 0.5);
  EXPECT_DOUBLE_EQ(tl.bars[0].duration, 2.5);
  EXPECT_EQ(tl.bars[0].pool, "docker");
  const TimelineBar* fb = Find(tl, "b");
  ASSERT_NE(fb, nullptr);
  EXPECT_EQ(fb->status, TargetStatus::kFailed);
  EXPECT_DOUBLE_EQ(fb->start, 1.5);
  EXPECT_DOUBLE_EQ(fb->duration, 1.25);
  EXPECT_EQ(fb->exit_code, 3);
  // a and b overlap: two slots; d starts after both ended and takes slot 0 again.
  EXPECT_EQ(tl.slots, 2);
  EXPECT_NE(Find(tl, "a")->slot, fb->slot);
  EXPECT_EQ(Find(tl, "d")->slot, 0);
  // c never started (its dependency failed): no bar, listed with why.
  ASSERT_EQ(tl.absent.size(), 1u);
  EXPECT_EQ(tl.absent[0].name, "c");
  EXPECT_EQ(tl.absent[0].status, TargetStatus::kBlocked);
  // d finished last and waited for a.
  EXPECT_EQ(tl.critical_path, (std::vector<std::string>{"a", "d"}));
  EXPECT_TRUE(Find(tl, "a")->critical);
  EXPECT_FALSE(fb->critical);
  EXPECT_EQ(tl.pools, (std::vector<std::string>{"", "docker"}));
}

TEST_F(TimelineOf, UpToDateResultsAndFailuresWithoutTimesGetNoBar) {
  TargetEvidence earlier = WithResult(Success());
  earlier.from_earlier_build = true;
  inputs_.evidence["a"] = earlier;
  inputs_.evidence["b"] = WithFailure(Failure());  // no started_at: an older fanout's record
  const Timeline tl = Make();
  EXPECT_TRUE(tl.bars.empty());
  EXPECT_EQ(tl.absent.size(), 4u);
  EXPECT_TRUE(tl.critical_path.empty());
  EXPECT_EQ(tl.slots, 0);
  EXPECT_EQ(tl.origin, 999.5);
}

TEST_F(TimelineOf, WithoutABuildRecordTheFirstStartIsTheOrigin) {
  inputs_.build.reset();
  inputs_.evidence["a"] = WithResult(Success());
  const Timeline tl = Make();
  ASSERT_EQ(tl.bars.size(), 1u);
  EXPECT_EQ(tl.origin, 1000);
  EXPECT_EQ(tl.bars[0].start, 0);
  EXPECT_DOUBLE_EQ(tl.span, 2.5);
}

TEST_F(TimelineOf, ThePostSubmitStepGetsABarOnARowAfterTheSlots) {
  plan_.post_submit.command = "publish.sh";
  inputs_.evidence["a"] = WithResult(Success());  // 1000 .. 1002.5
  PostSubmitRecord p;
  p.status = TargetStatus::kSucceeded;
  p.command = "publish.sh";
  p.exit_code = 0;
  p.started_at = 1003;
  p.finished_at = 1005.5;
  p.duration_seconds = 2.5;
  inputs_.post_submit = p;
  const Timeline tl = Make();
  ASSERT_TRUE(tl.post_submit.has_value());
  EXPECT_EQ(tl.post_submit->name, kPostSubmitName);
  EXPECT_DOUBLE_EQ(tl.post_submit->start, 3.5);  // from the build's start, 999.5
  EXPECT_DOUBLE_EQ(tl.post_submit->duration, 2.5);
  EXPECT_EQ(tl.post_submit->status, TargetStatus::kSucceeded);
  EXPECT_EQ(tl.slots, 1);
  EXPECT_EQ(tl.post_submit->slot, 1) << "a row of its own, after the slots";
  EXPECT_FALSE(tl.post_submit->critical);
  EXPECT_EQ(tl.critical_path, std::vector<std::string>{"a"});
  ASSERT_EQ(tl.bars.size(), 1u) << "not a target's bar";

  // A step that ran past the build record's finish widens the span.
  inputs_.post_submit->finished_at = 1010;
  EXPECT_DOUBLE_EQ(Make().span, 10.5);
  // Failed: its bar says so.
  inputs_.post_submit->status = TargetStatus::kFailed;
  inputs_.post_submit->exit_code = 2;
  const Timeline failed = Make();
  ASSERT_TRUE(failed.post_submit.has_value());
  EXPECT_EQ(failed.post_submit->status, TargetStatus::kFailed);
  EXPECT_EQ(failed.post_submit->exit_code, 2);
}

TEST_F(TimelineOf, APostSubmitStepThatDidNotRunInThisBuildHasNoBar) {
  plan_.post_submit.command = "publish.sh";
  inputs_.evidence["a"] = WithResult(Success());
  PostSubmitRecord p;
  p.status = TargetStatus::kSucceeded;
  p.command = "publish.sh";
  p.started_at = 990;  // an earlier build's run, carried over for the same manifest
  p.finished_at = 991;
  inputs_.post_submit = p;
  EXPECT_FALSE(Make().post_submit.has_value());
  // Skipped (--no-post-submit, a pull request): no bar either.
  inputs_.post_submit->status = TargetStatus::kSkipped;
  inputs_.post_submit->started_at = inputs_.post_submit->finished_at = 1003;
  EXPECT_FALSE(Make().post_submit.has_value());
  // Positive control: the same record, run in this build, has one.
  inputs_.post_submit->status = TargetStatus::kSucceeded;
  EXPECT_TRUE(Make().post_submit.has_value());
  // No record at all: none.
  inputs_.post_submit.reset();
  EXPECT_FALSE(Make().post_submit.has_value());
}

}  // namespace
}  // namespace fanout
