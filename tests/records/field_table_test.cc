// records/field_table.h: every field of every record's table is written, read back, and
// (when required) refused when missing, by the one table.
#include "records/field_table.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "records/action_record.h"
#include "records/import_record.h"
#include "records/manifest.h"
#include "records/target_record.h"
#include "records_fixture.h"

namespace fanout::records {
namespace {

using nlohmann::json;

/// For a sample of R with every field set: each field of the table is in the written object,
/// reads back into a default R to the same value, and a required one is refused when missing.
template <Record R>
void EachFieldIsWrittenAndReadBack(const R& sample) {
  const json written = Codec<R>::Write(sample);
  ASSERT_EQ(written.size(), R::Fields().size()) << "every field is written, nothing else";
  for (const Field<R>& f : R::Fields()) {
    SCOPED_TRACE(f.name);
    ASSERT_TRUE(written.contains(f.name));
    R fresh{};
    ASSERT_FALSE(f.read(written[f.name], fresh).has_value());
    EXPECT_EQ(f.write(fresh), written[f.name]) << "the field reads back to what was written";
    EXPECT_NE(f.write(fresh), f.write(R{})) << "the sample sets a value other than the default";

    json without = written;
    without.erase(f.name);
    R partial{};
    auto problem = Codec<R>::Read(without, partial);
    if (f.required) {
      ASSERT_TRUE(problem.has_value());
      EXPECT_EQ(problem->field, f.name);
      EXPECT_EQ(problem->problem, "is missing");
    } else {
      EXPECT_FALSE(problem.has_value()) << "an optional field may be left out";
    }
  }
  R back{};
  ASSERT_FALSE(Codec<R>::Read(written, back).has_value());
  EXPECT_EQ(back, sample);
}

TEST(FieldTable, EveryFieldOfTheTargetRecordsIsWrittenAndReadBack) {
  SuccessRecord success = testing::SampleSuccess();
  success.exit_code = 5;  // always 0 in a real result; any other value shows it is read back
  EachFieldIsWrittenAndReadBack(success);
  EachFieldIsWrittenAndReadBack(testing::SampleFailure());
  EachFieldIsWrittenAndReadBack(testing::SampleSandbox());
  EachFieldIsWrittenAndReadBack(testing::SampleSuccess().source);
  EachFieldIsWrittenAndReadBack(testing::SampleSuccess().artifacts[0]);
  EachFieldIsWrittenAndReadBack(*testing::SampleSandbox().landlock);
  EachFieldIsWrittenAndReadBack(*testing::SampleSuccess().image);
  EachFieldIsWrittenAndReadBack(*testing::SampleSuccess().action);
  EachFieldIsWrittenAndReadBack(*testing::SampleSuccess().cached);
  CacheEntryRecord entry;
  entry.target = "app";
  entry.action = *testing::SampleSuccess().action;
  entry.attempts = 3;
  entry.duration_seconds = 4.5;
  entry.finished_at = 1700000001.5;
  entry.source = testing::SampleSuccess().source;
  entry.sandbox = testing::SampleSandbox();
  entry.image = testing::SampleSuccess().image;
  EachFieldIsWrittenAndReadBack(entry);
  auto back = ParseCacheEntry(CacheEntryText(entry), "entry");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, entry);
}

TEST(FieldTable, EveryFieldOfTheManifestIsWrittenAndReadBack) {
  const Manifest m = testing::SampleManifest();
  EachFieldIsWrittenAndReadBack(m);
  EachFieldIsWrittenAndReadBack(m.source);
  EachFieldIsWrittenAndReadBack(m.timings);
  ManifestTarget every = m.targets[0];
  every.message = "succeeded on attempt 2";  // a success has no message; set it to test it
  EachFieldIsWrittenAndReadBack(every);
  EachFieldIsWrittenAndReadBack((*m.targets[0].artifacts)[0]);
  EachFieldIsWrittenAndReadBack(*m.targets[0].image);
}

TEST(FieldTable, EveryFieldOfTheImportRecordIsWrittenAndReadBack) {
  EachFieldIsWrittenAndReadBack(ImportRecord{{"/runner/from/0", "/runner/from/1"}, {"base"}});
  const std::string text = ImportRecordText(ImportRecord{{"/from"}, {"base"}});
  auto back = ParseImportRecord(text, "import.json");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->targets, std::vector<std::string>{"base"});
  auto bad = ParseImportRecord("{\"version\": 1, \"from\": [3]}", "x/import.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("x/import.json"), std::string::npos) << bad.error().message;
}

TEST(FieldTable, ProblemsNameTheFieldsPath) {
  json j = Codec<SuccessRecord>::Write(testing::SampleSuccess());
  j["sandbox"]["landlock"]["restricts"][1] = 7;
  SuccessRecord r;
  auto p = Codec<SuccessRecord>::Read(j, r);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->field, "sandbox.landlock.restricts[1]");
  EXPECT_EQ(p->problem, "is not a string");
}

}  // namespace
}  // namespace fanout::records
