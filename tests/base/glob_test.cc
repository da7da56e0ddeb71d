// Unit tests for the glob dialect (src/base/glob.h). What git means is checked against git itself
// in glob_git_reference_test.cc; these pin down each feature, each error and its column.
#include "base/glob.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace fanout {
namespace {

Glob MustCompile(std::string_view pattern) {
  Expected<Glob> g = Glob::Compile(pattern);
  EXPECT_TRUE(g.ok()) << pattern << ": " << (g.ok() ? "" : g.error().message);
  if (!g.ok()) return Glob::Compile("__never__").value();
  return std::move(g).value();
}

/// The error message of compiling `pattern`, or "OK".
std::string CompileError(std::string_view pattern) {
  Expected<Glob> g = Glob::Compile(pattern);
  return g.ok() ? "OK" : g.error().message;
}

/// The column prefix ("COL") of compiling `pattern`, or "OK".
std::string ErrorColumn(std::string_view pattern) {
  std::string message = CompileError(pattern);
  if (message == "OK") return message;
  return message.substr(0, message.find(':'));
}

bool M(std::string_view pattern, std::string_view path) {
  return MustCompile(pattern).Matches(path);
}

TEST(Glob, LiteralMatchesItselfAndEverythingUnderIt) {
  EXPECT_TRUE(M("pkg", "pkg"));
  EXPECT_TRUE(M("pkg", "pkg/a.go"));
  EXPECT_TRUE(M("pkg", "pkg/sub/deep/a.go"));
  EXPECT_FALSE(M("pkg", "pkgs/a.go"));
  EXPECT_FALSE(M("pkg", "pkg.go"));
  EXPECT_FALSE(M("pkg", "a/pkg"));
  EXPECT_FALSE(M("pkg", "pk"));
  EXPECT_TRUE(M("docker/base/Dockerfile", "docker/base/Dockerfile"));
  EXPECT_FALSE(M("docker/base/Dockerfile", "docker/base/Dockerfile.dev"));
  EXPECT_TRUE(MustCompile("pkg/a.go").is_literal());
  EXPECT_FALSE(MustCompile("pkg/*.go").is_literal());
}

TEST(Glob, LiteralWithTrailingSlashMatchesOnlyUnderIt) {
  EXPECT_TRUE(M("pkg/", "pkg/a.go"));
  EXPECT_TRUE(M("pkg/", "pkg/sub/a.go"));
  EXPECT_FALSE(M("pkg/", "pkg"));
  EXPECT_FALSE(M("pkg/", "pkgs/a.go"));
}

TEST(Glob, StarMatchesWithinOneSegment) {
  EXPECT_TRUE(M("*.go", "a.go"));
  EXPECT_TRUE(M("*.go", ".go"));
  EXPECT_FALSE(M("*.go", "pkg/a.go"));
  EXPECT_TRUE(M("pkg/*.go", "pkg/a.go"));
  EXPECT_FALSE(M("pkg/*.go", "pkg/sub/a.go"));
  EXPECT_TRUE(M("pkg/*", "pkg/a.go"));
  EXPECT_FALSE(M("pkg/*", "pkg/sub/a.go"));
  EXPECT_TRUE(M("*/a.go", "pkg/a.go"));
  EXPECT_FALSE(M("*/a.go", "a.go"));
  EXPECT_TRUE(M("a*b*c", "abc"));
  EXPECT_TRUE(M("a*b*c", "aXbYbZc"));
  EXPECT_FALSE(M("a*b*c", "aXbYbZ"));
  EXPECT_TRUE(M("*", "anything"));
  EXPECT_FALSE(M("*", "dir/file"));
  EXPECT_TRUE(M("pkg*", "pkg"));
  EXPECT_TRUE(M("pkg*", "pkgs"));
  EXPECT_FALSE(M("pkg*", "pkgs/a.go"));
  EXPECT_TRUE(M("*suffix", "suffix"));
  EXPECT_FALSE(M("ab*ba", "aba"));  // prefix and suffix may not overlap
}

TEST(Glob, StarMatchesLeadingDot) {
  EXPECT_TRUE(M("*", ".hidden"));
  EXPECT_TRUE(M("**/*.yml", ".github/workflows/ci.yml"));
}

TEST(Glob, QuestionMarkMatchesOneByteNotSlash) {
  EXPECT_TRUE(M("?.txt", "a.txt"));
  EXPECT_FALSE(M("?.txt", "ab.txt"));
  EXPECT_FALSE(M("?.txt", ".txt"));
  EXPECT_FALSE(M("a?b", "a/b"));
  // Bytes, as git: 'é' is two bytes in UTF-8.
  EXPECT_FALSE(M("caf?", "caf\xc3\xa9"));
  EXPECT_TRUE(M("caf??", "caf\xc3\xa9"));
}

TEST(Glob, CharacterClasses) {
  EXPECT_TRUE(M("[abc].txt", "b.txt"));
  EXPECT_FALSE(M("[abc].txt", "d.txt"));
  EXPECT_TRUE(M("[a-c].txt", "b.txt"));
  EXPECT_FALSE(M("[a-c].txt", "B.txt"));
  EXPECT_TRUE(M("[!a-c].txt", "d.txt"));
  EXPECT_FALSE(M("[!a-c].txt", "a.txt"));
  EXPECT_TRUE(M("[^a-c].txt", "d.txt"));
  EXPECT_FALSE(M("[^a-c].txt", "c.txt"));
  EXPECT_TRUE(M("[]]", "]"));
  EXPECT_FALSE(M("[]]", "a"));
  EXPECT_TRUE(M("[]a]", "a"));
  EXPECT_TRUE(M("[!]]", "a"));
  EXPECT_FALSE(M("[!]]", "]"));
  EXPECT_TRUE(M("[a-]", "-"));  // '-' last is literal
  EXPECT_TRUE(M("[-a]", "-"));  // '-' first is literal
  EXPECT_FALSE(M("[-a]", "b"));
  EXPECT_TRUE(M("[\\]]", "]"));  // escaped in a class
  EXPECT_TRUE(M("x[\\-]y", "x-y"));
  EXPECT_FALSE(M("[!a]", "a"));
  EXPECT_FALSE(M("a[!x]b", "a/b"));  // a class never matches '/'
  EXPECT_TRUE(M("a[x/]b", "axb"));   // '/' inside a class stays inside it, as in git
  EXPECT_FALSE(M("a[x/]b", "a/b"));
}

TEST(Glob, NamedCharacterClasses) {
  EXPECT_TRUE(M("[[:digit:]]*", "9lives"));
  EXPECT_FALSE(M("[[:digit:]]*", "lives"));
  EXPECT_TRUE(M("[[:upper:][:digit:]]", "Q"));
  EXPECT_TRUE(M("[[:upper:][:digit:]]", "7"));
  EXPECT_FALSE(M("[[:upper:][:digit:]]", "q"));
  EXPECT_TRUE(M("[[:alpha:]]", "x"));
  EXPECT_TRUE(M("[[:alnum:]]", "5"));
  EXPECT_TRUE(M("[[:punct:]]", "-"));
  EXPECT_FALSE(M("[[:punct:]]", "a"));
  EXPECT_TRUE(M("[[:space:]]", " "));
  EXPECT_FALSE(M("[[:space:]]", "\v"));  // git's table: only "\t\n\r "
  EXPECT_TRUE(M("[[:xdigit:]]", "F"));
  EXPECT_FALSE(M("[[:xdigit:]]", "g"));
  EXPECT_TRUE(M("[[:lower:]]", "g"));
  EXPECT_FALSE(M("[[:alpha:]]", "\xc3"));  // nothing above ASCII
  // "[:" without ":]" is a literal '[' in the class, as in git.
  EXPECT_TRUE(M("r[[:alpha]", "r["));
  EXPECT_TRUE(M("r[[:alpha]", "r:"));
  EXPECT_TRUE(M("r[[:alpha]", "rp"));
  EXPECT_FALSE(M("r[[:alpha]", "rz"));
}

TEST(Glob, DoubleStarMatchesAnyNumberOfSegments) {
  EXPECT_TRUE(M("a/**/b", "a/b"));
  EXPECT_TRUE(M("a/**/b", "a/x/b"));
  EXPECT_TRUE(M("a/**/b", "a/x/y/z/b"));
  EXPECT_FALSE(M("a/**/b", "a/xb"));
  EXPECT_FALSE(M("a/**/b", "a/b/c"));
  EXPECT_TRUE(M("**/x", "x"));
  EXPECT_TRUE(M("**/x", "a/x"));
  EXPECT_TRUE(M("**/x", "a/b/x"));
  EXPECT_FALSE(M("**/x", "a/bx"));
  EXPECT_TRUE(M("dir/**", "dir/f"));
  EXPECT_TRUE(M("dir/**", "dir/a/b/c"));
  EXPECT_FALSE(M("dir/**", "dir"));
  EXPECT_FALSE(M("dir/**", "dirx/f"));
  EXPECT_TRUE(M("**", "a"));
  EXPECT_TRUE(M("**", "a/b/c"));
  EXPECT_TRUE(M("**/**", "a"));
  EXPECT_TRUE(M("a/**/**", "a/b"));
  EXPECT_FALSE(M("a/**/**", "a"));
  EXPECT_TRUE(M("a/**/b/**/c", "a/b/c"));
  EXPECT_TRUE(M("a/**/b/**/c", "a/x/b/y/z/c"));
  EXPECT_TRUE(M("a/**/b/**/c", "a/b/b/c/c"));
  EXPECT_FALSE(M("a/**/b/**/c", "a/c/b"));
  EXPECT_TRUE(M("**/*.go", "a.go"));
  EXPECT_TRUE(M("**/*.go", "x/y/a.go"));
  EXPECT_FALSE(M("**/*.go", "x/y/a.go/z"));
  EXPECT_TRUE(M("**/test/**", "test/a"));
  EXPECT_TRUE(M("**/test/**", "x/test/a/b"));
  EXPECT_FALSE(M("**/test/**", "x/test"));
}

TEST(Glob, BackslashEscapes) {
  EXPECT_TRUE(M("a\\*b", "a*b"));
  EXPECT_FALSE(M("a\\*b", "axb"));
  EXPECT_TRUE(M("\\[x\\]", "[x]"));
  EXPECT_FALSE(M("\\[x\\]", "x"));
  EXPECT_TRUE(M("my\\ file", "my file"));
  EXPECT_TRUE(M("back\\\\slash", "back\\slash"));
  // An escape makes the pattern a glob, so it no longer matches under a directory (git).
  EXPECT_TRUE(M("pk\\g", "pkg"));
  EXPECT_FALSE(M("pk\\g", "pkg/a.go"));
  EXPECT_FALSE(MustCompile("pk\\g").is_literal());
}

TEST(Glob, PatternTextAlsoMatchesLiterally) {
  // git compares the pattern text with the path before globbing.
  EXPECT_TRUE(M("foo[1].txt", "foo[1].txt"));
  EXPECT_TRUE(M("foo[1].txt", "foo1.txt"));
  EXPECT_TRUE(M("a*", "a*/inside"));
  EXPECT_FALSE(M("a*", "ab/inside"));
}

TEST(Glob, LeadingBangIsLiteralInAGlob) {
  EXPECT_TRUE(M("!x", "!x"));
  EXPECT_FALSE(M("!x", "x"));
}

TEST(Glob, LiteralPrefix) {
  EXPECT_EQ(MustCompile("docker/base/**").literal_prefix(), "docker/base");
  EXPECT_EQ(MustCompile("docker/base/*.txt").literal_prefix(), "docker/base");
  EXPECT_EQ(MustCompile("pkg/a.go").literal_prefix(), "pkg");
  EXPECT_EQ(MustCompile("pkg/").literal_prefix(), "pkg");
  EXPECT_EQ(MustCompile("pkg").literal_prefix(), "");
  EXPECT_EQ(MustCompile("**/x").literal_prefix(), "");
  EXPECT_EQ(MustCompile("*.go").literal_prefix(), "");
  EXPECT_EQ(MustCompile("a/b*/c").literal_prefix(), "a");
  EXPECT_EQ(MustCompile("a/**/b").literal_prefix(), "a");
  // A segment with an escape is not taken as plain text.
  EXPECT_EQ(MustCompile("a\\b/c/*").literal_prefix(), "");
  EXPECT_EQ(MustCompile("x/a\\b/c/*").literal_prefix(), "x");
}

TEST(Glob, EveryMatchLiesUnderTheLiteralPrefix) {
  const std::vector<std::string> patterns = {"docker/base/**", "a/b*/c", "pkg/a.go",
                                             "pkg/",           "a/**/b", "x/[ab]/y"};
  const std::vector<std::string> paths = {"docker/base/Dockerfile",
                                          "docker/base",
                                          "docker/basement/x",
                                          "a/b/c",
                                          "a/bc/c",
                                          "a/b",
                                          "ab/c",
                                          "pkg/a.go",
                                          "pkg/a.go/z",
                                          "pkg",
                                          "a/x/b",
                                          "x/a/y",
                                          "x/b/y",
                                          "x/c/y"};
  for (const std::string& p : patterns) {
    Glob g = MustCompile(p);
    ASSERT_FALSE(g.literal_prefix().empty()) << p;
    for (const std::string& path : paths) {
      if (g.Matches(path)) {
        EXPECT_EQ(path.rfind(g.literal_prefix() + "/", 0), 0u) << p << " matched " << path;
      }
    }
  }
}

TEST(Glob, PatternIsKept) { EXPECT_EQ(MustCompile("a/**/b").pattern(), "a/**/b"); }

TEST(GlobErrors, Empty) { EXPECT_EQ(CompileError(""), "0:empty pattern"); }

TEST(GlobErrors, AbsolutePath) {
  EXPECT_EQ(ErrorColumn("/x"), "0");
  EXPECT_NE(CompileError("/x").find("absolute"), std::string::npos);
}

TEST(GlobErrors, EmptySegment) {
  EXPECT_EQ(ErrorColumn("a//b"), "2");
  EXPECT_NE(CompileError("a//b").find("empty path segment"), std::string::npos);
}

TEST(GlobErrors, DotSegments) {
  EXPECT_EQ(ErrorColumn("."), "0");
  EXPECT_EQ(ErrorColumn("./x"), "0");
  EXPECT_EQ(ErrorColumn("a/./b"), "2");
  EXPECT_EQ(ErrorColumn(".."), "0");
  EXPECT_EQ(ErrorColumn("a/../b"), "2");
  EXPECT_EQ(ErrorColumn("a/b/.."), "4");
  EXPECT_EQ(ErrorColumn("a/\\.\\./b"), "2");  // escaped, still '..'
  EXPECT_NE(CompileError("a/../b").find("'..'"), std::string::npos);
  // Names that merely start with dots are fine.
  EXPECT_EQ(CompileError("..dots"), "OK");
  EXPECT_EQ(CompileError(".hidden/x"), "OK");
  EXPECT_EQ(CompileError("a/.../b"), "OK");
  EXPECT_EQ(CompileError("**/.*"), "OK");
}

TEST(GlobErrors, TrailingSlashAfterWildcard) {
  EXPECT_EQ(ErrorColumn("src/*/"), "5");
  EXPECT_EQ(ErrorColumn("src/**/"), "6");
  EXPECT_EQ(ErrorColumn("a\\b/"), "3");
  EXPECT_NE(CompileError("src/*/").find("trailing '/'"), std::string::npos);
  EXPECT_EQ(CompileError("src/"), "OK");
}

TEST(GlobErrors, DoubleStarInsideASegment) {
  EXPECT_EQ(ErrorColumn("a**b"), "1");
  EXPECT_EQ(ErrorColumn("pk**"), "2");
  EXPECT_EQ(ErrorColumn("x/**b"), "2");
  EXPECT_EQ(ErrorColumn("x/a**/y"), "3");
  EXPECT_EQ(ErrorColumn("***"), "0");
  EXPECT_EQ(ErrorColumn("a/***/b"), "2");
  EXPECT_NE(CompileError("a**b").find("whole path segment"), std::string::npos);
  // An escaped star next to a star is a literal '*' and a '*'.
  EXPECT_EQ(CompileError("a\\**"), "OK");
  EXPECT_TRUE(M("a\\**", "a*b"));
  EXPECT_FALSE(M("a\\**", "ab"));
}

TEST(GlobErrors, UnclosedClass) {
  EXPECT_EQ(ErrorColumn("ab["), "2");
  EXPECT_EQ(ErrorColumn("x/[abc"), "2");
  EXPECT_EQ(ErrorColumn("[]"), "0");  // ']' first is a member: still open
  EXPECT_EQ(ErrorColumn("[!]"), "0");
  EXPECT_EQ(ErrorColumn("a[b\\"), "1");
  EXPECT_EQ(ErrorColumn("a[[:alpha:]"), "1");
  EXPECT_EQ(ErrorColumn("a[b/c"), "1");
  EXPECT_NE(CompileError("ab[").find("unclosed '['"), std::string::npos);
}

TEST(GlobErrors, UnknownNamedClass) {
  EXPECT_EQ(ErrorColumn("a[[:foo:]]"), "2");
  EXPECT_EQ(ErrorColumn("a[x[::]]"), "3");
  EXPECT_NE(CompileError("a[[:foo:]]").find("'[:foo:]'"), std::string::npos);
}

TEST(GlobErrors, ReversedRange) {
  EXPECT_EQ(ErrorColumn("x[z-a]"), "2");
  EXPECT_EQ(ErrorColumn("x[abz-a]"), "4");
  EXPECT_EQ(ErrorColumn("x[\\z-a]"), "2");
  EXPECT_NE(CompileError("x[z-a]").find("'z-a'"), std::string::npos);
  EXPECT_EQ(CompileError("x[a-a]"), "OK");
}

TEST(GlobErrors, TrailingBackslash) {
  EXPECT_EQ(ErrorColumn("ab\\"), "2");
  EXPECT_EQ(ErrorColumn("\\"), "0");
  EXPECT_EQ(CompileError("ab\\\\"), "OK");
}

TEST(GlobErrors, EscapedSlash) { EXPECT_EQ(ErrorColumn("a\\/b"), "1"); }

TEST(GlobErrors, Nul) { EXPECT_EQ(ErrorColumn(std::string_view("ab\0c", 4)), "2"); }

TEST(PathFilter, IncludeAndExclude) {
  Expected<PathFilter> f = PathFilter::Compile({"python/**", "!python/tests/**", "setup.py"});
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_TRUE(f->Matches("python/x.py"));
  EXPECT_TRUE(f->Matches("python/pkg/x.py"));
  EXPECT_FALSE(f->Matches("python/tests/test_x.py"));
  EXPECT_TRUE(f->Matches("python/testsuite/x.py"));
  EXPECT_TRUE(f->Matches("setup.py"));
  EXPECT_FALSE(f->Matches("README.md"));
  EXPECT_EQ(f->includes().size(), 2u);
  EXPECT_EQ(f->excludes().size(), 1u);
  EXPECT_EQ(f->excludes()[0].pattern(), "python/tests/**");
  EXPECT_FALSE(f->empty());
}

TEST(PathFilter, ExcludeOrderDoesNotMatter) {
  Expected<PathFilter> f = PathFilter::Compile({"!**/*_test.go", "**/*.go"});
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->Matches("a/b.go"));
  EXPECT_FALSE(f->Matches("a/b_test.go"));
}

TEST(PathFilter, OnlyExcludesMatchesNothing) {
  Expected<PathFilter> f = PathFilter::Compile({"!a"});
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->empty());
  EXPECT_FALSE(f->Matches("b"));
  EXPECT_FALSE(f->Matches("a"));
  Expected<PathFilter> none = PathFilter::Compile({});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_FALSE(none->Matches("b"));
}

TEST(PathFilter, EscapedBangIsAnInclude) {
  Expected<PathFilter> f = PathFilter::Compile({"\\!important"});
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->Matches("!important"));
  EXPECT_EQ(f->excludes().size(), 0u);
}

TEST(PathFilter, ErrorsCarryIndexAndColumn) {
  auto error = [](const std::vector<std::string>& patterns) {
    Expected<PathFilter> f = PathFilter::Compile(patterns);
    return f.ok() ? std::string("OK") : f.error().message;
  };
  EXPECT_EQ(error({"a", "!"}).substr(0, 4), "1:1:");
  EXPECT_EQ(error({"a", "!"}), "1:1:expected a pattern after '!'");
  EXPECT_EQ(error({""}), "0:0:empty pattern");
  EXPECT_EQ(error({"ok/**", "b", "x/ab["}).substr(0, 6), "2:4:un");
  // Columns of an exclude count the '!'.
  EXPECT_EQ(error({"a", "!x/ab["}).substr(0, 6), "1:5:un");
  EXPECT_EQ(error({"a", "!/abs"}).substr(0, 4), "1:1:");
  EXPECT_EQ(error({"a", "!a**"}).substr(0, 4), "1:2:");
}

}  // namespace
}  // namespace fanout
