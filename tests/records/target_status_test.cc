// records/target_status.h: the names of the statuses and which ones are problems.
#include "records/target_status.h"

#include <gtest/gtest.h>

namespace fanout {
namespace {

TEST(TargetStatus, NamesRoundTrip) {
  for (TargetStatus s : kAllStatuses) EXPECT_EQ(ParseStatus(StatusName(s)), s);
  EXPECT_EQ(StatusName(TargetStatus::kTimedOut), "timed_out");
  EXPECT_FALSE(ParseStatus("missing").has_value());
  EXPECT_FALSE(ParseStatus("timed out").has_value());
  EXPECT_TRUE(IsProblem(TargetStatus::kBlocked));
  EXPECT_TRUE(IsProblem(TargetStatus::kInterrupted));
  EXPECT_FALSE(IsProblem(TargetStatus::kSkipped));
  EXPECT_FALSE(IsProblem(TargetStatus::kFlaky));
}

}  // namespace
}  // namespace fanout
