// records/target_record.h: result.json and failure.json round trip, and every malformed file
// is an error that names the file, what is wrong and what to do.
#include "records/target_record.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "records_fixture.h"
#include "test_util.h"

namespace fanout::records {
namespace {

using nlohmann::json;
namespace tu = ::fanout::testing;
using testing::SampleFailure;
using testing::SampleSuccess;

constexpr const char* kPath = "build/targets/app/result.json";

/// The error of parsing `j` as result.json; "" when it parses.
std::string SuccessError(const json& j) {
  auto r = ParseSuccess(j.dump(), kPath);
  return r.ok() ? "" : r.error().message;
}

TEST(TargetRecord, SuccessRoundTrips) {
  const SuccessRecord r = SampleSuccess();
  auto back = ParseSuccess(SuccessText(r), kPath);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, r);
}

TEST(TargetRecord, FailureRoundTripsWithAndWithoutItsOptionalParts) {
  FailureRecord f = SampleFailure();
  auto back = ParseFailure(FailureText(f), "failure.json");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, f);

  f.signal.reset();
  f.sandbox.reset();
  back = ParseFailure(FailureText(f), "failure.json");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, f);
  const json j = json::parse(FailureText(f));
  EXPECT_TRUE(j["signal"].is_null());
  EXPECT_TRUE(j["sandbox"].is_null()) << "an unset nullable field is written as null";
}

TEST(TargetRecord, WritesTheDocumentedShape) {
  SuccessRecord r = SampleSuccess();
  r.sandbox.landlock.reset();
  r.sandbox.fallback_reason.reset();
  r.source.commit.reset();
  const json j = json::parse(SuccessText(r));
  EXPECT_EQ(j["version"], kTargetRecordVersion);
  EXPECT_EQ(j["status"], "flaky");
  EXPECT_EQ(j["source"], json({{"commit", nullptr}, {"tree", "7ree"}, {"dirty", true}}));
  EXPECT_TRUE(j["sandbox"]["landlock"].is_null());
  EXPECT_TRUE(j["sandbox"]["fallback_reason"].is_null());
  EXPECT_EQ(j["sandbox"]["limits"], json({{"memory", "cgroup v2"}, {"nofile", "rlimit"}}));
  EXPECT_EQ(j["artifacts"][0], json({{"path", "bin/app"}, {"size", 2048}, {"sha256", "00ff"}}));
  EXPECT_EQ(json::parse(SuccessText(SampleSuccess()))["sandbox"]["landlock"],
            json({{"abi", 3}, {"restricts", {"read", "write"}}}));
}

TEST(TargetRecord, InvalidUtf8InALogTailIsReplacedNotThrown) {
  FailureRecord f = SampleFailure();
  f.log_tail = "bad\xff";
  auto back = ParseFailure(FailureText(f), "failure.json");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->log_tail, "bad\xEF\xBF\xBD");
}

TEST(TargetRecord, MalformedFilesNameThePathWhatIsWrongAndWhatToDo) {
  auto invalid = ParseSuccess("{\"target\": ", kPath);
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().message,
            std::string(kPath) + ": not valid JSON; " + kTargetRecordRemedy);
  auto array = ParseFailure("[1]", "f.json");
  ASSERT_FALSE(array.ok());
  EXPECT_EQ(array.error().message,
            std::string("f.json: not a JSON object; ") + kTargetRecordRemedy);

  json j = json::parse(SuccessText(SampleSuccess()));
  EXPECT_EQ(SuccessError(j), "");
  json v2 = j;
  v2["version"] = 2;
  EXPECT_EQ(SuccessError(v2), std::string(kPath) +
                                  ": unsupported version 2 (this fanout reads version 1); " +
                                  kTargetRecordRemedy);
  json unversioned = j;
  unversioned.erase("version");
  EXPECT_NE(SuccessError(unversioned).find(": the field 'version' is missing"), std::string::npos)
      << SuccessError(unversioned);

  json missing = j;
  missing.erase("input_digest");
  EXPECT_EQ(SuccessError(missing),
            std::string(kPath) + ": the field 'input_digest' is missing; " + kTargetRecordRemedy);
  json nested = j;
  nested["sandbox"].erase("tier");
  EXPECT_EQ(SuccessError(nested),
            std::string(kPath) + ": the field 'sandbox.tier' is missing; " + kTargetRecordRemedy);

  json wrong = j;
  wrong["attempts"] = "two";
  EXPECT_EQ(SuccessError(wrong), std::string(kPath) + ": the field 'attempts' is not an integer; " +
                                     kTargetRecordRemedy);
  json negative = j;
  negative["artifacts"][1]["size"] = -1;
  EXPECT_NE(SuccessError(negative).find("the field 'artifacts[1].size' is not a non-negative"),
            std::string::npos)
      << SuccessError(negative);
  json status = j;
  status["status"] = "great";
  EXPECT_NE(SuccessError(status).find("the field 'status' is not a status"), std::string::npos);
  json limits = j;
  limits["sandbox"]["limits"]["memory"] = 5;
  EXPECT_NE(SuccessError(limits).find("the field 'sandbox.limits.memory' is not a string"),
            std::string::npos)
      << SuccessError(limits);
}

TEST(TargetRecord, FilesAreWrittenAtomicallyAndAMissingOneIsAnErrorNamingIt) {
  tu::TempDir dir;
  const std::string result = dir / "result.json", failure = dir / "failure.json";
  ASSERT_TRUE(WriteSuccess(result, SampleSuccess()).ok());
  ASSERT_TRUE(WriteFailure(failure, SampleFailure()).ok());
  auto r = ReadSuccess(result);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, SampleSuccess());
  auto f = ReadFailure(failure);
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(*f, SampleFailure());

  auto none = ReadSuccess(dir / "none.json");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find(dir / "none.json"), std::string::npos);
  EXPECT_NE(none.error().message.find("rebuild the target"), std::string::npos);
  tu::WriteFile(dir / "bad.json", "{\"version\": 1, \"target\": 3}");
  auto bad = ReadFailure(dir / "bad.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            (dir / "bad.json") + ": the field 'target' is not a string; " + kTargetRecordRemedy);
}

}  // namespace
}  // namespace fanout::records
