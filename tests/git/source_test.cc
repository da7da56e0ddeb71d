// git/source.h and git/source_state.h: a source resolves to the commit and tree git itself
// names; the work tree resolves to a snapshot that holds unstaged edits; errors say which
// option or revision is wrong; source.json is read back exactly, and a malformed one is
// refused with its path.
#include "git/source.h"

#include <gtest/gtest.h>

#include "base/exit_codes.h"
#include "git/source_state.h"
#include "test_util.h"

namespace fanout {
namespace {

using fanout::testing::GitRepo;

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

TEST(ResolveSourceTest, ARevisionResolvesToTheCommitAndTreeGitNames) {
  GitRepo repo;
  repo.Write("a.txt", "a\n");
  const std::string first = repo.Commit("first");
  repo.Write("a.txt", "b\n");
  repo.Commit("second");
  auto r = Repository::Open(repo.path());
  ASSERT_TRUE(r.ok());
  auto state = ResolveSource(*r, "HEAD~1", "--source");
  ASSERT_TRUE(state.ok()) << state.error().message;
  EXPECT_EQ(state->source, "HEAD~1");
  EXPECT_EQ(state->commit, Trim(repo.Git({"rev-parse", "HEAD~1"})));
  EXPECT_EQ(state->tree, Trim(repo.Git({"rev-parse", "HEAD~1^{tree}"})));
  EXPECT_EQ(OidToString(SourceTree(*state)), state->tree);
  EXPECT_EQ(*state->commit, Trim(first));
}

TEST(ResolveSourceTest, TheWorkTreeResolvesToASnapshotWithItsEdits) {
  GitRepo repo;
  repo.Write("a.txt", "a\n");
  repo.Commit("first");
  auto r = Repository::Open(repo.path());
  ASSERT_TRUE(r.ok());
  auto clean = ResolveSource(*r, "worktree", "--source");
  ASSERT_TRUE(clean.ok()) << clean.error().message;
  EXPECT_EQ(clean->tree, Trim(repo.Git({"rev-parse", "HEAD^{tree}"})));
  EXPECT_EQ(clean->commit, Trim(repo.Git({"rev-parse", "HEAD"})));

  repo.Write("a.txt", "edited\n");
  repo.Write("build/out.txt", "left out\n");
  auto edited = ResolveSource(*r, "worktree", "--source", {"build"});
  ASSERT_TRUE(edited.ok()) << edited.error().message;
  EXPECT_NE(edited->tree, clean->tree);
  auto text = r->ReadFileAt(SourceTree(*edited), "a.txt");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->value_or(""), "edited\n");
  auto excluded = r->ReadFileAt(SourceTree(*edited), "build/out.txt");
  ASSERT_TRUE(excluded.ok());
  EXPECT_FALSE(excluded->has_value()) << "the build directory is left out of the snapshot";
}

TEST(ResolveSourceTest, AnUnknownRevisionIsAGitErrorNamingIt) {
  GitRepo repo;
  repo.Write("a.txt", "a\n");
  repo.Commit("first");
  auto r = Repository::Open(repo.path());
  ASSERT_TRUE(r.ok());
  auto state = ResolveSource(*r, "no-such-branch", "--source");
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.error().exit_code, kExitGit);
  EXPECT_NE(state.error().message.find("no-such-branch"), std::string::npos)
      << state.error().message;
}

TEST(ResolveSourceTest, TheWorkTreeOfABareRepositoryIsAUsageErrorNamingTheOption) {
  GitRepo repo;
  repo.Write("a.txt", "a\n");
  repo.Commit("first");
  fanout::testing::TempDir bare;
  repo.Git({"clone", "-q", "--bare", repo.path(), bare / "r.git"});
  auto r = Repository::Open(bare / "r.git");
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto state = ResolveSource(*r, "worktree", "--head");
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.error().exit_code, kExitUsage);
  EXPECT_NE(state.error().message.find("is bare"), std::string::npos) << state.error().message;
  EXPECT_NE(state.error().message.find("pass --head REV"), std::string::npos)
      << state.error().message;
  EXPECT_TRUE(ResolveSource(*r, "HEAD", "--head").ok());
}

TEST(ResolveSourceTest, TheBuildDirectoryIsExcludedOnlyInsideTheWorkTree) {
  GitRepo repo;
  repo.Write("a.txt", "a\n");
  repo.Commit("first");
  auto r = Repository::Open(repo.path());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(BuildDirExclusion(*r, repo / "out/fanout"), std::vector<std::string>{"out/fanout"});
  EXPECT_TRUE(BuildDirExclusion(*r, repo.path()).empty());
  EXPECT_TRUE(BuildDirExclusion(*r, "/elsewhere/build").empty());
  EXPECT_TRUE(BuildDirExclusion(*r, repo.path() + "-sibling/build").empty());
}

constexpr const char* kTree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
constexpr const char* kCommit = "0123456789abcdef0123456789abcdef01234567";

TEST(SourceStateTest, RoundTrips) {
  for (const SourceState& s : {SourceState{"HEAD~2", std::string(kCommit), kTree},
                               SourceState{"worktree", std::nullopt, kTree}}) {
    auto back = SourceStateFromJson(SourceStateToJson(s), "source.json");
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->source, s.source);
    EXPECT_EQ(back->commit, s.commit);
    EXPECT_EQ(back->tree, s.tree);
  }
}

TEST(SourceStateTest, TheDirtyFieldsRoundTrip) {
  SourceState s{"worktree", std::string(kCommit), kTree};
  s.dirty = true;
  s.changed_paths = {"a b.txt", "src/\"q\".c"};
  s.changed_paths_omitted = 5;
  EXPECT_EQ(s.ChangedPathCount(), 7u);
  auto back = SourceStateFromJson(SourceStateToJson(s), "source.json");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(back->dirty);
  EXPECT_EQ(back->changed_paths, s.changed_paths);
  EXPECT_EQ(back->changed_paths_omitted, 5u);
  // A clean state says so.
  auto clean = SourceStateFromJson(
      SourceStateToJson(SourceState{"HEAD", std::string(kCommit), kTree}), "source.json");
  ASSERT_TRUE(clean.ok()) << clean.error().message;
  EXPECT_FALSE(clean->dirty);
  EXPECT_TRUE(clean->changed_paths.empty());
  // A dirty flag of the wrong type is refused, naming it.
  auto bad = SourceStateFromJson(
      std::string("{\"commit\": null, \"dirty\": 1, \"source\": \"worktree\", \"tree\": \"") +
          kTree + "\"}",
      "source.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("'dirty' has the wrong type"), std::string::npos)
      << bad.error().message;
}

TEST(SourceStateTest, AFileFromBeforeTheVersionFieldIsRead) {
  auto s = SourceStateFromJson(
      std::string("{\"commit\": null, \"source\": \"worktree\", \"tree\": \"") + kTree + "\"}",
      "source.json");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->tree, kTree);
  EXPECT_FALSE(s->dirty) << "a file from before the dirty fields reads as a clean build";
}

TEST(SourceStateTest, MalformedFilesAreRefusedWithThePath) {
  const std::string tree = std::string("\"") + kTree + "\"";
  const std::pair<std::string, std::string> cases[] = {
      {"", "not a valid source record"},
      {"[]", "not a valid source record"},
      {"{\"commit\": null, \"source\": \"worktree\"}", "'tree' is missing"},
      {"{\"commit\": null, \"source\": \"worktree\", \"tree\": \"xyz\"}",
       "'tree' has the wrong type"},
      {"{\"commit\": 7, \"source\": \"worktree\", \"tree\": " + tree + "}",
       "'commit' has the wrong type"},
      {"{\"commit\": null, \"source\": \"worktree\", \"tree\": " + tree + ", \"version\": 2}",
       "version 2 is not one this fanout reads"},
  };
  for (const auto& [text, why] : cases) {
    auto s = SourceStateFromJson(text, "/b/.fanout/source.json");
    ASSERT_FALSE(s.ok()) << text;
    EXPECT_EQ(s.error().message.rfind("/b/.fanout/source.json: not a valid source record", 0), 0u)
        << s.error().message;
    EXPECT_NE(s.error().message.find(why), std::string::npos) << s.error().message;
    EXPECT_NE(s.error().message.find("run the build again"), std::string::npos);
  }
}

TEST(SourceStateTest, AMissingFileSaysTheSnapshotStepWritesIt) {
  fanout::testing::TempDir dir;
  auto s = ReadSourceState(dir.path());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("the snapshot step writes it"), std::string::npos)
      << s.error().message;
}

}  // namespace
}  // namespace fanout
