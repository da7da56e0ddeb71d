// report/dirty_build.h: the CI warning for a build of uncommitted changes.
#include "report/dirty_build.h"

#include <map>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace fanout {
namespace {

using Env = std::map<std::string, std::string>;

std::function<const char*(const char*)> Lookup(const Env& env) {
  return [&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
}

SourceState Dirty(std::size_t paths, std::uint64_t omitted = 0) {
  SourceState s{"worktree", std::string("0123456789abcdef0123456789abcdef01234567"),
                std::string(40, 'e')};
  s.dirty = true;
  for (std::size_t i = 0; i < paths; ++i) s.changed_paths.push_back(fmt::format("p{}", i));
  s.changed_paths_omitted = omitted;
  return s;
}

TEST(DirtyBuildWarning, OnlyInCiAndOnlyWhenDirty) {
  const Env none, ci = {{"CI", "true"}}, gha = {{"GITHUB_ACTIONS", "true"}}, no = {{"CI", "false"}};
  EXPECT_FALSE(DirtyBuildWarning(Dirty(2), Lookup(none), 0));
  EXPECT_FALSE(DirtyBuildWarning(Dirty(2), Lookup(no), 0));
  EXPECT_TRUE(DirtyBuildWarning(Dirty(2), Lookup(ci), 0));
  EXPECT_TRUE(DirtyBuildWarning(Dirty(2), Lookup(gha), 0));
  SourceState clean = Dirty(0);
  clean.dirty = false;
  EXPECT_FALSE(DirtyBuildWarning(clean, Lookup(ci), 0));
}

TEST(DirtyBuildWarning, NamesTheCountTheFirstPathsAndTheCommit) {
  const Env ci = {{"CI", "true"}};
  auto w = DirtyBuildWarning(Dirty(7, 3), Lookup(ci), 0);
  ASSERT_TRUE(w);
  EXPECT_EQ(*w,
            "fanout: warning: this build is of uncommitted changes: 10 paths the targets read "
            "differ from commit 0123456789ab (p0, p1, p2, p3, p4 and 5 more); manifest.json says "
            "\"dirty\": true; commit the changes (or find the step that makes them) and build a "
            "clean checkout");
  auto one = DirtyBuildWarning(Dirty(1), Lookup(ci), 2);
  ASSERT_TRUE(one);
  EXPECT_NE(one->find("1 path the targets read differs from commit 0123456789ab (p0);"),
            std::string::npos)
      << *one;
  EXPECT_NE(one->find("and 2 image tags naming the commit were left out"), std::string::npos)
      << *one;
}

TEST(DirtyBuildWarning, GitHubActionsGetsAnEscapedWorkflowCommand) {
  const Env gha = {{"GITHUB_ACTIONS", "true"}, {"CI", "true"}};
  SourceState s = Dirty(0);
  s.changed_paths = {"100%.txt", "new\nline"};
  auto w = DirtyBuildWarning(s, Lookup(gha), 0);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->rfind("::warning::fanout: this build is of uncommitted changes: 2 paths", 0), 0u)
      << *w;
  EXPECT_NE(w->find("(100%25.txt, new\\x0aline)"), std::string::npos) << *w;
  EXPECT_EQ(w->find('\n'), std::string::npos);
}

}  // namespace
}  // namespace fanout
