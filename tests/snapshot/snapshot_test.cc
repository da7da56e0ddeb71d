// Unit tests of the snapshot module: the stamp index format, the prefixes a listing walks, and
// the snapshot gen takes on its own thread, against the one the snapshot step computes, and
// whether a work-tree snapshot is of uncommitted changes.
#include "snapshot/snapshot.h"
#include "snapshot/background_snapshot.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "base/build_layout.h"
#include "description/loader.h"
#include "test_util.h"

namespace fanout {
namespace {

using testing::GitRepo;
using testing::ReadFile;

TEST(StampIndex, ReadsTheHeaderAndFindsEntriesByName) {
  const StampIndex index(
      "#tree 0123456789012345678901234567890123456789 fanout-input-digest-v1\n"
      "#plan abcd\n"
      "#repo /a repo/with spaces\n"
      "#source release 1.0\n"
      "zeta D2 F2\n"
      "alpha D1 F1\n");
  EXPECT_EQ(index.tree(), "0123456789012345678901234567890123456789");
  EXPECT_EQ(index.plan(), "abcd");
  EXPECT_EQ(index.repo(), "/a repo/with spaces");
  EXPECT_EQ(index.source(), "release 1.0");
  ASSERT_EQ(index.entries().size(), 2u);
  EXPECT_EQ(index.entries()[0].name, "alpha");  // sorted
  const StampIndex::Entry* zeta = index.Find("zeta");
  ASSERT_NE(zeta, nullptr);
  EXPECT_EQ(zeta->digest, "D2");
  EXPECT_EQ(zeta->definition, "F2");
  EXPECT_EQ(index.Find("beta"), nullptr);
}

TEST(StampIndex, DigestsOfAnotherVersionAreNotReused) {
  const StampIndex index("#tree 0123456789012345678901234567890123456789 fanout-input-digest-v0\n");
  EXPECT_EQ(index.tree(), "");
  EXPECT_EQ(StampIndex("").plan(), "");
}

TEST(CompileInputs, OneWalkRootPerIncludeWithGlobalInputsAndTheWholeTreeForAFullCheckout) {
  Target a;
  // A literal pattern is its own root: a top-level file does not walk the whole tree.
  a.inputs = {"src/a/**", "!src/a/test/**", "docs/*.md"};
  Target b;
  b.inputs = {"src/b/x.c"};
  a.name = "a";
  b.name = "b";
  const CompiledInputs compiled = CompileInputs({b, a}, {"Makefile"});
  EXPECT_EQ(compiled.prefixes,
            (std::vector<std::string>{"Makefile", "docs", "src/a", "src/b/x.c"}));
  Target full;
  full.inputs = {"src/a/**"};
  full.checkout = Checkout::kFull;
  EXPECT_EQ(CompileInputs({full}, {}).prefixes, (std::vector<std::string>{"", "src/a"}));
  // Filters are found by name, and match the target's inputs and the global ones.
  ASSERT_NE(compiled.Find("a"), nullptr);
  EXPECT_TRUE(compiled.Find("a")->Matches("src/a/x.c"));
  EXPECT_FALSE(compiled.Find("a")->Matches("src/a/test/x.c"));
  EXPECT_TRUE(compiled.Find("b")->Matches("Makefile"));
  EXPECT_FALSE(compiled.Find("b")->Matches("src/a/x.c"));
  EXPECT_EQ(compiled.Find("c"), nullptr);
}

class BackgroundSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.Write("fanout.yaml",
                "version: 1\ntargets:\n"
                "  a:\n    command: \"true\"\n    inputs: [src/a/**]\n"
                "  b:\n    command: \"true\"\n    inputs: [src/b/**, \"!src/b/*.tmp\"]\n");
    repo_.Write("src/a/1.txt", "a1\n");
    repo_.Write("src/b/2.txt", "b2\n");
    repo_.Write("src/b/3.tmp", "b3\n");
    repo_.Write("other/4.txt", "o4\n");
    repo_.Commit("initial");
    auto loaded = LoadDescriptionFile(repo_ / "fanout.yaml");
    ASSERT_TRUE(loaded.description) << loaded.FormatErrors();
    inputs_ = CompileInputs(loaded.description->targets, loaded.description->global_inputs);
    plan_ = MakePlan(std::move(*loaded.description));
    plan_.repo_root = repo_.path();
    plan_.source = "HEAD";
    plan_.build_dir = repo_ / "build";
    auto repo = Repository::Open(repo_.path());
    ASSERT_TRUE(repo.ok());
    auto state = ResolveSource(*repo, plan_.source, "--source");
    ASSERT_TRUE(state.ok());
    state_ = *state;
  }
  std::string Stamp(const std::string& t) {
    return ReadFile(plan_.build_dir + "/" + layout::kStampsDir + "/" + t + ".stamp");
  }

  GitRepo repo_;
  Plan plan_;
  SourceState state_;
  CompiledInputs inputs_;
};

TEST_F(BackgroundSnapshotTest, WritesTheDigestsTheSnapshotStepComputes) {
  {
    BackgroundSnapshot snapshot(plan_.repo_root, plan_.build_dir, state_, inputs_);
    snapshot.SetPlan(&plan_);
    snapshot.SetPlanDigest(PlanDigest("{}"));
    ASSERT_TRUE(snapshot.Finish().ok());
  }
  auto repo = Repository::Open(repo_.path());
  ASSERT_TRUE(repo.ok());
  auto computed = ComputeSnapshot(*repo, plan_);
  ASSERT_TRUE(computed.ok()) << computed.error().message;
  ASSERT_EQ(computed->digests.size(), 2u);
  for (const TargetDigest& d : computed->digests) EXPECT_EQ(Stamp(d.name), d.digest + "\n");
  const StampIndex index(ReadFile(plan_.build_dir + "/" + layout::kStampIndex));
  EXPECT_EQ(index.tree(), state_.tree);
  EXPECT_EQ(index.plan(), PlanDigest("{}"));
  EXPECT_EQ(index.repo(), plan_.repo_root);
  EXPECT_EQ(index.source(), "HEAD");
}

TEST_F(BackgroundSnapshotTest, AbandonedBeforeThePlanStopsAndWritesNothing) {
  {
    BackgroundSnapshot snapshot(plan_.repo_root, plan_.build_dir, state_, inputs_);
  }  // no plan: the thread is told to stop, and joined
  EXPECT_FALSE(std::filesystem::exists(plan_.build_dir + "/" + layout::kStampIndex));
  {
    BackgroundSnapshot snapshot(plan_.repo_root, plan_.build_dir, state_, inputs_);
    snapshot.SetPlan(&plan_);
  }  // digests, but no plan digest: nothing is written
  EXPECT_FALSE(std::filesystem::exists(plan_.build_dir + "/" + layout::kStampIndex));
}

TEST_F(BackgroundSnapshotTest, AMissingTreeIsAnErrorNamingIt) {
  SourceState bad = state_;
  bad.tree = std::string(40, '1');
  BackgroundSnapshot snapshot(plan_.repo_root, plan_.build_dir, bad, inputs_);
  snapshot.SetPlan(&plan_);
  snapshot.SetPlanDigest(PlanDigest("{}"));
  Status st = snapshot.Finish();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find(bad.tree), std::string::npos) << st.error().message;
}

/// A work-tree snapshot of BackgroundSnapshotTest's repository (a reads src/a/**, b reads
/// src/b/** but not src/b/*.tmp): whether it is dirty, and the changed paths it lists.
class UncommittedChangesTest : public BackgroundSnapshotTest {
 protected:
  SourceState Snapshot(const std::string& source = "worktree", bool find_changes = true) {
    plan_.source = source;
    plan_.description_path = repo_ / "fanout.yaml";
    auto repo = Repository::Open(repo_.path());
    EXPECT_TRUE(repo.ok());
    if (!repo.ok()) return {};
    SnapshotOptions options;
    options.find_changes = find_changes;
    auto snap = ComputeSnapshot(*repo, plan_, options);
    EXPECT_TRUE(snap.ok()) << snap.error().message;
    return snap.ok() ? snap->state : SourceState{};
  }
};

TEST_F(UncommittedChangesTest, ACleanWorkTreeIsNotDirty) {
  const SourceState s = Snapshot();
  EXPECT_FALSE(s.dirty);
  EXPECT_TRUE(s.changed_paths.empty());
  EXPECT_EQ(s.changed_paths_omitted, 0u);
}

TEST_F(UncommittedChangesTest, EditsNoTargetReadsLeaveItClean) {
  repo_.Write("other/4.txt", "edited\n");  // read by no target
  repo_.Write("src/b/3.tmp", "edited\n");  // excluded from b
  repo_.Write("other/new.txt", "new\n");   // untracked, read by no target
  const SourceState s = Snapshot();
  EXPECT_FALSE(s.dirty) << s.changed_paths.size();
  EXPECT_TRUE(s.changed_paths.empty());
}

TEST_F(UncommittedChangesTest, EditedAddedAndDeletedInputsAreListedSorted) {
  repo_.Write("src/a/1.txt", "edited\n");
  repo_.Write("src/b/new.txt", "untracked\n");
  ASSERT_EQ(unlink((repo_ / "src/b/2.txt").c_str()), 0);
  repo_.Write("other/4.txt", "edited\n");  // not listed: no target reads it
  const SourceState s = Snapshot();
  EXPECT_TRUE(s.dirty);
  EXPECT_EQ(s.changed_paths,
            (std::vector<std::string>{"src/a/1.txt", "src/b/2.txt", "src/b/new.txt"}));
  EXPECT_EQ(s.changed_paths_omitted, 0u);
  EXPECT_EQ(s.commit, state_.commit) << "the commit is still HEAD's";
  // Positive control of the option: without looking, the same edits are not found.
  EXPECT_FALSE(Snapshot("worktree", /*find_changes=*/false).dirty);
  // A revision is what it names: never dirty, whatever the work tree holds.
  EXPECT_FALSE(Snapshot("HEAD").dirty);
}

TEST_F(UncommittedChangesTest, AnEditedDescriptionMakesItDirty) {
  repo_.Write("fanout.yaml", ReadFile(repo_ / "fanout.yaml") + "# edited\n");
  const SourceState s = Snapshot();
  EXPECT_TRUE(s.dirty);
  EXPECT_EQ(s.changed_paths, std::vector<std::string>{"fanout.yaml"});
}

TEST_F(UncommittedChangesTest, TheListIsCappedAndTheRestCounted) {
  const std::size_t n = kMaxChangedPaths + 7;
  for (std::size_t i = 0; i < n; ++i) {
    repo_.Write("src/a/many/" + std::to_string(100000 + i) + ".txt", "x\n");
  }
  const SourceState s = Snapshot();
  EXPECT_TRUE(s.dirty);
  ASSERT_EQ(s.changed_paths.size(), kMaxChangedPaths);
  EXPECT_EQ(s.changed_paths_omitted, 7u);
  EXPECT_EQ(s.ChangedPathCount(), n);
  EXPECT_TRUE(std::is_sorted(s.changed_paths.begin(), s.changed_paths.end()));
  EXPECT_EQ(s.changed_paths.front(), "src/a/many/100000.txt");
}

}  // namespace
}  // namespace fanout
