#include "records/build_events.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace fanout::records {
namespace {

BuildEvent Started(const std::string& target) {
  BuildEvent e;
  e.target = target;
  e.time = 1700000000.5;
  e.pool = "docker";
  return e;
}

TEST(BuildEventsTest, LinesWrittenAreReadBack) {
  BuildEvent ended = Started("b");
  ended.status = TargetStatus::kFailed;
  ended.duration_seconds = 2.25;
  ended.message = "exited with status 1";
  const std::string text = EventLine(Started("a")) + EventLine(ended);
  std::size_t consumed = 0;
  const std::vector<BuildEvent> events = ParseEvents(text, &consumed);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0], Started("a"));
  EXPECT_EQ(events[1], ended);
  EXPECT_EQ(consumed, text.size());
}

TEST(BuildEventsTest, AnUnterminatedLastLineIsLeftForLater) {
  const std::string line = EventLine(Started("a"));
  const std::string text = line + line.substr(0, line.size() / 2);
  std::size_t consumed = 0;
  EXPECT_EQ(ParseEvents(text, &consumed).size(), 1u);
  EXPECT_EQ(consumed, line.size());
}

// Found by fuzz/fuzz_build_events: a line whose "version" is not a number made the reader
// throw (nlohmann's value() on a member of another type), which on the build monitor's thread
// ends the whole `fanout build`. Such a line is skipped like any line of another version;
// the valid lines around it are still read.
TEST(BuildEventsTest, AVersionOfAnotherTypeIsSkippedNotThrown) {
  const std::string good = EventLine(Started("a"));
  const std::string text = good +
                           "{\"target\":\"x\",\"time\":1,\"pool\":\"\",\"version\":\"1\"}\n" +
                           "{\"target\":\"y\",\"version\":null}\n" + "{\"version\":[1]}\n" +
                           "[1,2]\n" + "not json\n" + good;
  std::size_t consumed = 0;
  std::vector<BuildEvent> events;
  EXPECT_NO_THROW(events = ParseEvents(text, &consumed));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].target, "a");
  EXPECT_EQ(events[1].target, "a");
  EXPECT_EQ(consumed, text.size());
}

}  // namespace
}  // namespace fanout::records
