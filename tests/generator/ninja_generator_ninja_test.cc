// Reference tests: the generated build.ninja loaded and run by the real ninja, with a stand-in
// fanout script (generator_fixtures.h) whose path needs quoting and escaping.
#include <gtest/gtest.h>

#include "base/build_layout.h"
#include "generator/ninja_generator.h"
#include "generator_fixtures.h"

namespace fanout {
namespace {

using testing::MakeTarget;
using testing::Run;
using testing::RunResult;

// A fake build directory holding build.ninja for `plan`. The description file is old and the
// regeneration stamp and depfile are in place, so Ninja starts clean (nothing to regenerate),
// as after a real `fanout gen`.
class NinjaBuildDir : public testing::FakeBuildDir {
 public:
  explicit NinjaBuildDir(Plan plan)
      : FakeBuildDir(std::move(plan), "repo/my #1 $dir/fan out.yaml") {
    Expected<std::string> text = GenerateNinja(this->plan());
    EXPECT_TRUE(text.ok()) << text.error().message;
    if (text.ok()) testing::WriteFile(*this / layout::kBuildNinja, *text);
    std::vector<std::string> left_out;
    testing::WriteFile(*this / layout::kRegenDepfile,
                       GenerateRegenDepfile({this->plan().description_path}, &left_out));
    EXPECT_TRUE(left_out.empty());
    testing::WriteFile(*this / layout::kRegenStamp, "");
  }

  RunResult Ninja(std::vector<std::string> args, const std::vector<std::string>& env = {}) const {
    args.insert(args.begin(), "ninja");
    return Run(args, env);
  }
};

TEST(NinjaReference, DryRunParsesAndOrdersEveryEdge) {
  NinjaBuildDir b(testing::ThreeTargetPlan());
  RunResult r = b.Ninja({"-n"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.find("Regenerating"), std::string::npos) << r.out;
  std::vector<std::string> order = {"SNAPSHOT inputs", "BUILD base", "BUILD runtime",
                                    "BUILD publish", "GATHER manifest.json"};
  std::size_t at = 0;
  for (const std::string& step : order) {
    std::size_t found = r.out.find(step, at);
    ASSERT_NE(found, std::string::npos) << step << " missing or out of order in:\n" << r.out;
    at = found;
  }
  EXPECT_EQ(r.out.find("POST-SUBMIT"), std::string::npos) << "post-submit is not in all";
}

TEST(NinjaReference, QueryListsInputsAndOutputs) {
  NinjaBuildDir b(testing::ThreeTargetPlan());
  RunResult r =
      b.Ninja({"-t", "query", "targets/publish/result.json", ".fanout/stamps/base.stamp"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "targets/publish/result.json:\n"
            "  input: exec\n"
            "    .fanout/stamps/publish.stamp\n"
            "    | targets/base/result.json\n"
            "    | targets/runtime/result.json\n"
            "  outputs:\n"
            "    manifest.json\n"
            "    publish\n"
            ".fanout/stamps/base.stamp:\n"
            "  input: input_stamps\n"
            "    .fanout/snapshot.stamp\n"
            "  outputs:\n"
            "    targets/base/result.json\n");
}

TEST(NinjaReference, TargetsAllListsEveryAlias) {
  Plan plan = testing::ThreeTargetPlan();
  plan.post_submit.command = "push";
  NinjaBuildDir b(plan);
  RunResult r = b.Ninja({"-t", "targets", "all"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string listing = "\n" + r.out;
  for (const char* line :
       {"base: phony", "publish: phony", "runtime: phony", "all: phony", "post_submit: phony",
        "build.ninja: phony", "manifest.json: gather", "targets/runtime/result.json: exec",
        ".fanout/snapshot.stamp: snapshot", ".fanout/stamps/publish.stamp: input_stamps",
        ".fanout/build.ninja.stamp: regen", ".fanout/post_submit.stamp: post_submit"}) {
    EXPECT_NE(listing.find(std::string("\n") + line + "\n"), std::string::npos) << line << " in:\n"
                                                                                << r.out;
  }
}

TEST(NinjaReference, EverythingSkippedStillLoadsAndGathers) {
  Plan plan = testing::SkippedPlan();
  plan.targets.clear();
  plan.skipped = {"base", "runtime", "tools"};
  NinjaBuildDir b(plan);
  RunResult r = b.Ninja({});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(b.Calls(), (std::vector<std::string>{"[gather][-B][.]"}));
  EXPECT_NE(b.Ninja({}).out.find("no work to do"), std::string::npos);
}

TEST(NinjaReference, RunsTheQuotedBinaryInOrderThenDoesNothing) {
  NinjaBuildDir b(testing::ThreeTargetPlan());
  RunResult r = b.Ninja({});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(b.Calls(), (std::vector<std::string>{"[snapshot][-B][.]", "[exec][-B][.][base]",
                                                 "[exec][-B][.][runtime]", "[exec][-B][.][publish]",
                                                 "[gather][-B][.]"}));
  RunResult again = b.Ninja({});
  EXPECT_NE(again.out.find("no work to do"), std::string::npos) << again.out;
}

TEST(NinjaReference, ChangedInputRebuildsOnlyItsTargetAndDependents) {
  Plan plan = testing::ThreeTargetPlan();
  plan.targets.push_back(MakeTarget("solo"));
  NinjaBuildDir b(plan);
  ASSERT_EQ(b.Ninja({}).exit_code, 0);
  b.ClearCalls();

  // The snapshot's depfile names src/runtime; the snapshot rewrites only runtime's stamp, so
  // restat prunes base and solo.
  testing::WriteFile(b.dir() + "/src/runtime", "v2");
  RunResult r = b.Ninja({});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(b.Calls(), (std::vector<std::string>{"[snapshot][-B][.]", "[exec][-B][.][runtime]",
                                                 "[exec][-B][.][publish]", "[gather][-B][.]"}));
}

TEST(NinjaReference, EditedDescriptionRegeneratesWithTheOriginalArguments) {
  NinjaBuildDir b(testing::PostSubmitPlan());
  ASSERT_EQ(b.Ninja({}).exit_code, 0);
  b.ClearCalls();
  testing::WriteFile(b.plan().description_path, "version: 1\n# edited\n");
  RunResult r = b.Ninja({});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::vector<std::string> calls = b.Calls();
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls[0], "[gen][-f][" + b.plan().description_path + "][-B][" + b.dir() +
                          "][--source][$REV it's][--regenerate]");
  EXPECT_EQ(calls.size(), 1u) << "regeneration alone; the build was up to date";
  EXPECT_NE(b.Ninja({}).out.find("no work to do"), std::string::npos);
}

TEST(NinjaReference, PostSubmitRunsOnlyWhenAsked) {
  NinjaBuildDir b(testing::PostSubmitPlan());
  ASSERT_EQ(b.Ninja({}).exit_code, 0);
  EXPECT_FALSE(testing::Exists(b.dir() + "/" + layout::kPostSubmitStamp));
  RunResult r = b.Ninja({"post_submit"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(b.Calls().back(), "[gather][-B][.][--post-submit]");
  EXPECT_TRUE(testing::Exists(b.dir() + "/" + layout::kPostSubmitStamp));
}

TEST(NinjaReference, PoolDepthCapsConcurrentTargets) {
  Plan plan = testing::PostSubmitPlan();
  plan.pools = {{"one", 1}};
  plan.targets.clear();
  for (const char* name : {"one1", "one2", "one3"})
    plan.targets.push_back(MakeTarget(name, {}, "one"));
  for (const char* name : {"free1", "free2", "free3"}) plan.targets.push_back(MakeTarget(name));
  NinjaBuildDir b(plan);
  RunResult r = b.Ninja({"-j", "8"}, {"FAKE_SLEEP=0.3"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(testing::MaxConcurrency(b.dir(), "one"), 1);
  // The same measurement sees unpooled targets overlap, so it can see overlap at all.
  EXPECT_GE(testing::MaxConcurrency(b.dir(), "free"), 2);
}

}  // namespace
}  // namespace fanout
