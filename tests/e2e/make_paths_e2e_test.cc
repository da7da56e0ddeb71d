// End-to-end: paths Make cannot spell (spaces, ':', '#', '$', '%') under the generated
// Makefile. Inputs and artifacts never appear in it; the description's path, when awkward, is
// reached through a link with a safe name (generator/make_generator.h, kMakeDescriptionLink).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace fanout::testing {
namespace {

using nlohmann::json;

TEST(MakePaths, AnAwkwardRepositoryBuildsRebuildsAndRegeneratesUnderMake) {
  GitRepo repo;
  const std::string description = "conf dir #1/fan:out $x 100%.yaml";
  const std::string input = "src/in put #2:$y 50%.txt";
  auto describe = [&](const std::string& greeting) {
    // The shell reads `\$` inside double quotes as a plain '$'.
    repo.Write(description,
               "version: 1\n"
               "targets:\n"
               "  odd:\n"
               "    command: 'cat \"src/in put #2:\\$y 50%.txt\" > \"$FANOUT_OUT/out put #3:\\$z "
               "%.txt\"; echo " +
                   greeting +
                   " >> \"$FANOUT_OUT/out put #3:\\$z %.txt\"'\n"
                   "    inputs: ['src/**']\n"
                   "    artifacts: ['out put #3:$z %.txt']\n");
  };
  describe("hello");
  repo.Write(input, "one\n");
  repo.Write(".gitignore", "/build/\n");
  repo.Commit("initial");

  RunResult gen = ::fanout::testing::Run(
      {FanoutBinary(), "gen", "--format", "make", "-f", description, "-B", "build"}, repo.path());
  ASSERT_EQ(gen.exit_code, 0) << gen.out << gen.err;
  const std::string makefile = ReadFile(repo / "build/Makefile");
  EXPECT_NE(makefile.find("\nMakefile: .fanout/description\n"), std::string::npos) << makefile;

  auto make = [&] {
    return ::fanout::testing::Run(
        {"timeout", "120", "make", "-C", repo / "build", "-f", "Makefile", "-j", "2"}, repo.path());
  };
  auto artifact = [&] { return ReadFile(repo / "build/targets/odd/out/out put #3:$z %.txt"); };
  RunResult first = make();
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_EQ(artifact(), "one\nhello\n");
  const json manifest = json::parse(ReadFile(repo / "build/manifest.json"));
  EXPECT_EQ(manifest["status"], "succeeded") << manifest.dump();

  // An edit of the awkward input rebuilds the target.
  repo.Write(input, "two\n");
  RunResult second = make();
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_EQ(artifact(), "two\nhello\n");

  // An edit of the description regenerates the Makefile, through the link, and builds anew.
  describe("again");
  RunResult third = make();
  ASSERT_EQ(third.exit_code, 0) << third.out << third.err;
  EXPECT_NE(third.out.find(" gen "), std::string::npos) << "no regeneration:\n" << third.out;
  EXPECT_EQ(artifact(), "two\nagain\n");
}

}  // namespace
}  // namespace fanout::testing
