// End-to-end: the manifest says which targets this build rebuilt and which were up to date, the
// post-submit step gets the rebuilt ones in $FANOUT_REBUILT, and it does not run again when a
// rebuild made the same artifacts.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace fanout::testing {
namespace {

using nlohmann::json;

class WhatChangedE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.Write(
        "fanout.yaml",
        "version: 1\ntargets:\n"
        "  a:\n    command: cat a.txt > a.out\n    inputs: [a.txt, note.txt]\n"
        "    artifacts: [a.out]\n"
        "  b:\n    command: cat b.txt > b.out\n    inputs: [b.txt]\n"
        "    artifacts: [b.out]\n"
        "post_submit:\n  command: echo \"rebuilt=[$FANOUT_REBUILT]\" >> ../published.txt\n");
    repo_.Write("a.txt", "a1\n");
    repo_.Write("note.txt", "n1\n");
    repo_.Write("b.txt", "b1\n");
    repo_.Commit();
  }
  RunResult Build() {
    return fanout::testing::Run({FanoutBinary(), "build", "-B", "build"}, repo_.path(),
                                {"GITHUB_EVENT_NAME=push"});
  }
  json Change() {
    json m = json::parse(ReadFile(repo_ / "build/manifest.json"));
    json out = json::object();
    for (const json& t : m["targets"]) out[t["name"].get<std::string>()] = t["change"];
    return out;
  }
  std::string Published() { return ReadFile(repo_.path() + "/../published.txt"); }
  void TearDown() override {
    fanout::testing::Run({"rm", "-f", repo_.path() + "/../published.txt"});
  }
  GitRepo repo_;
};

TEST_F(WhatChangedE2E, TheManifestAndThePostSubmitStepKnowWhatWasRebuilt) {
  RunResult r = Build();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Change(), json({{"a", "rebuilt"}, {"b", "rebuilt"}}));
  EXPECT_EQ(Published(), "rebuilt=[a b]\n");

  // b's input changes and its artifact with it: b is rebuilt, a is up to date.
  repo_.Write("b.txt", "b2\n");
  repo_.Commit();
  r = Build();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Change(), json({{"a", "up_to_date"}, {"b", "rebuilt"}}));
  EXPECT_EQ(Published(), "rebuilt=[a b]\nrebuilt=[b]\n");

  // a reruns (an input changed) but makes the same bytes: the manifest says it was rebuilt,
  // and the post-submit step, which would publish the same artifacts, does not run again.
  repo_.Write("note.txt", "n2\n");
  repo_.Commit();
  r = Build();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Change(), json({{"a", "rebuilt"}, {"b", "up_to_date"}}));
  EXPECT_EQ(Published(), "rebuilt=[a b]\nrebuilt=[b]\n");
  EXPECT_NE(r.out.find("the artifacts are those it already published"), std::string::npos) << r.out;
  // And the report still counts the step as done for this manifest.
  RunResult report = fanout::testing::Run({FanoutBinary(), "report", "-B", "build"}, repo_.path());
  EXPECT_NE(report.out.find("post-submit succeeded"), std::string::npos) << report.out;
}

}  // namespace
}  // namespace fanout::testing
