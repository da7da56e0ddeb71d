#include "base/dockerfile_sources.h"

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/glob.h"

namespace fanout {
namespace {

std::vector<std::string> Paths(const DockerfileSources& s) {
  std::vector<std::string> out;
  for (const DockerfileSource& src : s.sources) out.push_back(src.path);
  return out;
}

TEST(DockerfileSources, CopyAndAddSourcesWithFlagsAndBothForms) {
  const DockerfileSources s = ParseDockerfileSources(
      "FROM golang:1.22 AS build\n"
      "copy --chown=1000:1000 --link go.mod go.sum ./\n"
      "COPY [\"cmd/app\", \"pkg dir/\", \"/src/\"]\n"
      "ADD --chmod=644 /static/*.css ./web/\n"
      "ADD https://example.com/x.tar.gz git@github.com:o/r.git /opt/\n"
      "COPY --from=build /out/app /app\n"
      "COPY --from=other-context a b\n"
      "ONBUILD COPY later /later\n"
      "RUN make\n");
  EXPECT_EQ(Paths(s),
            (std::vector<std::string>{"go.mod", "go.sum", "cmd/app", "pkg dir", "static/*.css"}));
  EXPECT_FALSE(s.whole_context);
  EXPECT_TRUE(s.notes.empty());
  EXPECT_EQ(s.sources[0].line, 2);
  EXPECT_EQ(s.sources[0].instruction, "COPY");
  EXPECT_EQ(s.sources[4].line, 4);
  EXPECT_EQ(s.sources[4].instruction, "ADD");
}

TEST(DockerfileSources, ContinuationsCommentsDirectivesAndHeredocs) {
  const DockerfileSources s = ParseDockerfileSources(
      "# escape=`\n"
      "# syntax=docker/dockerfile:1\n"
      "FROM scratch\n"
      "COPY a `\n"
      "# a comment inside the instruction\n"
      "\n"
      "     b /dst/\n"
      "COPY <<EOF /etc/motd\n"
      "COPY not-a-source /x\n"
      "EOF\n"
      "RUN <<-\"END\" sh\n"
      "\tCOPY also-not /y\n"
      "\tEND\n"
      "COPY c /z\n");
  EXPECT_EQ(Paths(s), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(s.sources[1].line, 4) << "a continued instruction keeps its first line";
  EXPECT_EQ(s.sources[2].line, 14);
}

TEST(DockerfileSources, BindMountsReadTheContext) {
  const DockerfileSources s = ParseDockerfileSources(
      "FROM debian\n"
      "RUN --mount=type=bind,source=scripts,target=/s --mount=type=cache,target=/c /s/run\n"
      "RUN --mount=src=tools/gen.sh,dst=/g /g\n"
      "RUN --mount=type=bind,from=build,source=/out,target=/o true\n"
      "RUN --mount=type=secret,id=x true\n");
  EXPECT_EQ(Paths(s), (std::vector<std::string>{"scripts", "tools/gen.sh"}));
  EXPECT_FALSE(s.whole_context);

  const DockerfileSources all =
      ParseDockerfileSources("FROM debian\nRUN --mount=type=bind,target=/src make -C /src\n");
  EXPECT_TRUE(all.whole_context);
  ASSERT_EQ(all.notes.size(), 1u);
  EXPECT_EQ(all.notes[0], "2: RUN --mount=type=bind without a source mounts the whole context");
}

TEST(DockerfileSources, WhatCannotBeResolvedTakesTheWholeContextWithANote) {
  const DockerfileSources vars =
      ParseDockerfileSources("FROM scratch\nARG APP=web\nCOPY apps/${APP} /app\n");
  EXPECT_TRUE(vars.whole_context);
  ASSERT_EQ(vars.notes.size(), 1u);
  EXPECT_EQ(vars.notes[0],
            "3: COPY source 'apps/${APP}' names a variable, known only when building");

  const DockerfileSources dot = ParseDockerfileSources("FROM scratch\nCOPY ./ /app\n");
  EXPECT_TRUE(dot.whole_context);
  EXPECT_EQ(dot.notes.at(0), "2: COPY './' takes the whole context");

  // Outside the context: the engine refuses it, so it is no input, and the note says so.
  const DockerfileSources out =
      ParseDockerfileSources("FROM scratch\nCOPY ../secret /s\nCOPY ok /o\n");
  EXPECT_FALSE(out.whole_context);
  EXPECT_EQ(Paths(out), std::vector<std::string>{"ok"});
  EXPECT_EQ(out.notes.at(0),
            "2: COPY source '../secret' is outside the context (the engine refuses it)");

  // Cleaned as the engine cleans: a leading '/', './' and 'a/../' go.
  EXPECT_EQ(Paths(ParseDockerfileSources("FROM scratch\nCOPY /x/./y/../z/ ./w /d/\n")),
            (std::vector<std::string>{"x/z", "w"}));
}

// A hostile Dockerfile of very long lines: read in linear time and stack, no recursion per
// character (std::regex recursed and overflowed the stack on a 2 MB directive line).
TEST(DockerfileSources, VeryLongLinesAreReadWithoutRecursion) {
  const std::string huge(2'000'000, 'a');
  const DockerfileSources s =
      ParseDockerfileSources("# syntax=" + huge + "\nFROM x\nRUN " + huge + " <<" + huge +
                             "\nbody\n" + huge + "\nCOPY a b\n");
  EXPECT_EQ(Paths(s), std::vector<std::string>{"a"});
}

/// A tree of files read by PathFilter::Compile.
TreeFileReader Reader(std::map<std::string, std::string> files) {
  return [files](const std::string& path) -> Expected<std::optional<std::string>> {
    auto it = files.find(path);
    if (it == files.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  };
}

TEST(DockerfileMarker, StandsForTheDockerfileItsIgnoreFilesAndItsSources) {
  const auto read =
      Reader({{"app/Dockerfile", "FROM scratch\nCOPY src/ /src/\nCOPY conf/a.conf *.txt /etc/\n"},
              {"app/.dockerignore", "src/**/*.tmp\n"}});
  auto f = PathFilter::Compile({DockerfileMarker("app", "app/Dockerfile")}, read);
  ASSERT_TRUE(f.ok()) << f.error().message;
  for (const char* yes :
       {"app/Dockerfile", "app/.dockerignore", "app/Dockerfile.dockerignore", "app/src/main.c",
        "app/src/deep/x.c", "app/conf/a.conf", "app/n.txt", "app/dir.txt/inside"}) {
    EXPECT_TRUE(f->Matches(yes)) << yes;
  }
  for (const char* no : {"app/src/x.tmp", "app/conf/b.conf", "app/docs/readme", "src/main.c",
                         "other/Dockerfile", "app/sub/n.txt"}) {
    EXPECT_FALSE(f->Matches(no)) << no;
  }
  // Each include says where it comes from.
  bool found = false;
  for (const Glob& g : f->includes()) {
    if (g.pattern() == "app/conf/a.conf") {
      found = true;
      EXPECT_EQ(g.origin(), "inputs_from: app/Dockerfile:3 COPY");
    }
  }
  EXPECT_TRUE(found);
}

TEST(DockerfileMarker, AMissingDockerfileOrAVariableTakesTheWholeContext) {
  auto missing = PathFilter::Compile({DockerfileMarker("ctx", "ctx/Dockerfile")}, Reader({}));
  ASSERT_TRUE(missing.ok()) << missing.error().message;
  EXPECT_TRUE(missing->Matches("ctx/any/file"));
  EXPECT_FALSE(missing->Matches("elsewhere/file"));

  auto root = PathFilter::Compile({DockerfileMarker(".", "Dockerfile")},
                                  Reader({{"Dockerfile", "FROM scratch\nCOPY $X /x\n"}}));
  ASSERT_TRUE(root.ok()) << root.error().message;
  EXPECT_TRUE(root->Matches("any/file"));
  EXPECT_EQ(root->includes().back().origin(),
            "inputs_from: Dockerfile:2: COPY source '$X' names a variable, known only when "
            "building");
}

TEST(DockerfileMarker, WithoutAReaderItIsAnErrorNamingIt) {
  auto f = PathFilter::Compile({"src/**", DockerfileMarker(".", "Dockerfile")});
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message.find("1:0:"), std::string::npos) << f.error().message;
  EXPECT_NE(f.error().message.find("inputs_from"), std::string::npos) << f.error().message;
}

}  // namespace
}  // namespace fanout
