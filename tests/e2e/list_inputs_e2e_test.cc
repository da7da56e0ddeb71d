// `fanout list --inputs T` (docs/cli.md): each input file of T with the pattern that selects
// it and, for a derived one, its rule; read from the work tree's tracked files.
#include <gtest/gtest.h>

#include "test_util.h"

namespace fanout::testing {
namespace {

TEST(ListInputsE2E, EachInputWithItsPatternAndRule) {
  GitRepo repo;
  repo.Write("fanout.yaml",
             "version: 1\ntargets:\n  app:\n    command: make\n    inputs: [Makefile]\n"
             "    inputs_from: {dockerfile: app/Dockerfile}\n  other:\n    command: make\n"
             "    inputs: [docs/**]\n");
  repo.Write("Makefile", "all:\n");
  repo.Write("app/Dockerfile", "FROM scratch\nCOPY src/ /src/\nCOPY conf/a.conf /etc/\n");
  repo.Write("app/src/main.c", "int main;\n");
  repo.Write("app/conf/a.conf", "a\n");
  repo.Write("app/conf/b.conf", "b\n");
  repo.Write("docs/readme.md", "docs\n");
  repo.Commit("all");
  RunResult r = fanout::testing::Run({FanoutBinary(), "list", "--inputs", "app"}, repo.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "Makefile\tMakefile\n"
            "app/Dockerfile\tapp/Dockerfile\tinputs_from: the Dockerfile\n"
            "app/conf/a.conf\tapp/conf/a.conf\tinputs_from: app/Dockerfile:3 COPY\n"
            "app/src/main.c\tapp/src\tinputs_from: app/Dockerfile:2 COPY\n");

  // A new COPY in the work tree is read from there (tracked files, as `git add` left them).
  repo.Write("app/Dockerfile", "FROM scratch\nCOPY src/ /src/\nCOPY conf /etc/\n");
  r = fanout::testing::Run({FanoutBinary(), "list", "--inputs", "app"}, repo.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("app/conf/b.conf\tapp/conf\tinputs_from: app/Dockerfile:3 COPY\n"),
            std::string::npos)
      << r.out;

  r = fanout::testing::Run({FanoutBinary(), "list", "--inputs", "other"}, repo.path());
  EXPECT_EQ(r.out, "docs/readme.md\tdocs/**\n");

  r = fanout::testing::Run({FanoutBinary(), "list", "--inputs", "nope"}, repo.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no target 'nope' in"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace fanout::testing
