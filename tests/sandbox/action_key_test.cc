// The action key (sandbox/action_key.h, records/action_record.h): every part changes the key,
// and ChangedActionParts names the parts that changed; dependencies count by their result.
#include "sandbox/action_key.h"

#include <gtest/gtest.h>

#include "base/build_layout.h"
#include "records/action_record.h"
#include "test_util.h"

namespace fanout::sandbox {
namespace {

records::ActionRecord Base() {
  records::ActionRecord a;
  a.input_digest = std::string(64, '1');
  a.definition_digest = std::string(64, '2');
  a.env_digest = std::string(64, '3');
  a.deps = {{"base", std::string(64, '4')}};
  a.platform = "linux/x86_64";
  records::ComputeActionKey(a);
  return a;
}

TEST(ActionKey, EveryPartChangesTheKeyAndIsNamed) {
  const records::ActionRecord before = Base();
  EXPECT_EQ(before.key.size(), 64u);
  EXPECT_TRUE(ChangedActionParts(before, Base()).empty());
  struct Case {
    std::function<void(records::ActionRecord&)> change;
    std::vector<std::string> named;
  };
  const Case cases[] = {
      {[](auto& a) { a.input_digest[0] = 'f'; }, {"its inputs"}},
      {[](auto& a) {
         a.definition_digest[0] = 'f';
         a.input_digest[0] = 'f';
       },
       {"its definition"}},
      {[](auto& a) { a.env_digest[0] = 'f'; }, {"its pass_env variables"}},
      {[](auto& a) { a.deps["base"][0] = 'f'; }, {"dependency 'base'"}},
      {[](auto& a) { a.deps["extra"] = std::string(64, '5'); }, {"new dependency 'extra'"}},
      {[](auto& a) { a.deps.clear(); }, {"dependency 'base' removed"}},
      {[](auto& a) { a.platform = "linux/aarch64"; }, {"the machine type"}},
      {[](auto& a) { a.version += 1; }, {"the key's format version"}},
  };
  for (const Case& c : cases) {
    records::ActionRecord now = Base();
    c.change(now);
    records::ComputeActionKey(now);
    EXPECT_NE(now.key, before.key);
    EXPECT_EQ(ChangedActionParts(before, now), c.named);
  }
  // Length-prefixed parts: moving a character between two parts gives another key.
  records::ActionRecord shifted = Base();
  shifted.platform = "linux/x86_6";
  shifted.env_digest += "4";
  records::ComputeActionKey(shifted);
  EXPECT_NE(shifted.key, before.key);
}

TEST(ActionKey, ADependencyCountsByItsArtifactsAndImageNotItsTimings) {
  records::SuccessRecord r;
  r.target = "base";
  r.artifacts = {{"base.tar", 10, std::string(64, 'a')}};
  const std::string digest = records::ResultDigest(r);
  records::SuccessRecord later = r;
  later.duration_seconds = 99;
  later.started_at = 1234;
  later.status = TargetStatus::kCached;
  EXPECT_EQ(records::ResultDigest(later), digest);
  later.artifacts[0].sha256[0] = 'b';
  EXPECT_NE(records::ResultDigest(later), digest);
  records::SuccessRecord image = r;
  image.image = records::ImageRecord{"sha256:" + std::string(64, 'c'), "", 0, "image"};
  EXPECT_NE(records::ResultDigest(image), digest);
}

TEST(ActionKey, PassEnvValuesAndTheirAbsenceAreParts) {
  fanout::testing::TempDir dir;
  PlanTarget t;
  t.def.name = "t";
  t.def.pass_env = {"TOKEN_A"};
  t.definition_digest = std::string(64, '2');
  auto unset = ComputeAction(dir.path(), t, std::string(64, '1'), {});
  auto empty = ComputeAction(dir.path(), t, std::string(64, '1'), {{"TOKEN_A", ""}});
  auto one = ComputeAction(dir.path(), t, std::string(64, '1'), {{"TOKEN_A", "1"}});
  auto other = ComputeAction(dir.path(), t, std::string(64, '1'), {{"TOKEN_A", "2"}});
  auto unrelated =
      ComputeAction(dir.path(), t, std::string(64, '1'), {{"TOKEN_A", "1"}, {"OTHER", "x"}});
  auto refused = ComputeAction(dir.path(), t, std::string(64, '1'),
                               {{"TOKEN_A", "1"}, {"FANOUT_PASS_ENV_ALLOW", "NOTHING"}});
  ASSERT_TRUE(unset.ok() && empty.ok() && one.ok() && other.ok() && unrelated.ok() && refused.ok());
  EXPECT_NE(unset->key, empty->key);
  EXPECT_NE(one->key, other->key);
  EXPECT_EQ(one->key, unrelated->key) << "only pass_env variables count";
  EXPECT_EQ(refused->key, unset->key) << "a variable the runner does not pass is unset";
  // A dependency without a result is an error naming it.
  t.def.deps = {"base"};
  auto missing = ComputeAction(dir.path(), t, std::string(64, '1'), {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("dependency 'base'"), std::string::npos);
}

}  // namespace
}  // namespace fanout::sandbox
