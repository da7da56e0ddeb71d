// plan.json's sandbox fields: `sockets` and `limits.tmp` are written, read back and digested.
#include "plan/plan.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

namespace fanout {
namespace {

Plan OneTargetPlan(const Target& def) {
  Plan plan;
  plan.repo_root = "/r";
  plan.description_path = "/r/fanout.yaml";
  plan.build_dir = "/r/build";
  PlanTarget pt;
  pt.def = def;
  pt.definition_digest = DefinitionDigest(def, plan.global_inputs);
  plan.targets = {pt};
  plan.target_count = 1;
  return plan;
}

Target SocketTarget() {
  Target t;
  t.name = "img";
  t.command = "docker build .";
  t.inputs = {"docker/**"};
  t.sockets = {"/var/run/docker.sock", "/run/user/1000/ssh \"agent\".sock"};
  t.limits.tmp_bytes = 2ull << 30;
  return t;
}

TEST(PlanTest, SocketsAndTmpLimitAreWrittenUnderTheirKeys) {
  const nlohmann::json j = nlohmann::json::parse(PlanToJson(OneTargetPlan(SocketTarget())));
  const nlohmann::json& t = j["targets"][0];
  EXPECT_EQ(t["sockets"],
            nlohmann::json({"/var/run/docker.sock", "/run/user/1000/ssh \"agent\".sock"}));
  EXPECT_EQ(t["limits"]["tmp"], 2ull << 30);
  Target plain = SocketTarget();
  plain.sockets.clear();
  plain.limits.tmp_bytes = 0;
  const nlohmann::json p = nlohmann::json::parse(PlanToJson(OneTargetPlan(plain)));
  EXPECT_EQ(p["targets"][0]["sockets"], nlohmann::json::array());
  EXPECT_EQ(p["targets"][0]["limits"]["tmp"], 0);
}

TEST(PlanTest, SocketsAndTmpLimitRoundTrip) {
  const Plan plan = OneTargetPlan(SocketTarget());
  const std::string text = PlanToJson(plan);
  auto back = PlanFromJson(text, "plan.json");
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->targets.size(), 1u);
  EXPECT_EQ(back->targets[0].def.sockets, SocketTarget().sockets);
  EXPECT_EQ(back->targets[0].def.limits.tmp_bytes, 2ull << 30);
  EXPECT_EQ(PlanToJson(*back), text);
  // Read for one target, as an edge reads it.
  const std::string name = "img";
  auto one = PlanFromJson(text, "plan.json", &name);
  ASSERT_TRUE(one.ok()) << one.error().message;
  ASSERT_EQ(one->targets.size(), 1u);
  EXPECT_EQ(one->targets[0].def.sockets, SocketTarget().sockets);
  EXPECT_EQ(one->targets[0].def.limits.tmp_bytes, 2ull << 30);
}

TEST(PlanTest, PlanWithoutSocketsOrTmpIsRejected) {
  const std::string text = PlanToJson(OneTargetPlan(SocketTarget()));
  for (const std::string key : {"sockets", "tmp"}) {
    nlohmann::json j = nlohmann::json::parse(text);
    if (key == "tmp") {
      j["targets"][0]["limits"].erase("tmp");
    } else {
      j["targets"][0].erase("sockets");
    }
    auto plan = PlanFromJson(j.dump(), "plan.json");
    ASSERT_FALSE(plan.ok()) << key;
    EXPECT_NE(plan.error().message.find("'" + key + "' is missing"), std::string::npos)
        << plan.error().message;
  }
}

TEST(PlanTest, DefinitionDigestChangesWithSocketsAndTmpLimit) {
  const Target base = SocketTarget();
  const std::string digest = DefinitionDigest(base, {});
  EXPECT_EQ(DefinitionDigest(base, {}), digest);

  Target more = base;
  more.sockets.push_back("/run/podman/podman.sock");
  Target fewer = base;
  fewer.sockets.pop_back();
  Target none = base;
  none.sockets.clear();
  Target reordered = base;
  std::swap(reordered.sockets[0], reordered.sockets[1]);
  Target tmp = base;
  tmp.limits.tmp_bytes = 4ull << 30;
  Target tmp_default = base;
  tmp_default.limits.tmp_bytes = 0;
  for (const Target* t : {&more, &fewer, &none, &reordered, &tmp, &tmp_default}) {
    EXPECT_NE(DefinitionDigest(*t, {}), digest)
        << "sockets " << ::testing::PrintToString(t->sockets) << " tmp " << t->limits.tmp_bytes;
  }
  // A socket path is one field, not glued to its neighbours.
  Target split = base;
  split.sockets = {"/a", "/b"};
  Target joined = base;
  joined.sockets = {"/a/b"};
  EXPECT_NE(DefinitionDigest(split, {}), DefinitionDigest(joined, {}));
  // Where the entries are in the file is not part of the definition.
  Target moved = base;
  moved.socket_marks = {{40, 15}, {40, 37}};
  EXPECT_EQ(DefinitionDigest(moved, {}), digest);
}

}  // namespace
}  // namespace fanout
