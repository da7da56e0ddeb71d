// Fragments (generator/fragment.h): the Ninja file another build `subninja`s and the Makefile
// another Makefile `include`s, loaded by the real ninja and make next to rules, pools and
// targets of the including build's own that use the same bare names as fanout's.
#include "generator/fragment.h"

#include <gtest/gtest.h>

#include "base/build_layout.h"
#include "generator/make_generator.h"
#include "generator/ninja_generator.h"
#include "generator_fixtures.h"

namespace fanout {
namespace {

using testing::RunResult;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(FragmentSpec, PathsAreRelativeToTheParentAndNamesPrefixed) {
  Expected<FragmentSpec> inside = MakeFragmentSpec("/w/build/fanout", "/w/build", "img");
  ASSERT_TRUE(inside.ok()) << inside.error().message;
  EXPECT_EQ(inside->path_prefix, "fanout/");
  EXPECT_EQ(inside->Path("manifest.json"), "fanout/manifest.json");
  EXPECT_EQ(inside->Name("all"), "img-all");
  Expected<FragmentSpec> beside = MakeFragmentSpec("/w/fanout-out", "/w/build", "fanout");
  ASSERT_TRUE(beside.ok());
  EXPECT_EQ(beside->path_prefix, "../fanout-out/");
  Expected<FragmentSpec> same = MakeFragmentSpec("/w/build", "/w/build", "fanout");
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->path_prefix, "");
  EXPECT_EQ(same->Path("manifest.json"), "manifest.json");
}

TEST(FragmentSpec, APrefixThatCannotNameEverythingIsRefused) {
  for (const char* bad : {"", "-x", "a b", "a.b", "a$b", "a:b", "_x"}) {
    Expected<FragmentSpec> spec = MakeFragmentSpec("/w/b", "/w", bad);
    ASSERT_FALSE(spec.ok()) << bad;
    EXPECT_TRUE(Contains(spec.error().message, "[A-Za-z0-9][A-Za-z0-9_-]*")) << bad;
  }
  EXPECT_TRUE(MakeFragmentSpec("/w/b", "/w", "A_1-b").ok());
  EXPECT_FALSE(MakeFragmentSpec("/w/b", "relative", "fanout").ok());
}

// The including build's directory, with the fragment of ThreeTargetPlan at sub dir/fanout.
class FragmentDir {
 public:
  FragmentDir() {
    plan_ = testing::ThreeTargetPlan();
    plan_.build_dir = dir_ / "sub dir/fanout";
    plan_.description_path = dir_ / "fanout.yaml";
    Expected<FragmentSpec> spec = MakeFragmentSpec(plan_.build_dir, dir_.path(), "fanout");
    EXPECT_TRUE(spec.ok());
    spec_ = *spec;
    // What `fanout gen` leaves beside the fragment: an older description, and the plan.
    testing::WriteFile(plan_.description_path, "version: 1\n");
    testing::MakeOld(plan_.description_path);
    testing::WriteFile(dir_ / "sub dir/fanout/.fanout/plan.json", "{}");
    testing::WriteFile(dir_ / "sub/fanout/.fanout/plan.json", "{}");
  }
  const std::string& path() const { return dir_.path(); }
  std::string operator/(const std::string& rel) const { return dir_ / rel; }

  Plan plan_;
  FragmentSpec spec_;

 private:
  testing::TempDir dir_;
};

TEST(NinjaFragment, LoadsBesideTheParentsOwnRulesAndPoolsOfTheSameNames) {
  FragmentDir d;
  Expected<std::string> text = GenerateNinja(d.plan_, &d.spec_);
  ASSERT_TRUE(text.ok()) << text.error().message;
  testing::WriteFile(d / "sub dir/fanout/fragment.ninja", *text);
  // The parent has its own `exec` rule, `docker` pool and `all` target: fanout's are prefixed,
  // so nothing clashes (Ninja refuses a second pool or output of one name).
  testing::WriteFile(d / "build.ninja",
                     "pool docker\n  depth = 1\n"
                     "rule exec\n  command = touch $out\n  pool = docker\n"
                     "build own: exec\n"
                     "build all: phony own\n"
                     "subninja sub$ dir/fanout/fragment.ninja\n"
                     "default all\n");
  RunResult dry = testing::Run({"ninja", "-n", "all", "fanout-all"}, d.path());
  ASSERT_EQ(dry.exit_code, 0) << dry.out << dry.err;
  EXPECT_TRUE(Contains(dry.out, "BUILD publish")) << dry.out;
  EXPECT_TRUE(Contains(dry.out, "GATHER sub dir/fanout/manifest.json")) << dry.out;

  RunResult query = testing::Run(
      {"ninja", "-t", "query", "sub dir/fanout/targets/publish/result.json"}, d.path());
  ASSERT_EQ(query.exit_code, 0) << query.err;
  EXPECT_EQ(query.out,
            "sub dir/fanout/targets/publish/result.json:\n"
            "  input: fanout-exec\n"
            "    sub dir/fanout/.fanout/stamps/publish.stamp\n"
            "    | sub dir/fanout/targets/base/result.json\n"
            "    | sub dir/fanout/targets/runtime/result.json\n"
            "  outputs:\n"
            "    sub dir/fanout/manifest.json\n"
            "    fanout-publish\n");
  // Commands enter the build directory, where fanout's commands run; pools are prefixed.
  RunResult commands = testing::Run({"ninja", "-t", "commands", "fanout-base"}, d.path());
  ASSERT_EQ(commands.exit_code, 0) << commands.err;
  EXPECT_TRUE(Contains(commands.out,
                       "cd 'sub dir/fanout' && exec /usr/local/bin/fanout "
                       "snapshot -B . --depfile-prefix 'sub dir/fanout/'\n"))
      << commands.out;
  EXPECT_TRUE(
      Contains(commands.out, "cd 'sub dir/fanout' && exec /usr/local/bin/fanout exec -B . base\n"))
      << commands.out;
  EXPECT_TRUE(Contains(*text, "\npool fanout-docker\n")) << *text;
  EXPECT_TRUE(Contains(*text, "  pool = fanout-docker\n")) << *text;
  // No default of its own: the parent's `default all` is what a bare ninja builds.
  EXPECT_FALSE(Contains(*text, "\ndefault")) << *text;
  RunResult bare = testing::Run({"ninja", "-n"}, d.path());
  ASSERT_EQ(bare.exit_code, 0) << bare.err;
  EXPECT_FALSE(Contains(bare.out, "BUILD base")) << bare.out;
}

TEST(NinjaFragment, TheRegenerationDepfileNamesTheStampAsTheParentSeesIt) {
  FragmentDir d;
  const std::string depfile = GenerateRegenDepfile({d.plan_.description_path}, nullptr, &d.spec_);
  EXPECT_EQ(depfile.substr(0, depfile.find('\n')),
            "sub\\ dir/fanout/.fanout/fragment.ninja.stamp: \\");
  // Without a fragment, the complete build's own stamp.
  const std::string plain = GenerateRegenDepfile({d.plan_.description_path});
  EXPECT_EQ(plain.substr(0, plain.find(':')), layout::kRegenStamp);
}

TEST(MakeFragment, LoadsBesideTheParentsOwnTargetsAndKeepsItsDefaultGoal) {
  FragmentDir d;
  d.plan_.build_dir = d / "sub/fanout";
  Expected<FragmentSpec> spec = MakeFragmentSpec(d.plan_.build_dir, d.path(), "img");
  ASSERT_TRUE(spec.ok());
  Expected<std::string> text = GenerateMakefile(d.plan_, &*spec);
  ASSERT_TRUE(text.ok()) << text.error().message;
  testing::WriteFile(d / "sub/fanout/fragment.mk", *text);
  testing::WriteFile(d / "Makefile",
                     "FANOUT := not-ours\n"
                     "own: FORCE\n\techo own $(FANOUT)\n"
                     "FORCE:\n"
                     "include sub/fanout/fragment.mk\n");
  // The parent's first target stays its default goal, and its variable keeps its value.
  RunResult bare = testing::Run({"make", "-n"}, d.path());
  ASSERT_EQ(bare.exit_code, 0) << bare.out << bare.err;
  EXPECT_TRUE(Contains(bare.out, "echo own not-ours")) << bare.out;
  EXPECT_FALSE(Contains(bare.out, "exec")) << bare.out;

  RunResult dry = testing::Run({"make", "-n", "img-publish"}, d.path());
  ASSERT_EQ(dry.exit_code, 0) << dry.out << dry.err;
  EXPECT_TRUE(Contains(dry.out,
                       "cd sub/fanout && /usr/local/bin/fanout exec -B . --pool-slots "
                       "base\n"))
      << dry.out;
  EXPECT_TRUE(Contains(dry.out, "--pool-slots publish\n")) << dry.out;
  EXPECT_TRUE(Contains(*text, "\nimg_fanout := /usr/local/bin/fanout\n")) << *text;
  EXPECT_TRUE(Contains(*text, "\nsub/fanout/fragment.mk: fanout.yaml\n")) << *text;
  EXPECT_FALSE(Contains(*text, ".DEFAULT_GOAL")) << *text;
  EXPECT_FALSE(Contains(*text, ".SUFFIXES")) << *text;
  EXPECT_FALSE(Contains(*text, "\nFORCE:")) << *text;
}

TEST(MakeFragment, ABuildDirectoryMakeCannotHoldIsRefusedNamingIt) {
  FragmentDir d;  // "sub dir/fanout": a space
  Expected<std::string> text = GenerateMakefile(d.plan_, &d.spec_);
  ASSERT_FALSE(text.ok());
  EXPECT_TRUE(Contains(text.error().message, d / "sub dir/fanout")) << text.error().message;
  EXPECT_TRUE(Contains(text.error().message, "cannot be written in a Makefile"))
      << text.error().message;
}

}  // namespace
}  // namespace fanout
