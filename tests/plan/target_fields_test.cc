// plan/target_fields.cc's table: every field of a target is written, read back and either part
// of the definition digest or marked as not defining; fanout.yaml's target keys each have a
// field; malformed plan.json files are refused with the path and what to do.
#include "plan/target_fields.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <string>

#include "description/validate.h"
#include "plan/plan.h"

namespace fanout {
namespace {

using nlohmann::json;

/// A target with every field set to something other than its default.
Plan FullPlan() {
  Target t;
  t.name = "img";
  t.mark = {12, 3};
  t.command = "docker build .";
  t.inputs = {"docker/**", "!docker/tmp/**"};
  t.deps = {"base"};
  t.pool = "docker";
  t.artifacts = {"out/img.tar"};
  t.env = {{"A", "1"}};
  t.pass_env = {"HOME"};
  t.sockets = {"/var/run/docker.sock"};
  t.timeout_seconds = 600;
  t.retries = 2;
  t.network = false;
  t.checkout = Checkout::kFull;
  t.limits = {1u << 30, 100, 1024, 2u << 30};
  t.image = ImageSpec{"docker/img",
                      "docker/img/Dockerfile.prod",
                      {{"BASE", "{image:base}"}},
                      "runtime",
                      "linux/amd64",
                      {"reg/img:{short}"},
                      {"type=registry,ref=reg/img:cache"},
                      {"type=local,dest=/c"},
                      {{"npmrc", ImageSecret::Source::kFile, "~/.npmrc"},
                       {"token", ImageSecret::Source::kEnv, "NPM_TOKEN"}}};
  Target base;
  base.name = "base";
  base.command = "true";
  Description desc;
  desc.global_inputs = {"fanout.yaml"};
  desc.targets = {base, t};
  Plan plan = MakePlan(std::move(desc));
  plan.repo_root = "/r";
  plan.description_path = "/r/fanout.yaml";
  plan.build_dir = "/r/build";
  return plan;
}

/// The target under test: the second (after "base"), whatever its name has been changed to.
const PlanTarget& Img(const Plan& plan) { return plan.targets.at(1); }

/// Values that differ from `v` and have its JSON type (several, since some fields accept only
/// certain values, such as `checkout`).
std::vector<json> Changes(const json& v) {
  if (v.is_string()) {
    return {v.get<std::string>() + "x", "inputs", "full", "buildah"};
  }
  if (v.is_array()) {
    json more = v;
    more.push_back("zz");
    json fewer = v;
    if (!fewer.empty()) fewer.erase(fewer.begin());
    return {more, fewer};
  }
  if (v.is_object()) {
    json more = v;
    more["ZZ"] = "v";
    return {more};
  }
  if (v.is_boolean()) return {!v.get<bool>()};
  if (v.is_number()) return {v.get<std::int64_t>() + 1};
  if (v.is_null()) return {7};
  return {};
}

/// The plan's text with the first change of img's member at `path` that reads back; the
/// re-read plan in `out`.
bool ChangeField(const std::string& text, const std::vector<std::string>& path, Plan* out,
                 std::string* changed_text) {
  json j = json::parse(text);
  json* target = nullptr;
  for (json& t : j["targets"]) {
    if (t["name"] == "img") target = &t;
  }
  json* member = target;
  for (const std::string& key : path) member = &(*member)[key];
  for (const json& change : Changes(*member)) {
    if (change == *member) continue;
    const json saved = *member;
    *member = change;
    auto plan = PlanFromJson(j.dump(), "plan.json");
    if (plan.ok()) {
      *out = std::move(*plan);
      *changed_text = j.dump();
      return true;
    }
    *member = saved;
  }
  return false;
}

TEST(TargetFieldsTest, EveryFieldIsWrittenReadBackAndDigestedUnlessMarkedNot) {
  const Plan plan = FullPlan();
  const std::string text = PlanToJson(plan);
  const std::string digest = DefinitionDigest(Img(plan).def, plan.global_inputs);
  std::vector<std::vector<std::string>> paths;
  for (const auto& f : TargetFields()) {
    if (f.key == "limits") {
      for (const auto& l : LimitFields()) paths.push_back({"limits", std::string(l.key)});
    } else if (f.key == "image") {
      for (const auto& i : ImageFields()) paths.push_back({"image", std::string(i.key)});
    } else {
      paths.push_back({std::string(f.key)});
    }
  }
  ASSERT_EQ(paths.size(), TargetFields().size() - 2 + LimitFields().size() + ImageFields().size());
  for (const auto& path : paths) {
    SCOPED_TRACE(path.back());
    Plan changed;
    std::string changed_text;
    ASSERT_TRUE(ChangeField(text, path, &changed, &changed_text));
    // Read as written: writing the re-read plan gives the changed document back.
    EXPECT_EQ(json::parse(PlanToJson(changed)), json::parse(changed_text));
    bool defines = false;
    for (const auto& f : TargetFields()) {
      if (f.key == path[0]) defines = f.defines;
    }
    if (path[0] == "limits") {
      for (const auto& l : LimitFields()) defines &= l.key != path[1] || l.defines;
    }
    if (path[0] == "image") {
      for (const auto& i : ImageFields()) defines &= i.key != path[1] || i.defines;
    }
    const std::string after = DefinitionDigest(Img(changed).def, changed.global_inputs);
    if (defines) {
      EXPECT_NE(after, digest) << "a change of this field would not rebuild the target";
    } else {
      EXPECT_EQ(after, digest) << "this field is marked as not part of the definition";
    }
  }
}

TEST(TargetFieldsTest, OnlyWhereItIsWhatIsDerivedAndCacheUseAreLeftOutOfTheDigest) {
  // `cache` says whether results may be reused, and `log_limit` how much of the output the log
  // keeps: neither changes a result.
  std::set<std::string> left_out;
  for (const auto& f : TargetFields()) {
    if (!f.defines) left_out.insert(std::string(f.key));
  }
  EXPECT_EQ(left_out, (std::set<std::string>{"cache", "column", "definition_digest", "line",
                                             "log_limit", "tier"}));
}

TEST(TargetFieldsTest, GlobalInputsArePartOfEveryDefinition) {
  const Plan plan = FullPlan();
  EXPECT_NE(DefinitionDigest(Img(plan).def, {"fanout.yaml"}),
            DefinitionDigest(Img(plan).def, {"fanout.yaml", "go.mod"}));
}

TEST(TargetFieldsTest, EveryDescriptionKeyOfATargetHasAPlanField) {
  std::set<std::string> from_table;
  for (const auto& f : TargetFields()) {
    const std::string_view key = DescriptionKey(f.key);
    if (!key.empty()) from_table.insert(std::string(key));
    for (std::string_view more : MoreDescriptionKeys(f.key)) from_table.insert(std::string(more));
  }
  std::set<std::string> from_validator;
  for (std::string_view key : TargetBodyKeys()) from_validator.insert(std::string(key));
  EXPECT_EQ(from_table, from_validator);

  std::set<std::string> limits_table, limits_validator;
  for (const auto& f : LimitFields()) limits_table.insert(std::string(f.key));
  for (std::string_view key : TargetLimitKeys()) limits_validator.insert(std::string(key));
  EXPECT_EQ(limits_table, limits_validator);

  std::set<std::string> image_table, image_validator;
  for (const auto& f : ImageFields()) image_table.insert(std::string(f.key));
  for (std::string_view key : TargetImageKeys()) image_validator.insert(std::string(key));
  EXPECT_EQ(image_table, image_validator);
}

TEST(TargetFieldsTest, ATargetWithoutAnImageReadsBackWithout) {
  Plan plan = FullPlan();
  plan.targets[1].def.image.reset();
  auto back = PlanFromJson(PlanToJson(plan), "plan.json");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_FALSE(Img(*back).def.image.has_value());
  EXPECT_NE(DefinitionDigest(Img(*back).def, plan.global_inputs),
            DefinitionDigest(Img(FullPlan()).def, plan.global_inputs))
      << "becoming an image target changes the definition";
}

/// PlanFromJson's error for `text`, which must be refused.
std::string Refusal(const std::string& text) {
  auto plan = PlanFromJson(text, "/b/.fanout/plan.json");
  EXPECT_FALSE(plan.ok()) << text;
  if (plan.ok()) return "";
  const std::string& m = plan.error().message;
  EXPECT_EQ(m.rfind("/b/.fanout/plan.json: not a valid plan (", 0), 0u) << m;
  EXPECT_NE(m.find("run 'fanout gen' again"), std::string::npos) << m;
  return m;
}

TEST(TargetFieldsTest, MalformedPlansAreRefusedWithWhatIsWrong) {
  const std::string text = PlanToJson(FullPlan());
  EXPECT_NE(Refusal("").find("not a valid plan"), std::string::npos);
  EXPECT_NE(Refusal("{\"targets\": [").find("not a valid plan"), std::string::npos);
  EXPECT_NE(Refusal("[]").find("not a valid plan"), std::string::npos);
  EXPECT_NE(Refusal(text.substr(0, text.size() / 2)).find("not a valid plan"), std::string::npos);

  json j = json::parse(text);
  j["version"] = 2;
  EXPECT_NE(Refusal(j.dump()).find("version 2 is not one this fanout reads"), std::string::npos);

  j = json::parse(text);
  j.erase("version");
  EXPECT_NE(Refusal(j.dump()).find("'version' is missing"), std::string::npos);

  j = json::parse(text);
  j["targets"][1]["retries"] = "two";
  EXPECT_NE(Refusal(j.dump()).find("target 'img': 'retries' has the wrong type"),
            std::string::npos);

  j = json::parse(text);
  j["targets"][1]["checkout"] = "some";
  EXPECT_NE(Refusal(j.dump()).find("'checkout' has the wrong type"), std::string::npos);

  j = json::parse(text);
  j["targets"][1]["limits"].erase("pids");
  EXPECT_NE(Refusal(j.dump()).find("target 'img': in 'limits': 'pids' is missing"),
            std::string::npos);

  j = json::parse(text);
  j["targets"][0].erase("name");
  EXPECT_NE(Refusal(j.dump()).find("target 1: 'name' is missing"), std::string::npos);

  j = json::parse(text);
  j["targets"] = json::object();
  EXPECT_NE(Refusal(j.dump()).find("'targets' has the wrong type"), std::string::npos);
}

// Found by fuzz/fuzz_plan_json: broken JSON text inside a target (a stray token after a value,
// before the target's name) made the error path reset the target's object to look for its
// name, through simdjson's iterator that the error had abandoned: a null dereference. The
// plan is refused instead, naming the target by its position; a target with a member of the
// wrong type (the test above) is still named by its name.
TEST(TargetFieldsTest, BrokenJsonInsideATargetIsRefusedWithoutReadingOn) {
  std::string text = PlanToJson(FullPlan());
  const std::string key = "\"cache\":";
  std::size_t at = text.find(key);
  ASSERT_NE(at, std::string::npos);
  at = text.find(key, at + 1);  // the second target's
  ASSERT_NE(at, std::string::npos) << text;
  at += key.size();
  at += text.compare(at, 4, "true") == 0 ? 4 : 5;
  text.insert(at, " 5");
  const std::string m = Refusal(text);
  EXPECT_NE(m.find("target 2: "), std::string::npos) << m;
}

// Found by fuzz/fuzz_plan_json: with a key twice in a target, the whole plan's read kept the
// last 'name' and an edge's read of one target matched the first, so the two disagreed on
// which targets the plan holds. A key twice is refused (fanout never writes one).
TEST(TargetFieldsTest, AKeyTwiceIsRefused) {
  const std::string text = PlanToJson(FullPlan());
  const std::string key = "\"name\":";
  const std::size_t at = text.find(key);
  ASSERT_NE(at, std::string::npos);
  std::string twice = text;
  twice.insert(at, "\"name\":\"other\",");
  EXPECT_NE(Refusal(twice).find("'name' appears twice"), std::string::npos);
  // The same text without the repetition is a valid plan.
  EXPECT_TRUE(PlanFromJson(text, "plan.json").ok());
}

// Found by fuzz/fuzz_plan_json: two targets of one name were read, and an edge reading its
// target got both. Both reads refuse such a plan (fanout never writes one).
TEST(TargetFieldsTest, ATargetNameTwiceIsRefused) {
  json j = json::parse(PlanToJson(FullPlan()));
  j["targets"][1]["name"] = j["targets"][0]["name"];
  const std::string name = j["targets"][0]["name"];
  EXPECT_NE(Refusal(j.dump()).find("target '" + name + "' appears twice"), std::string::npos);
  auto one = PlanFromJson(j.dump(), "plan.json", &name);
  ASSERT_FALSE(one.ok());
  EXPECT_NE(one.error().message.find("appears twice"), std::string::npos) << one.error().message;
  // The plan as written, names distinct, is read both ways.
  const std::string text = PlanToJson(FullPlan());
  EXPECT_TRUE(PlanFromJson(text, "plan.json").ok());
  EXPECT_TRUE(PlanFromJson(text, "plan.json", &name).ok());
}

TEST(TargetFieldsTest, AnEdgeReadingOneTargetRefusesATargetWithoutName) {
  json j = json::parse(PlanToJson(FullPlan()));
  j["targets"][0].erase("name");
  const std::string name = "img";
  auto plan = PlanFromJson(j.dump(), "plan.json", &name);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.error().message.find("target 1: 'name' is missing"), std::string::npos)
      << plan.error().message;
}

TEST(TargetFieldsTest, MembersANewerFanoutAddsArePassedOver) {
  json j = json::parse(PlanToJson(FullPlan()));
  j["targets"][1]["color"] = "blue";
  j["shards"] = 3;
  auto plan = PlanFromJson(j.dump(), "plan.json");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->targets.size(), 2u);
}

}  // namespace
}  // namespace fanout
