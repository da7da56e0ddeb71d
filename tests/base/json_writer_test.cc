#include "base/json_writer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/file_util.h"
#include "plan/plan.h"

namespace fanout {
namespace {

TEST(JsonWriter, EscapesEveryAsciiByteAsNlohmannDoes) {
  for (int c = 0; c < 128; ++c) {
    const std::string s = std::string("a") + static_cast<char>(c) + "b";
    std::string got;
    AppendJsonString(s, &got);
    EXPECT_EQ(got, nlohmann::json(s).dump()) << "byte " << c;
  }
  std::string got;
  AppendJsonString("héllo \xe2\x82\xac \"q\" \\ \t\n", &got);
  EXPECT_EQ(got, nlohmann::json("héllo \xe2\x82\xac \"q\" \\ \t\n").dump());
}

TEST(JsonWriter, NestsAndSeparates) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("a");
  w.BeginArray();
  w.Int(-1);
  w.UInt(18446744073709551615u);
  w.Bool(false);
  w.Null();
  w.BeginObject();
  w.EndObject();
  w.BeginArray();
  w.EndArray();
  w.EndArray();
  w.Key("b");
  w.StringArray({"x", "y"});
  w.EndObject();
  EXPECT_EQ(out, R"({"a":[-1,18446744073709551615,false,null,{},[]],"b":["x","y"]})");
}

TEST(JsonWriter, IndentsAsNlohmannDumpIndent) {
  for (int indent : {0, 2, 4}) {
    std::string out;
    JsonWriter w(&out, indent);
    w.BeginObject();
    w.Key("z");
    w.BeginArray();
    w.Int(1);
    w.BeginObject();
    w.EndObject();
    w.BeginArray();
    w.EndArray();
    w.BeginObject();
    w.Key("k");
    w.String("v");
    w.EndObject();
    w.EndArray();
    w.Key("a");
    w.Null();
    w.Key("e");
    w.StringArray({});
    w.EndObject();
    nlohmann::ordered_json j;
    j["z"] = {1, nlohmann::ordered_json::object(), nlohmann::ordered_json::array(), {{"k", "v"}}};
    j["a"] = nullptr;
    j["e"] = nlohmann::ordered_json::array();
    EXPECT_EQ(out, j.dump(indent)) << "indent " << indent;
  }
}

Plan SamplePlan() {
  Plan plan;
  plan.repo_root = "/r/o o\"t";
  plan.description_path = "/r/fanout.yaml";
  plan.build_dir = "/r/build";
  plan.fanout_binary = "/usr/bin/fanout";
  plan.source = "HEAD";
  plan.base = "origin/main";
  plan.direct = true;
  plan.gen_args = {"-f", "fanout.yaml", "--source", "HEAD"};
  plan.pools = {{"docker", 4}, {"big", 1}};
  plan.global_inputs = {"Makefile", "ci/**"};
  plan.post_submit = {"./push.sh \"$FANOUT_MANIFEST\"", true};
  plan.sandbox = SandboxRequirement::kRequired;
  plan.skipped = {"s1", "s2"};
  PlanTarget a;
  a.def.name = "api";
  a.def.mark = {12, 3};
  a.def.command = "make api\ttab $X \\ \"q\"";
  a.def.inputs = {"svc/api/**", "!svc/api/test/**"};
  a.def.deps = {"base"};
  a.def.pool = "docker";
  a.def.artifacts = {"out/api.tar"};
  a.def.env = {{"B", "2"}, {"A", "1\n"}};
  a.def.pass_env = {"HOME"};
  a.def.timeout_seconds = 1800;
  a.def.retries = 2;
  a.def.network = false;
  a.def.checkout = Checkout::kFull;
  a.def.limits = {1 << 30, 512, 4096};
  a.tier = 1;
  a.definition_digest = DefinitionDigest(a.def, plan.global_inputs);
  PlanTarget b;
  b.def.name = "base";
  b.def.command = "true";
  b.def.inputs = {"docker/base/**"};
  b.definition_digest = DefinitionDigest(b.def, plan.global_inputs);
  plan.targets = {b, a};
  return plan;
}

TEST(PlanToJson, IsWhatNlohmannWritesForTheSameDocument) {
  const std::string text = PlanToJson(SamplePlan());
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text, nlohmann::json::parse(text).dump() + "\n");
}

TEST(PlanToJson, RoundTripsThroughPlanFromJson) {
  const Plan plan = SamplePlan();
  auto back = PlanFromJson(PlanToJson(plan), "plan.json");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(PlanToJson(*back), PlanToJson(plan));
  ASSERT_EQ(back->targets.size(), 2u);
  const Target& a = back->targets[1].def;
  EXPECT_EQ(a.command, plan.targets[1].def.command);
  EXPECT_EQ(a.env, plan.targets[1].def.env);
  EXPECT_EQ(a.timeout_seconds, 1800);
  EXPECT_EQ(a.limits.memory_bytes, 1u << 30);
  EXPECT_FALSE(a.network);
  EXPECT_EQ(a.checkout, Checkout::kFull);
  EXPECT_EQ(back->base, "origin/main");
  EXPECT_EQ(back->sandbox, SandboxRequirement::kRequired);
  EXPECT_EQ(back->targets[0].definition_digest, plan.targets[0].definition_digest);
}

TEST(PlanFromJson, ReadsOnlyTheNamedTargetWhenAsked) {
  const Plan plan = SamplePlan();
  const std::string text = PlanToJson(plan);
  for (const PlanTarget& want : plan.targets) {
    auto one = PlanFromJson(text, "plan.json", &want.def.name);
    ASSERT_TRUE(one.ok()) << one.error().message;
    EXPECT_EQ(one->target_count, plan.targets.size());
    ASSERT_EQ(one->targets.size(), 1u);
    EXPECT_EQ(one->targets[0].def.name, want.def.name);
    EXPECT_EQ(one->targets[0].def.command, want.def.command);
    EXPECT_EQ(one->targets[0].def.inputs, want.def.inputs);
    EXPECT_EQ(one->targets[0].definition_digest, want.definition_digest);
    EXPECT_EQ(one->repo_root, plan.repo_root);
    EXPECT_EQ(one->global_inputs, plan.global_inputs);
  }
  const std::string missing = "no-such-target";
  auto none = PlanFromJson(text, "plan.json", &missing);
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_TRUE(none->targets.empty());
  EXPECT_EQ(none->target_count, plan.targets.size());
}

TEST(PlanFromJson, RejectsTruncatedMalformedOrIncompletePlans) {
  const std::string good = PlanToJson(SamplePlan());
  const std::vector<std::string> bad = {
      "",
      good.substr(0, good.size() / 2),
      "[1, 2]",
      "{\"repo_root\": 3}",
      // A required member missing: every field but the targets.
      good.substr(0, good.find("\"targets\":")) + "\"version\":1}",
  };
  for (const std::string& text : bad) {
    auto plan = PlanFromJson(text, "b/.fanout/plan.json");
    ASSERT_FALSE(plan.ok()) << text.substr(0, 80);
    EXPECT_NE(plan.error().message.find("b/.fanout/plan.json: not a valid plan"), std::string::npos)
        << plan.error().message;
    EXPECT_NE(plan.error().message.find("run 'fanout gen' again"), std::string::npos);
  }
}

}  // namespace
}  // namespace fanout
