// Unit tests of change detection through the library: the tree diff, the filter index, the
// affected computation on real repositories, and the output formats.
#include "affected/affected.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "affected/affected_report.h"
#include "description/loader.h"
#include "git/changed_paths.h"
#include "git/filter_index.h"
#include "test_util.h"

namespace fanout {
namespace {

using testing::GitRepo;

constexpr const char* kDescription = R"(version: 1
global_inputs: [Makefile]
targets:
  base:
    command: "true"
    inputs: [docker/base/**]
  runtime:
    command: "true"
    inputs: [python/**, "!python/tests/**", build-runtime.sh]
    deps: [base]
  app:
    command: "true"
    inputs: [app]
    deps: [runtime]
  other:
    command: "true"
    inputs: [other/**]
)";

Description Load(const std::string& text) {
  LoadResult r = LoadDescriptionText(text, "fanout.yaml");
  EXPECT_TRUE(r.description.has_value()) << r.FormatErrors();
  return r.description.value_or(Description{});
}

/// A repository with the standard layout committed once.
struct Fixture {
  GitRepo git;
  std::string first;
  Fixture() {
    git.Write("fanout.yaml", kDescription);
    git.Write("Makefile", "all:\n");
    git.Write("docker/base/Dockerfile", "FROM scratch\n");
    git.Write("python/x.py", "x = 1\n");
    git.Write("python/tests/test_x.py", "t = 1\n");
    git.Write("build-runtime.sh", "#!/bin/sh\n");
    git.Write("app/main.go", "package main\n");
    git.Write("other/o.txt", "o\n");
    first = git.Commit("init");
  }
  AffectedResult Affected(AffectedOptions opts, const std::string& desc_text = kDescription) {
    auto repo = Repository::Open(git.path());
    EXPECT_TRUE(repo.ok());
    if (opts.description_relpath.empty()) opts.description_relpath = "fanout.yaml";
    auto r = ComputeAffected(*repo, Load(desc_text), opts);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? std::move(r).value() : AffectedResult{};
  }
  AffectedResult Since(const std::string& base) {
    AffectedOptions o;
    o.base = base;
    return Affected(o);
  }
};

std::vector<std::string> Names(const AffectedResult& r) {
  std::vector<std::string> out;
  for (const AffectedTarget& t : r.affected) out.push_back(t.name);
  return out;
}

std::vector<std::string> Paths(const std::vector<ChangedPath>& c) {
  std::vector<std::string> out;
  for (const ChangedPath& p : c) out.push_back(p.path);
  return out;
}

using V = std::vector<std::string>;

TEST(FilterIndex, AgreesWithPathFilterOnEveryPath) {
  const std::vector<std::vector<std::string>> lists = {
      {"docker/base/**"},
      {"python/**", "!python/tests/**", "build-runtime.sh"},
      {"app"},
      {"*.md"},
      {"**/BUILD", "!third_party/**"},
      {"lib/*/src/**", "lib/common"},
      {"pkg/"},
      {"go/**/*.go", "!go/**/*_test.go"},
      {"a/b[0-9]/c"},
      {"docs/foo[1].txt"},
  };
  std::vector<const std::vector<std::string>*> pointers;
  for (const auto& l : lists) pointers.push_back(&l);
  FilterIndex index(pointers);
  std::vector<PathFilter> filters;
  for (const auto& l : lists) filters.push_back(PathFilter::Compile(l).value());

  const std::vector<std::string> segs = {
      "docker", "base", "python",     "tests",    "app",         "x.md", "BUILD", "lib",
      "common", "src",  "pkg",        "go",       "a_test.go",   "b.go", "a",     "b1",
      "c",      "docs", "foo[1].txt", "foo1.txt", "third_party", "apps"};
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    std::string path;
    const int depth = 1 + static_cast<int>(rng() % 5);
    for (int d = 0; d < depth; ++d) {
      if (d) path += '/';
      path += segs[rng() % segs.size()];
    }
    std::vector<FilterIndex::Match> got;
    ASSERT_TRUE(index.MatchAll(path, &got).ok());
    std::vector<size_t> got_ids;
    for (const auto& m : got) {
      got_ids.push_back(m.filter);
      ASSERT_NE(m.pattern, nullptr);
      EXPECT_TRUE(m.pattern->Matches(path)) << path;
    }
    std::vector<size_t> want;
    for (size_t f = 0; f < filters.size(); ++f) {
      if (filters[f].Matches(path)) want.push_back(f);
    }
    ASSERT_EQ(got_ids, want) << path;
  }
}

TEST(FilterIndex, PruneKeyIsTheLiteralLeadingDirectory) {
  EXPECT_EQ(FilterIndex::PruneKey("docker/base/**"), "docker/base");
  EXPECT_EQ(FilterIndex::PruneKey("pkg"), "pkg");
  EXPECT_EQ(FilterIndex::PruneKey("pkg/"), "pkg");
  EXPECT_EQ(FilterIndex::PruneKey("a/b/c.txt"), "a/b/c.txt");
  EXPECT_EQ(FilterIndex::PruneKey("**/BUILD"), "");
  EXPECT_EQ(FilterIndex::PruneKey("*.md"), "");
  EXPECT_EQ(FilterIndex::PruneKey("lib/*/src/**"), "lib");
  EXPECT_EQ(FilterIndex::PruneKey("docs/foo[1].txt"), "docs");
  EXPECT_EQ(FilterIndex::PruneKey("a/b\\.go"), "a");
}

TEST(DiffTrees, RenameCountsBothPathsAndModesCount) {
  GitRepo git;
  git.Write("a/x.txt", "x\n");
  git.Write("s.sh", "echo\n");
  git.Write("t.txt", "target1\n");
  testing::Sh("ln -s t.txt link", git.path());
  std::string c1 = git.Commit("one");
  testing::Sh("mkdir b", git.path());
  git.Git({"mv", "a/x.txt", "b/x.txt"});
  testing::Sh("chmod +x s.sh && ln -sfn s.sh link", git.path());
  std::string c2 = git.Commit("two");
  auto repo = Repository::Open(git.path());
  ASSERT_TRUE(repo.ok());
  auto t1 = repo->CommitTree(*ParseOid(c1));
  auto t2 = repo->CommitTree(*ParseOid(c2));
  auto changed = DiffTrees(*repo, *t1, *t2);
  ASSERT_TRUE(changed.ok()) << changed.error().message;
  ASSERT_EQ(Paths(*changed), (V{"a/x.txt", "b/x.txt", "link", "s.sh"}));
  EXPECT_EQ((*changed)[0].status, 'D');
  EXPECT_EQ((*changed)[1].status, 'A');
  EXPECT_EQ((*changed)[3].status, 'M');
}

TEST(DiffTrees, FileToSymlinkIsOneTypeChange) {
  GitRepo git;
  git.Write("f", "content\n");
  git.Write("g", "g\n");
  std::string c1 = git.Commit("one");
  testing::Sh("rm f && ln -s g f", git.path());
  std::string c2 = git.Commit("two");
  auto repo = Repository::Open(git.path());
  auto changed =
      DiffTrees(*repo, *repo->CommitTree(*ParseOid(c1)), *repo->CommitTree(*ParseOid(c2)));
  ASSERT_TRUE(changed.ok());
  ASSERT_EQ(changed->size(), 1u);
  EXPECT_EQ((*changed)[0].path, "f");
  EXPECT_EQ((*changed)[0].status, 'T');
}

TEST(DiffTrees, FileBecomesDirectoryAndBackAsGitSays) {
  GitRepo git;
  git.Write("f", "file\n");
  git.Write("d/x", "x\n");
  git.Write("d/y/z", "z\n");
  git.Write("f.c", "c\n");
  std::string c1 = git.Commit("one");
  testing::Sh("rm f && mkdir f && echo a > f/a && rm -r d && echo d > d", git.path());
  std::string c2 = git.Commit("two");
  auto repo = Repository::Open(git.path());
  auto changed =
      DiffTrees(*repo, *repo->CommitTree(*ParseOid(c1)), *repo->CommitTree(*ParseOid(c2)));
  ASSERT_TRUE(changed.ok());
  std::string want = git.Git({"diff", "--name-only", "--no-renames", c1, c2});
  std::string got;
  for (const std::string& p : Paths(*changed)) got += p + "\n";
  EXPECT_EQ(got, want);
  EXPECT_EQ(Paths(*changed), (V{"d", "d/x", "d/y/z", "f", "f/a"}));
}

TEST(Affected, InputChangeAffectsTargetAndDependentsInTiers) {
  Fixture f;
  f.git.Write("docker/base/Dockerfile", "FROM debian\n");
  f.git.Commit("edit");
  AffectedResult r = f.Since(f.first);
  EXPECT_EQ(Names(r), (V{"app", "base", "runtime"}));
  EXPECT_EQ(r.unaffected, (V{"other"}));
  EXPECT_EQ(r.tiers, (std::vector<V>{{"base"}, {"runtime"}, {"app"}}));
  EXPECT_FALSE(r.all);
  const AffectedTarget* base = r.Find("base");
  ASSERT_NE(base, nullptr);
  ASSERT_EQ(base->reasons.size(), 1u);
  EXPECT_EQ(base->reasons[0].kind, "input");
  EXPECT_EQ(base->reasons[0].path, "docker/base/Dockerfile");
  EXPECT_EQ(base->reasons[0].pattern, "docker/base/**");
  const AffectedTarget* app = r.Find("app");
  ASSERT_EQ(app->reasons.size(), 1u);
  EXPECT_EQ(app->reasons[0].kind, "dep");
  EXPECT_EQ(app->reasons[0].target, "runtime");
  EXPECT_EQ(app->tier, 2);
}

TEST(Affected, ExcludedPathDoesNotAffect) {
  Fixture f;
  f.git.Write("python/tests/test_x.py", "t = 2\n");
  f.git.Commit("tests only");
  EXPECT_EQ(Names(f.Since(f.first)), V{});
}

TEST(Affected, TierCountsOnlyAffectedDependencies) {
  Fixture f;
  f.git.Write("python/x.py", "x = 2\n");
  f.git.Commit("edit");
  AffectedResult r = f.Since(f.first);
  EXPECT_EQ(r.tiers, (std::vector<V>{{"runtime"}, {"app"}}));
  EXPECT_EQ(r.Find("runtime")->tier, 0);
}

TEST(Affected, GlobalInputAffectsEverything) {
  Fixture f;
  f.git.Write("Makefile", "all: x\n");
  f.git.Commit("make");
  AffectedResult r = f.Since(f.first);
  EXPECT_EQ(Names(r), (V{"app", "base", "other", "runtime"}));
  EXPECT_TRUE(r.all);
  ASSERT_TRUE(r.all_reason);
  EXPECT_NE(r.all_reason->find("Makefile"), std::string::npos);
  const AffectedTarget* other = r.Find("other");
  ASSERT_EQ(other->reasons.size(), 1u);
  EXPECT_EQ(other->reasons[0].kind, "global");
  EXPECT_EQ(other->reasons[0].path, "Makefile");
}

TEST(Affected, DescriptionChangeAffectsOnlyChangedDefinitions) {
  Fixture f;
  std::string text = kDescription;
  text.replace(text.find("inputs: [other/**]"), 18, "inputs: [other/**, extra/**]");
  f.git.Write("fanout.yaml", text);
  f.git.Commit("widen other");
  AffectedOptions o;
  o.base = f.first;
  AffectedResult r = f.Affected(o, text);
  EXPECT_EQ(Names(r), V{"other"});
  EXPECT_FALSE(r.all);
  ASSERT_EQ(r.Find("other")->reasons.size(), 1u);
  EXPECT_EQ(r.Find("other")->reasons[0].kind, "description");
}

TEST(Affected, ReorderedDescriptionAffectsNothing) {
  Fixture f;
  std::string text = std::string(kDescription) + "# a comment\n";
  f.git.Write("fanout.yaml", text);
  f.git.Commit("comment");
  AffectedOptions o;
  o.base = f.first;
  EXPECT_EQ(Names(f.Affected(o, text)), V{});
}

TEST(Affected, PoolChangeAffectsEverything) {
  Fixture f;
  std::string text = kDescription;
  text.replace(text.find("global_inputs"), 0, "pools: {docker: 2}\n");
  f.git.Write("fanout.yaml", text);
  f.git.Commit("pools");
  AffectedOptions o;
  o.base = f.first;
  AffectedResult r = f.Affected(o, text);
  EXPECT_TRUE(r.all);
  EXPECT_EQ(Names(r), (V{"app", "base", "other", "runtime"}));
  EXPECT_NE(r.all_reason->find("pools"), std::string::npos);
  EXPECT_EQ(r.Find("other")->reasons.back().kind, "description");
}

TEST(Affected, NewDescriptionAffectsEverything) {
  GitRepo git;
  git.Write("README", "r\n");
  std::string before = git.Commit("before fanout");
  git.Write("fanout.yaml", kDescription);
  git.Commit("adopt fanout");
  auto repo = Repository::Open(git.path());
  AffectedOptions o;
  o.base = before;
  o.description_relpath = "fanout.yaml";
  auto r = ComputeAffected(*repo, Load(kDescription), o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->all);
  EXPECT_NE(r->all_reason->find("does not exist"), std::string::npos) << *r->all_reason;
  EXPECT_EQ(r->affected.size(), 4u);
  EXPECT_EQ(r->Find("base")->reasons.back().kind, "description");
}

TEST(DiffDescriptions, WhatCountsAsADefinitionChange) {
  Description base = Load(kDescription);
  std::vector<std::string> changed;
  EXPECT_FALSE(DiffDescriptions(base, base, &changed));
  EXPECT_EQ(changed, V{});

  std::string text = kDescription;
  text.replace(text.find("global_inputs: [Makefile]"), 25, "global_inputs: [Makefile, ci/**]");
  EXPECT_TRUE(DiffDescriptions(base, Load(text), &changed));

  // Removing a target changes no remaining definition; adding one is a change to it.
  std::string removed = kDescription;
  removed.erase(removed.find("  other:"));
  changed.clear();
  EXPECT_FALSE(DiffDescriptions(base, Load(removed), &changed));
  EXPECT_EQ(changed, V{});
  changed.clear();
  EXPECT_FALSE(DiffDescriptions(Load(removed), base, &changed));
  EXPECT_EQ(changed, V{"other"});

  // A new command for one target changes only that target.
  std::string command = kDescription;
  const std::string old_command = "command: \"true\"";
  command.replace(command.find(old_command), old_command.size(), "command: \"make\"");
  changed.clear();
  EXPECT_FALSE(DiffDescriptions(base, Load(command), &changed));
  EXPECT_EQ(changed, V{"base"});
}

TEST(Affected, FullCheckoutTargetSeesEveryChange) {
  Fixture f;
  std::string text = std::string(kDescription) +
                     "  whole:\n    command: \"true\"\n"
                     "    checkout: full\n";
  f.git.Write("fanout.yaml", text);
  std::string c = f.git.Commit("whole");
  f.git.Write("unrelated.txt", "u\n");
  f.git.Commit("unrelated");
  AffectedOptions o;
  o.base = c;
  AffectedResult r = f.Affected(o, text);
  EXPECT_EQ(Names(r), V{"whole"});
}

TEST(Affected, MergeBaseIgnoresChangesOnlyOnTheBase) {
  Fixture f;
  f.git.Git({"checkout", "-q", "-b", "feature"});
  f.git.Write("other/o.txt", "feature\n");
  f.git.Commit("feature");
  f.git.Git({"checkout", "-q", "main"});
  f.git.Write("docker/base/Dockerfile", "FROM main\n");
  f.git.Commit("main moves on");
  AffectedOptions o;
  o.base = "main";
  o.head = "feature";
  AffectedResult r = f.Affected(o);
  EXPECT_EQ(Names(r), V{"other"});
  EXPECT_EQ(r.compared, f.first);
  o.direct = true;
  r = f.Affected(o);
  EXPECT_EQ(Names(r), (V{"app", "base", "other", "runtime"}));
  EXPECT_NE(r.compared, f.first);
}

TEST(Affected, ZeroBaseMeansEverything) {
  Fixture f;
  AffectedOptions o;
  o.base = std::string(40, '0');
  AffectedResult r = f.Affected(o);
  EXPECT_TRUE(r.all);
  EXPECT_EQ(Names(r), (V{"app", "base", "other", "runtime"}));
  EXPECT_EQ(r.tiers, (std::vector<V>{{"base", "other"}, {"runtime"}, {"app"}}));
  EXPECT_EQ(r.Find("app")->reasons[0].kind, "all");
  EXPECT_TRUE(r.compared.empty());
}

TEST(Affected, UnknownBaseIsExit3OrEverything) {
  Fixture f;
  auto repo = Repository::Open(f.git.path());
  AffectedOptions o;
  o.base = "no-such-branch";
  auto r = ComputeAffected(*repo, Load(kDescription), o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().exit_code, kExitGit);
  EXPECT_NE(r.error().message.find("no-such-branch"), std::string::npos);
  EXPECT_NE(r.error().message.find("--on-missing-base=all"), std::string::npos);
  o.on_missing_base_all = true;
  auto all = ComputeAffected(*repo, Load(kDescription), o);
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->all);
  EXPECT_TRUE(all->missing_base);
  EXPECT_EQ(all->base, "no-such-branch");
  EXPECT_EQ(Names(*all), (V{"app", "base", "other", "runtime"}));
}

TEST(Affected, WorktreeSeesUntrackedAndUnstagedButNotTheBuildDir) {
  Fixture f;
  f.git.Write("other/new.txt", "untracked\n");
  f.git.Write("python/x.py", "x = 3\n");
  f.git.Write("build/out/docker/base/junk", "build output\n");
  AffectedOptions o;
  o.base = "HEAD";
  o.head = "worktree";
  o.exclude_dirs = {"build"};
  AffectedResult r = f.Affected(o);
  EXPECT_EQ(r.head, "worktree");
  EXPECT_EQ(Paths(r.changed_paths), (V{"other/new.txt", "python/x.py"}));
  EXPECT_EQ(Names(r), (V{"app", "other", "runtime"}));
}

TEST(AffectedReport, JsonIsTheContract) {
  Fixture f;
  f.git.Write("docker/base/Dockerfile", "FROM debian\n");
  std::string head = f.git.Commit("edit");
  AffectedResult r = f.Since(f.first);
  const std::string want = R"({
  "base": ")" + f.first + R"(",
  "head": ")" + head + R"(",
  "compared": ")" + f.first +
                           R"(",
  "all": false,
  "all_reason": null,
  "affected": [
    {
      "name": "app",
      "tier": 2,
      "reasons": [
        {
          "kind": "dep",
          "target": "runtime"
        }
      ]
    },
    {
      "name": "base",
      "tier": 0,
      "reasons": [
        {
          "kind": "input",
          "path": "docker/base/Dockerfile",
          "pattern": "docker/base/**"
        }
      ]
    },
    {
      "name": "runtime",
      "tier": 1,
      "reasons": [
        {
          "kind": "dep",
          "target": "base"
        }
      ]
    }
  ],
  "unaffected": [
    "other"
  ],
  "tiers": [
    [
      "base"
    ],
    [
      "runtime"
    ],
    [
      "app"
    ]
  ]
}
)";
  EXPECT_EQ(AffectedToJson(r), want);
  EXPECT_EQ(AffectedToText(r), "base\nruntime\napp\n");
  EXPECT_EQ(AffectedToGithub(r),
            "matrix={\"include\":[{\"target\":\"app\"},{\"target\":\"base\"},{\"target\":"
            "\"runtime\"}]}\nany=true\napp=true\nbase=true\nother=false\nruntime=true\n");
  const std::string explain = ExplainAffected(r);
  EXPECT_NE(explain.find("docker/base/Dockerfile (modified) matches 'docker/base/**'"),
            std::string::npos)
      << explain;
  EXPECT_NE(explain.find("dep     runtime -> base: docker/base/Dockerfile"), std::string::npos)
      << explain;
  EXPECT_NE(explain.find("3 of 4 targets affected"), std::string::npos) << explain;
}

TEST(AffectedReport, NothingAffected) {
  Fixture f;
  AffectedResult r = f.Since("HEAD");
  EXPECT_EQ(AffectedToText(r), "");
  EXPECT_NE(AffectedToJson(r).find("\"affected\": [],"), std::string::npos);
  EXPECT_NE(AffectedToJson(r).find("\"tiers\": []"), std::string::npos);
  EXPECT_EQ(AffectedToGithub(r),
            "matrix={\"include\":[]}\nany=false\napp=false\nbase=false\nother=false\n"
            "runtime=false\n");
}

TEST(WithDependencies, ClosesOverDependencies) {
  Description d = Load(kDescription);
  EXPECT_EQ(WithDependencies(d, {"app"}), (V{"app", "base", "runtime"}));
  EXPECT_EQ(WithDependencies(d, {"other"}), V{"other"});
}

}  // namespace
}  // namespace fanout
