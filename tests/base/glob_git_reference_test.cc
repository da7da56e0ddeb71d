// The glob dialect means what git's `:(glob)` pathspecs mean (docs/format.md). This
// builds a real repository full of awkward paths and checks, pattern set by pattern set, that
// PathFilter selects exactly the files git selects, asking git two ways: `git ls-files` (the
// index walk, dir.c) and `git diff --name-only` from the empty tree (the tree walk,
// tree-walk.c, the code path of change detection).
#include <algorithm>
#include <cstdint>
#include <iterator>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/glob.h"
#include "test_util.h"

namespace fanout {
namespace {

using testing::GitRepo;
using testing::Run;
using testing::RunResult;

// Paths chosen to trip up a glob implementation: names that are prefixes of others, dots,
// dashes, spaces, hidden files, deep nesting, non-ASCII bytes, and glob characters in names.
std::vector<std::string> AwkwardPaths() {
  std::vector<std::string> paths = {"pkg/a.go",
                                    "pkg/a_test.go",
                                    "pkg/sub/b.go",
                                    "pkg/sub/b_test.go",
                                    "pkg/internal/c.go",
                                    "pkg/internal/deep/d.go",
                                    "pkg/README.md",
                                    "pkg.go",
                                    "pkg-x/a.go",
                                    "pkg_y/a.go",
                                    "pkgs/a.go",
                                    "pkgs/pkg/a.go",
                                    "pk/a.go",
                                    "pkg.d/conf",
                                    "pkg.go.d/x",
                                    "a.go",
                                    "b.go",
                                    "main.go",
                                    "main_test.go",
                                    "x.txt",
                                    "xy.txt",
                                    "x.y.txt",
                                    "X.TXT",
                                    ".hiddenfile",
                                    ".hidden.txt",
                                    ".hidden/x",
                                    ".hidden/.also",
                                    ".github/workflows/ci.yml",
                                    ".github/dependabot.yml",
                                    "..dots",
                                    "...",
                                    "file.",
                                    "-dash",
                                    "--double-dash",
                                    "-dir/-file",
                                    "dir-/file-",
                                    "a-b/c-d/e-f.txt",
                                    "docs/my file.md",
                                    "docs/my  two.md",
                                    "docs/ lead.md",
                                    "docs/trail .md",
                                    "docs/index.md",
                                    "docs/api/index.md",
                                    "docs/api/v1/index.md",
                                    "docs/api/v1/x/index.md",
                                    "python/x.py",
                                    "python/pkg/__init__.py",
                                    "python/pkg/mod.py",
                                    "python/tests/test_x.py",
                                    "python/tests/data/in.txt",
                                    "python/testsuite/x.py",
                                    "python/pkg/tests/test_mod.py",
                                    "python.py",
                                    "python-tests/t.py",
                                    "docker/base/Dockerfile",
                                    "docker/base/entry.sh",
                                    "docker/base/Dockerfile.dev",
                                    "docker/basement/Dockerfile",
                                    "docker/runtime/Dockerfile",
                                    "docker/Dockerfile",
                                    "Dockerfile",
                                    "build/common/rules.mk",
                                    "build/common/x/y.mk",
                                    "build/commons/z.mk",
                                    "build-runtime.sh",
                                    "Makefile",
                                    "makefile.bak",
                                    "a/b",
                                    "a/x/b",
                                    "a/x/y/b",
                                    "a/x/y/z/b",
                                    "a/bb",
                                    "a/xb",
                                    "a/y/b/c",
                                    "a/y/b/b/c/c",
                                    "a/c/b",
                                    "ab/c/d",
                                    "abc/x/y",
                                    "b/a",
                                    "deep/1/2/3/4/5/6/7/8/9/leaf.txt",
                                    "deep/1/2/3/leaf.txt",
                                    "deep/leaf.txt",
                                    "deep/1/leaf.txt.bak",
                                    "deep/1/2/x.txt",
                                    "test/a",
                                    "x/test/a/b",
                                    "y/test",
                                    "x/tests/a",
                                    "src/a/main.c",
                                    "src/b/main.c",
                                    "src/b/util.c",
                                    "src/main.c",
                                    "src/c/d/main.c",
                                    "src/ab.c",
                                    "src/abc.c",
                                    "src/a.c",
                                    "src/A.c",
                                    "src/9.c",
                                    "src/_.c",
                                    "UPPER/CASE.TXT",
                                    "upper/case.txt",
                                    "Upper/Case.Txt",
                                    "caf\xc3\xa9/na\xc3\xafve.txt",
                                    "caf\xc3\xa9.txt",
                                    "cafe/naive.txt",
                                    "\xe6\x97\xa5\xe6\x9c\xac/\xe8\xaa\x9e.txt",
                                    "emoji/\xf0\x9f\x98\x80.txt",
                                    "weird/star*name",
                                    "weird/starXname",
                                    "weird/q?mark",
                                    "weird/qXmark",
                                    "weird/[y]",
                                    "weird/y",
                                    "weird/x",
                                    "weird/[x]/inside",
                                    "weird/back\\slash",
                                    "weird/backXslash",
                                    "weird/!bang",
                                    "weird/bang",
                                    "weird/br]ket",
                                    "weird/ca^ret",
                                    "weird/dollar$",
                                    "weird/tab\there",
                                    "weird/colon:name",
                                    "weird/semi;colon",
                                    "weird/quote'd",
                                    "weird/dq\"d",
                                    "weird/pct%20",
                                    "weird/hash#tag",
                                    "weird/plus+",
                                    "weird/comma,",
                                    "weird/eq=",
                                    "weird/at@",
                                    "weird/tilde~",
                                    "weird/amp&",
                                    "weird/paren(1)",
                                    "weird/brace{a,b}",
                                    "weird/a",
                                    "weird/-",
                                    "weird/9",
                                    "weird/Z",
                                    "foo[1].txt",
                                    "foo1.txt",
                                    "foo2.txt",
                                    "r[",
                                    "r:",
                                    "ra",
                                    "rz",
                                    "q]",
                                    "q^",
                                    "q-",
                                    "a**b",
                                    "axb",
                                    "a*b",
                                    "ab*/z",
                                    "ab*x/z"};
  // Breadth: many siblings and repeated shapes, so near misses are plentiful.
  for (const char* top : {"svc", "svc-a", "svc.b", "svcs"}) {
    for (const char* mid : {"cmd", "internal", "internal/api", "testdata"}) {
      for (const char* leaf : {"main.go", "main_test.go", "README", ".keep", "x.proto"}) {
        paths.push_back(std::string(top) + "/" + mid + "/" + leaf);
      }
    }
  }
  for (int i = 0; i < 12; ++i) {
    paths.push_back("gen/" + std::to_string(i) + "/f" + std::to_string(i % 3) + ".txt");
    paths.push_back("gen/n" + std::to_string(i) + ".txt");
  }
  // A small alphabet for random patterns to hit: z/[DIR/[DIR/]]FILE.
  const char* dirs[] = {"a", "b", "ab", "ba"};
  const char* files[] = {"a1", "b1", "ab1", "ba1"};
  for (const char* f : files) {
    paths.push_back(std::string("z/") + f);
    for (const char* d1 : dirs) {
      paths.push_back(std::string("z/") + d1 + "/" + f);
      for (const char* d2 : dirs) paths.push_back(std::string("z/") + d1 + "/" + d2 + "/" + f);
    }
  }
  return paths;
}

// Random patterns over the alphabet of the z/ paths, from a fixed seed (the raw output of
// std::mt19937 is the same everywhere), so a failure reproduces.
std::vector<std::string> RandomPatterns(int count) {
  std::mt19937 rng(20240611);
  auto pick = [&](std::uint32_t n) { return static_cast<std::uint32_t>(rng() % n); };
  const char* pieces[] = {"a", "b", "*", "*", "?", "[ab]", "[!a]", "[a-b]", "ab", "*1", "?1", "1"};
  std::vector<std::string> out;
  while (static_cast<int>(out.size()) < count) {
    std::string p;
    const std::uint32_t start = pick(4);
    if (start == 0) p = "**";
    if (start == 1) p = "*";
    if (start >= 2) p = "z";
    const std::uint32_t segments = 1 + pick(3);
    for (std::uint32_t s = 0; s < segments; ++s) {
      p += '/';
      if (pick(5) == 0) {
        p += "**";
        continue;
      }
      const std::uint32_t n = 1 + pick(2);
      for (std::uint32_t k = 0; k < n; ++k) p += pieces[pick(std::size(pieces))];
    }
    if (Glob::Compile(p).ok()) out.push_back(p);  // e.g. "a**" is rejected by design
  }
  return out;
}

// One row: patterns as PathFilter takes them ('!' for excludes), each must include something.
struct Case {
  std::vector<std::string> patterns;
};

std::vector<Case> Cases() {
  return {
      {{"pkg"}},
      {{"pkg/"}},
      {{"pkg.go"}},
      {{"pkg*"}},
      {{"pkg/*"}},
      {{"pkg/**"}},
      {{"pkg", "pkgs"}},
      {{"pkg", "!pkg/internal"}},
      {{"pkg/**", "!**/*_test.go"}},
      {{"pkg", "!pkg/internal/**", "!pkg/a.go"}},
      {{"*.go"}},
      {{"**/*.go"}},
      {{"**/*.go", "!**/*_test.go"}},
      {{"**/*.go", "!svc*/**", "!pkg"}},
      {{"**/a.go"}},
      {{"*/a.go"}},
      {{"**"}},
      {{"**", "!**/.*", "!.*/**"}},
      {{"*"}},
      {{"*/*"}},
      {{"*/*/*"}},
      {{"**/**"}},
      {{"?.txt"}},
      {{"??.txt"}},
      {{"src/?.c"}},
      {{"src/??.c", "src/???.c"}},
      {{"src/[a-c]*.c"}},
      {{"src/[!a-c]*"}},
      {{"src/[^a]*"}},
      {{"src/[[:upper:][:digit:]]*"}},
      {{"src/[[:punct:]].c"}},
      {{"[[:upper:]]*/**"}},
      {{"[[:alpha:]]*"}},
      {{"r[[:alpha]"}},
      {{"q[]^]"}},
      {{"q[!]]"}},
      {{"q[a-]"}},
      {{"weird/[[:punct:]]*"}},
      {{"weird/[x]"}},
      {{"weird/[y]"}},
      {{"weird/\\[y\\]"}},
      {{"weird/\\[x\\]"}},
      {{"weird/\\[x\\]/**"}},
      {{"weird/star\\*name"}},
      {{"weird/star*name"}},
      {{"weird/q\\?mark"}},
      {{"weird/q?mark"}},
      {{"weird/back\\\\slash"}},
      {{"weird/\\!bang"}},
      {{"weird/!bang"}},
      {{"\\!weird"}},  // a literal '!' first: matches nothing, as in git
      {{"weird/br]ket"}},
      {{"weird/*(1)"}},
      {{"weird/brace{a,b}"}},
      {{"weird/tab\t*"}},
      {{"weird/*", "!weird/*[[:punct:]]*"}},
      {{"foo[1].txt"}},
      {{"foo[12].txt"}},
      {{"a*b"}},
      {{"a\\*b"}},
      {{"ab*"}},
      {{"ab*/z"}},
      {{"a/**/b"}},
      {{"a/**/b/**/c"}},
      {{"a/**/**/b"}},
      {{"a/*/b"}},
      {{"a/**"}},
      {{"**/b"}},
      {{"**/b/**"}},
      {{"**/test/**"}},
      {{"**/test"}},
      {{"**/tests/**", "**/test/**"}},
      {{"deep/**/leaf.txt"}},
      {{"deep/**/*.txt", "!deep/1/2/3/**"}},
      {{"deep/1/2/3/4/5/6/7/8/9/leaf.txt"}},
      {{"deep/1"}},
      {{"deep/1/"}},
      {{"deep/*/leaf.txt*"}},
      {{".hidden"}},
      {{".hidden*"}},
      {{".hidden/**"}},
      {{".*"}},
      {{"**/.*"}},
      {{".github/**/*.yml"}},
      {{"..dots"}},
      {{"..."}},
      {{"file."}},
      {{"-dash"}},
      {{"-*"}},
      {{"**/-*"}},
      {{"*-"}},
      {{"**/*-*/**"}},
      {{"docs/my file.md"}},
      {{"docs/my\\ file.md"}},
      {{"docs/* *"}},
      {{"docs/ *"}},
      {{"docs/**/index.md", "!docs/api/v1"}},
      {{"docs", "!docs/api/**", "docs/api/v1/index.md"}},
      {{"python/**", "!python/tests/**"}},
      {{"python", "!python/**/tests"}},
      {{"python/**", "!**/test_*.py"}},
      {{"python*"}},
      {{"python*/**"}},
      {{"docker/base/**"}},
      {{"docker/base"}},
      {{"docker/base*"}},
      {{"docker/base*/*"}},
      {{"docker/*/Dockerfile"}},
      {{"**/Dockerfile*"}},
      {{"build/common/**", "Makefile"}},
      {{"Makefile"}},
      {{"[Mm]akefile*"}},
      {{"upper/case.txt"}},
      {{"UPPER"}},
      {{"[Uu]pper/**"}},
      {{"caf\xc3\xa9"}},
      {{"caf\xc3\xa9/*"}},
      {{"caf?/*"}},
      {{"caf?"
        "?/*"}},  // split: "??/" would be a trigraph
      {{"caf?*"}},
      {{"caf*/na*ve.txt"}},
      {{"\xe6\x97\xa5\xe6\x9c\xac/*"}},
      {{"emoji/????.txt"}},
      {{"emoji/???.txt"}},
      {{"svc"}},
      {{"svc*/cmd/*"}},
      {{"svc?*/**/main.go"}},
      {{"svc/internal"}},
      {{"svc/internal/*"}},
      {{"*/internal/**", "!*/internal/api"}},
      {{"**/testdata/**", "!**/.keep"}},
      {{"**/*.proto", "**/README"}},
      {{"gen/*/f[0-1].txt"}},
      {{"gen/n1*.txt"}},
      {{"gen/n[0-9].txt"}},
      {{"gen/**", "!gen/1*", "!gen/*/f2.txt"}},
      {{"gen/[[:digit:]]"}},
      {{"x/test"}},
      {{"y/test"}},
      {{"y/test*"}},
      {{"nothing/matches/this"}},
  };
}

// A pathspec that matches no file here and shares no leading directory with any other. git
// ls-files (2.39) narrows its work to the include pathspecs' common leading directory and then
// cuts that many bytes off every pathspec, excludes included: with "pkg/**" and
// "!**/*_test.go" it tests the exclude as "_test.go" and excludes nothing. An include with no
// leading directory keeps that common prefix empty. (git diff's tree walk has no such bug.)
constexpr char kNeutralInclude[] = ":(glob)?fanout-reference-neutral?";

enum class Oracle {
  kLsFiles,   ///< git ls-files: dir.c match_pathspec over the index
  kDiffTree,  ///< git diff --name-only from the empty tree: tree-walk.c over HEAD's tree
};

/// Splits NUL-terminated records.
std::set<std::string> SplitZ(const std::string& out) {
  std::set<std::string> files;
  std::size_t start = 0;
  while (start < out.size()) {
    std::size_t end = out.find('\0', start);
    if (end == std::string::npos) end = out.size();
    files.insert(out.substr(start, end - start));
    start = end + 1;
  }
  return files;
}

/// Runs git over `patterns` (PathFilter syntax) in `repo`; returns the files git selects.
std::set<std::string> GitSelect(const std::string& repo, const std::vector<std::string>& patterns,
                                Oracle oracle, std::string* error) {
  std::vector<std::string> argv = {
      "git", "-C", repo, "-c", "core.quotepath=off", "-c", "core.ignorecase=false"};
  if (oracle == Oracle::kLsFiles) {
    argv.insert(argv.end(), {"ls-files", "-z", "--", kNeutralInclude});
  } else {
    // The empty tree's id, whatever the repository's hash.
    RunResult empty = Run({"git", "-C", repo, "hash-object", "-t", "tree", "/dev/null"});
    std::string empty_tree = empty.out.substr(0, empty.out.find('\n'));
    argv.insert(argv.end(),
                {"diff", "--name-only", "-z", "--no-renames", empty_tree, "HEAD", "--"});
  }
  for (const std::string& p : patterns) {
    argv.push_back(p[0] == '!' ? ":(glob,exclude)" + p.substr(1) : ":(glob)" + p);
  }
  // Magic from the environment would change what the pathspecs mean.
  RunResult r = Run(argv, "",
                    {"GIT_LITERAL_PATHSPECS=0", "GIT_GLOB_PATHSPECS=0", "GIT_NOGLOB_PATHSPECS=0",
                     "GIT_ICASE_PATHSPECS=0"});
  if (r.exit_code != 0) {
    *error = r.err.empty() ? "git exited with " + std::to_string(r.exit_code) : r.err;
    return {};
  }
  return SplitZ(r.out);
}

std::string Show(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += "\n    " + x;
  return s.empty() ? " (none)" : s;
}

class GlobGitReference : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    repo_ = new GitRepo();
    for (const std::string& p : AwkwardPaths()) repo_->Write(p, p + "\n");
    repo_->Commit("awkward paths");
    RunResult r = fanout::testing::Run({"git", "-C", repo_->path(), "ls-files", "-z"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    all_ = new std::set<std::string>(SplitZ(r.out));
  }
  static void TearDownTestSuite() {
    delete all_;
    all_ = nullptr;
    delete repo_;  // removes the temporary directory
    repo_ = nullptr;
  }
  static GitRepo* repo_;
  static std::set<std::string>* all_;
};

GitRepo* GlobGitReference::repo_ = nullptr;
std::set<std::string>* GlobGitReference::all_ = nullptr;

TEST_F(GlobGitReference, RepositoryHoldsEveryAwkwardPath) {
  const std::vector<std::string> paths = AwkwardPaths();
  const std::set<std::string> expected(paths.begin(), paths.end());
  EXPECT_EQ(*all_, expected);
  EXPECT_GE(all_->size(), 250u);
}

TEST_F(GlobGitReference, NeutralIncludeSelectsNothing) {
  std::string error;
  EXPECT_EQ(GitSelect(repo_->path(), {}, Oracle::kLsFiles, &error).size(), 0u);
  EXPECT_EQ(error, "");
}

void ExpectSameSelection(const std::set<std::string>& all, Oracle oracle, const char* name,
                         const std::string& repo) {
  std::vector<std::string> trivial;  // rows where git selects nothing or everything
  for (const Case& c : Cases()) {
    std::string label;
    for (const std::string& p : c.patterns) label += " '" + p + "'";
    Expected<PathFilter> filter = PathFilter::Compile(c.patterns);
    ASSERT_TRUE(filter.ok()) << label << ": " << filter.error().message;
    ASSERT_FALSE(filter->empty()) << label;
    std::string error;
    const std::set<std::string> git = GitSelect(repo, c.patterns, oracle, &error);
    ASSERT_EQ(error, "") << label;
    std::vector<std::string> only_git, only_fanout;
    for (const std::string& path : all) {
      const bool ours = filter->Matches(path);
      const bool theirs = git.count(path) != 0;
      if (theirs && !ours) only_git.push_back(path);
      if (ours && !theirs) only_fanout.push_back(path);
    }
    EXPECT_TRUE(only_git.empty() && only_fanout.empty())
        << "patterns" << label << "\n  selected by " << name << " only:" << Show(only_git)
        << "\n  selected by fanout only:" << Show(only_fanout);
    if (git.empty()) trivial.push_back("none:" + label);
    if (git.size() == all.size()) trivial.push_back("all:" + label);
  }
  // The table is meant to discriminate: every row but these selects a proper, non-empty subset.
  // The "none" rows are near misses a looser matcher would take: a glob never matches under a
  // directory it names (escapes make a glob), and '?' is one byte of a 4-byte emoji.
  EXPECT_EQ(trivial, (std::vector<std::string>{"all: '**'", "all: '**/**'", "none: 'weird/\\[x\\]'",
                                               "none: '\\!weird'", "none: 'docker/base*'",
                                               "none: 'emoji/???.txt'", "none: 'gen/[[:digit:]]'",
                                               "none: 'nothing/matches/this'"}));
}

TEST_F(GlobGitReference, PathFilterSelectsWhatGitLsFilesSelects) {
  ExpectSameSelection(*all_, Oracle::kLsFiles, "git ls-files", repo_->path());
}

TEST_F(GlobGitReference, PathFilterSelectsWhatGitDiffTreeWalkSelects) {
  ExpectSameSelection(*all_, Oracle::kDiffTree, "git diff", repo_->path());
}

TEST_F(GlobGitReference, RandomPatternsMatchGit) {
  int selective = 0;
  for (const std::string& p : RandomPatterns(300)) {
    Expected<Glob> glob = Glob::Compile(p);
    ASSERT_TRUE(glob.ok()) << p;
    std::string error;
    const std::set<std::string> git = GitSelect(repo_->path(), {p}, Oracle::kLsFiles, &error);
    ASSERT_EQ(error, "") << p;
    std::vector<std::string> only_git, only_fanout;
    for (const std::string& path : *all_) {
      const bool ours = glob->Matches(path);
      const bool theirs = git.count(path) != 0;
      if (theirs && !ours) only_git.push_back(path);
      if (ours && !theirs) only_fanout.push_back(path);
    }
    EXPECT_TRUE(only_git.empty() && only_fanout.empty())
        << "pattern '" << p << "'\n  selected by git only:" << Show(only_git)
        << "\n  selected by fanout only:" << Show(only_fanout);
    if (!git.empty() && git.size() < all_->size()) ++selective;
  }
  EXPECT_GE(selective, 120);  // the generator must mostly produce patterns that select
}

// The literal prefix lets callers skip subtrees: it must never hide a file git selects.
TEST_F(GlobGitReference, LiteralPrefixNeverHidesAMatch) {
  for (const Case& c : Cases()) {
    for (const std::string& p : c.patterns) {
      if (p[0] == '!') continue;
      Expected<Glob> g = Glob::Compile(p);
      ASSERT_TRUE(g.ok()) << p;
      if (g->literal_prefix().empty()) continue;
      std::string error;
      for (const std::string& path : GitSelect(repo_->path(), {p}, Oracle::kLsFiles, &error)) {
        EXPECT_EQ(path.rfind(g->literal_prefix() + "/", 0), 0u)
            << "'" << p << "' prefix '" << g->literal_prefix() << "' hides " << path;
      }
      EXPECT_EQ(error, "");
    }
  }
}

}  // namespace
}  // namespace fanout
