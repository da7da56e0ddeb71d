// plan.json's reader (plan/plan_json.cc over base/json_fields.h) checks what it passes over, so
// that an edge's read of its own target and the whole plan's read never disagree.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "plan/plan.h"

namespace fanout {
namespace {

Plan OneTarget() {
  Plan plan;
  plan.repo_root = "/r";
  plan.description_path = "/r/fanout.yaml";
  plan.build_dir = "/r/build";
  PlanTarget t;
  t.def.name = "app";
  t.def.command = "make";
  t.def.inputs = {"src/**"};
  t.definition_digest = DefinitionDigest(t.def, plan.global_inputs);
  plan.targets = {t};
  plan.target_count = 1;
  return plan;
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from << " in " << text;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(PlanJson, AnUnknownMemberIsPassedOverWhenItIsValidJson) {
  const std::string text = PlanToJson(OneTarget());
  ASSERT_TRUE(PlanFromJson(text, "plan.json").ok());
  const std::string newer =
      Replace(text, "\"limits\":{", "\"limits\":{\"x\":[1,{\"y\":[null,true,\"z\"]}],");
  auto read = PlanFromJson(newer, "p/plan.json");
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(PlanToJson(*read), text);
  auto broken = PlanFromJson(Replace(text, "\"limits\":{", "\"limits\":{\"x\":[1,{\"y\" 2}],"),
                             "p/plan.json");
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.error().message.find("in 'limits': 'x' is not valid JSON"), std::string::npos)
      << broken.error().message;
}

// Found by fuzz/fuzz_plan_json: after an unknown member, text that is not JSON (`"k":"a":null`)
// was skipped unchecked by the whole read, which then took the broken text for a plan that an
// edge's read of its target refused. Both refuse it now.
TEST(PlanJson, BrokenJsonInsideAMemberIsRefusedByEveryRead) {
  const std::string text = PlanToJson(OneTarget());
  const std::string broken = Replace(text, "\"limits\":{", "\"limits\":{\"k\":\"a\":null,");
  EXPECT_FALSE(PlanFromJson(broken, "plan.json").ok());
  const std::string name = "app";
  EXPECT_FALSE(PlanFromJson(broken, "plan.json", &name).ok());

  std::ifstream in(std::string(FANOUT_SOURCE_DIR) +
                   "/fuzz/corpus/fuzz_plan_json/crash-e128ec1d1c94bb69ba9171c85f1913553a6f356f");
  std::stringstream crash;
  crash << in.rdbuf();
  ASSERT_FALSE(crash.str().empty());
  EXPECT_FALSE(PlanFromJson(crash.str(), "plan.json").ok());
}

}  // namespace
}  // namespace fanout
