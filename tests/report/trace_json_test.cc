// report/trace_json.h: the Chrome trace events parse back as JSON, one complete event per bar
// with the recorded times, and a named thread per slot.
#include "report/trace_json.h"

#include <cmath>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace fanout {
namespace {

using nlohmann::json;

Timeline Sample() {
  Timeline tl;
  tl.origin = 1700000000.25;
  tl.span = 4.5;
  tl.slots = 2;
  tl.summary = "3 targets: 1 succeeded, 1 failed, 1 blocked";
  TimelineBar a;
  a.name = "a";
  a.pool = "docker";
  a.start = 0.125;
  a.duration = 2.000001;
  a.attempts = 1;
  a.exit_code = 0;
  a.critical = true;
  TimelineBar b;
  b.name = "b \"quoted\"\n";
  b.status = TargetStatus::kFailed;
  b.start = 1;
  b.duration = 1.25;
  b.attempts = 2;
  b.exit_code = 3;
  b.slot = 1;
  b.message = "exited with status 3";
  tl.bars = {a, b};
  tl.critical_path = {"a"};
  return tl;
}

TEST(TraceJson, ParsesBackWithOneCompleteEventPerBarInMicroseconds) {
  const Timeline tl = Sample();
  const std::string text = TimelineToTraceJson(tl);
  json doc = json::parse(text, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << text;
  std::map<std::string, json> complete;
  std::map<int, std::string> thread_names;
  std::string process;
  for (const json& e : doc["traceEvents"]) {
    EXPECT_EQ(e["pid"], 1);
    if (e["ph"] == "X") complete[e["name"]] = e;
    if (e["ph"] == "M" && e["name"] == "thread_name") thread_names[e["tid"]] = e["args"]["name"];
    if (e["ph"] == "M" && e["name"] == "process_name") process = e["args"]["name"];
  }
  ASSERT_EQ(complete.size(), 2u);
  for (const TimelineBar& b : tl.bars) {
    const json& e = complete.at(b.name);
    EXPECT_EQ(e["ts"], std::llround(b.start * 1e6));
    EXPECT_EQ(e["dur"], std::llround(b.duration * 1e6));
    EXPECT_EQ(e["tid"], b.slot + 1);
    EXPECT_EQ(e["args"]["status"], std::string(StatusName(b.status)));
    EXPECT_EQ(e["args"]["attempts"], b.attempts);
    EXPECT_EQ(e["args"]["exit_code"], *b.exit_code);
    EXPECT_EQ(e["args"]["critical"], b.critical);
  }
  EXPECT_EQ(complete.at("a")["cat"], "docker");
  EXPECT_EQ(complete.at("b \"quoted\"\n")["cat"], "no pool");
  EXPECT_EQ(complete.at("b \"quoted\"\n")["args"]["pool"], "");
  EXPECT_EQ(thread_names, (std::map<int, std::string>{{1, "slot 1"}, {2, "slot 2"}}));
  EXPECT_EQ(process, "fanout build: " + tl.summary);
  EXPECT_EQ(doc["displayTimeUnit"], "ms");
  EXPECT_EQ(doc["otherData"]["critical_path"], json::array({"a"}));
  EXPECT_EQ(doc["otherData"]["build_started_at_us"], std::llround(tl.origin * 1e6));
}

TEST(TraceJson, ThePostSubmitStepIsAnEventOnAThreadOfItsOwn) {
  Timeline tl = Sample();
  TimelineBar post;
  post.name = "(post-submit)";
  post.status = TargetStatus::kSucceeded;
  post.start = 3;
  post.duration = 1.5;
  post.attempts = 1;
  post.exit_code = 0;
  post.slot = tl.slots;
  tl.post_submit = post;
  json doc = json::parse(TimelineToTraceJson(tl), nullptr, false);
  ASSERT_FALSE(doc.is_discarded());
  std::map<std::string, json> complete;
  std::map<int, std::string> thread_names;
  for (const json& e : doc["traceEvents"]) {
    if (e["ph"] == "X") complete[e["name"]] = e;
    if (e["ph"] == "M" && e["name"] == "thread_name") thread_names[e["tid"]] = e["args"]["name"];
  }
  ASSERT_EQ(complete.size(), 3u);
  const json& e = complete.at("(post-submit)");
  EXPECT_EQ(e["cat"], "post-submit");
  EXPECT_EQ(e["tid"], 3);
  EXPECT_EQ(e["ts"], 3000000);
  EXPECT_EQ(e["dur"], 1500000);
  EXPECT_EQ(e["args"]["status"], "succeeded");
  EXPECT_EQ(thread_names,
            (std::map<int, std::string>{{1, "slot 1"}, {2, "slot 2"}, {3, "post-submit"}}));
  // Without it, no such event or thread.
  EXPECT_EQ(TimelineToTraceJson(Sample()).find("post-submit"), std::string::npos);
}

TEST(TraceJson, IsDeterministicAndValidForAnEmptyBuild) {
  EXPECT_EQ(TimelineToTraceJson(Sample()), TimelineToTraceJson(Sample()));
  json doc = json::parse(TimelineToTraceJson(Timeline{}), nullptr, false);
  ASSERT_FALSE(doc.is_discarded());
  EXPECT_EQ(doc["traceEvents"].size(), 1u);  // the process name only
}

}  // namespace
}  // namespace fanout
