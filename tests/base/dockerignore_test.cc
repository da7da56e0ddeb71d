// Unit tests for .dockerignore as the engine reads it (src/base/dockerignore.h) and for the
// dockerignore marker of PathFilter (src/base/glob.h). The expected sets are what Docker
// 20.10's BuildKit sent for the same files (tests/e2e/dockerignore_e2e_test.cc checks the
// engine itself).
#include "base/dockerignore.h"

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/glob.h"

namespace fanout {
namespace {

DockerIgnore MustParse(std::string_view text) {
  Expected<DockerIgnore> d = DockerIgnore::Parse(text);
  EXPECT_TRUE(d.ok()) << (d.ok() ? "" : d.error().message);
  return d.ok() ? std::move(d).value() : DockerIgnore();
}

/// The files of `files` that `text` lets the engine send.
std::vector<std::string> Sent(std::string_view text, const std::vector<std::string>& files) {
  const DockerIgnore d = MustParse(text);
  std::vector<std::string> out;
  for (const std::string& f : files) {
    if (d.Sends(f)) out.push_back(f);
  }
  return out;
}

using Files = std::vector<std::string>;

TEST(CleanPath, IsGosFilepathClean) {
  EXPECT_EQ(CleanPath(""), ".");
  EXPECT_EQ(CleanPath("a//b/./c/"), "a/b/c");
  EXPECT_EQ(CleanPath("x/../y"), "y");
  EXPECT_EQ(CleanPath("../a/../../b"), "../../b");
  EXPECT_EQ(CleanPath("/../a"), "/a");
  EXPECT_EQ(CleanPath("/"), "/");
  EXPECT_EQ(CleanPath("a/.."), ".");
}

TEST(DockerIgnore, CommentsOnlyInTheFirstColumnBlankLinesAndSpacesGo) {
  EXPECT_EQ(MustParse("# comment\n\n   spaced.txt   \r\n  # not a comment\n!  kept\n").patterns(),
            (Files{"spaced.txt", "# not a comment", "!kept"}));
  EXPECT_EQ(MustParse("\xEF\xBB\xBF"
                      "a\n")
                .patterns(),
            (Files{"a"}));
}

TEST(DockerIgnore, PatternsAreCleanedAndLoseALeadingSlash) {
  EXPECT_EQ(MustParse("/docs/*.txt\nx/../y\na//b/\n!/c/./d\n/\n").patterns(),
            (Files{"docs/*.txt", "y", "a/b", "!c/d", "/"}));
}

TEST(DockerIgnore, StarAndQuestionMarkStayInOneSegment) {
  EXPECT_EQ(Sent("*.md\n?.bin\n[ab].cfg\n",
                 {"README.md", "sub/notes.md", "1.bin", "12.bin", "a.cfg", "b.cfg", "c.cfg"}),
            (Files{"sub/notes.md", "12.bin", "c.cfg"}));
}

TEST(DockerIgnore, DoubleStarCrossesDirectories) {
  EXPECT_EQ(Sent("**/*.log\na/**/z.txt\n",
                 {"app.log", "logs/a/b.log", "a/z.txt", "a/m/n/z.txt", "b/z.txt"}),
            (Files{"b/z.txt"}));
}

TEST(DockerIgnore, APatternAlsoMatchesThePathsFirstDirectories) {
  EXPECT_EQ(Sent("node/a\nr/*\n", {"node/a/b/c", "node/ab", "r/s/t/u.txt", "r"}),
            (Files{"node/ab", "r"}));
}

TEST(DockerIgnore, TheLastMatchingLineWins) {
  EXPECT_EQ(Sent("*.md\n!README*.md\nREADME-secret.md\n",
                 {"README.md", "README-secret.md", "CHANGES.md"}),
            (Files{"README.md"}));
}

TEST(DockerIgnore, AnExcludedDirectoryIsSkippedUnlessAnExceptionStartsWithIt) {
  const Files files = {"build/out.o",  "build/keep/k.txt", "build/keep/drop.tmp", "gen/a/b/c.txt",
                       "gen/a/b/d.md", "v/w/tmp/keep.txt", "deep/q/tmp/t2",       "cache/tmp/t1",
                       "lib/x.go",     "lib/sub/y.go",     "lib/sub/z.txt"};
  // What the engine sent for these rules: the exceptions whose text does not start with the
  // excluded directory ("!**/keep.txt", "!gen/**/*.md") re-include nothing below it.
  EXPECT_EQ(Sent("build\n!build/keep\nbuild/keep/*.tmp\n"
                 "gen/**\n!gen/**/*.md\n"
                 "**/tmp\n!**/keep.txt\n!deep/q/tmp\n"
                 "lib/*\n!lib/sub\nlib/sub/*.txt\n",
                 files),
            (Files{"build/keep/k.txt", "deep/q/tmp/t2", "lib/sub/y.go"}));
  // Without any exception an excluded directory is always skipped.
  EXPECT_EQ(Sent("build\n", {"build/keep/k.txt", "buildx"}), (Files{"buildx"}));
}

TEST(DockerIgnore, OtherCharactersKeepTheirRegularExpressionMeaning) {
  // As Docker 20.10 does: '+', '{}' and '|' are not escaped ('.' and '$' are).
  EXPECT_EQ(Sent("a+b\np{2}\nx|y\n", {"a+b", "aab", "aaab", "p{2}", "pp", "x", "y", "xz", "zy"}),
            (Files{"a+b", "p{2}"}));
}

TEST(DockerIgnore, PatternsTheEngineRefusesAreErrorsWithTheirLine) {
  EXPECT_EQ(DockerIgnore::Parse("a\n(\n").error().message.substr(0, 2), "2:");
  EXPECT_EQ(DockerIgnore::Parse("!\n").error().message.substr(0, 2), "1:");
  EXPECT_EQ(DockerIgnore::Parse("x\\\n").error().message.substr(0, 2), "1:");
  EXPECT_EQ(DockerIgnore::Parse("[a\n").error().message.substr(0, 2), "1:");
  EXPECT_TRUE(DockerIgnore::Parse("x\\\\\n").ok());
}

TEST(DockerIgnore, NoRulesSendEverything) {
  EXPECT_EQ(Sent("", {"a", "b/c"}), (Files{"a", "b/c"}));
  EXPECT_EQ(Sent("# only a comment\n", {"a"}), (Files{"a"}));
}

/// A reader over an in-memory tree.
TreeFileReader ReaderOf(std::map<std::string, std::string> files, std::vector<std::string>* read) {
  return [files = std::move(files), read](const std::string& path) {
    read->push_back(path);
    auto it = files.find(path);
    return Expected<std::optional<std::string>>(
        it == files.end() ? std::nullopt : std::optional<std::string>(it->second));
  };
}

TEST(PathFilterDockerignore, DropsWhatTheEngineDoesNotSendButKeepsNamedFiles) {
  std::vector<std::string> read;
  const std::vector<std::string> patterns = {"app/**", "app/Dockerfile",
                                             "app/Dockerfile.dockerignore", "app/.dockerignore",
                                             DockerignoreMarker("app", "app/Dockerfile")};
  auto f = PathFilter::Compile(
      patterns, ReaderOf({{"app/.dockerignore", "*.md\nDockerfile\n.dockerignore\n"}}, &read));
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(read, (Files{"app/Dockerfile.dockerignore", "app/.dockerignore"}));
  EXPECT_TRUE(f->Matches("app/main.go"));
  EXPECT_FALSE(f->Matches("app/README.md"));
  EXPECT_TRUE(f->Matches("app/sub/README.md"));
  EXPECT_TRUE(f->Matches("app/Dockerfile"));     // named: always an input
  EXPECT_TRUE(f->Matches("app/.dockerignore"));  // named: always an input
  EXPECT_FALSE(f->Matches("other/x.go"));
}

TEST(PathFilterDockerignore, TheDockerfilesOwnIgnoreFileReplacesTheContexts) {
  std::vector<std::string> read;
  auto f = PathFilter::Compile(
      {"**", "build/Dockerfile", DockerignoreMarker(".", "build/Dockerfile")},
      ReaderOf({{".dockerignore", "docs\n"}, {"build/Dockerfile.dockerignore", "x\n"}}, &read));
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(read, (Files{"build/Dockerfile.dockerignore"}));
  EXPECT_TRUE(f->Matches("docs/a.txt"));
  EXPECT_FALSE(f->Matches("x/y.go"));
}

TEST(PathFilterDockerignore, ABadLineNamesTheFileAndLineAndWithoutAReaderTheMarkerIsAnError) {
  std::vector<std::string> read;
  const std::vector<std::string> patterns = {"**", DockerignoreMarker(".", "Dockerfile")};
  auto bad = PathFilter::Compile(patterns, ReaderOf({{".dockerignore", "ok\n(\n"}}, &read));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find(".dockerignore:2:pattern '('"), std::string::npos)
      << bad.error().message;
  auto unread = PathFilter::Compile(patterns);
  ASSERT_FALSE(unread.ok());
  EXPECT_NE(unread.error().message.find("cannot be read here"), std::string::npos);
  // Positive control: the same list with a reader and good rules compiles.
  EXPECT_TRUE(PathFilter::Compile(patterns, ReaderOf({}, &read)).ok());
}

}  // namespace
}  // namespace fanout
