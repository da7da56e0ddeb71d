// docs/cli.md and `fanout --help` agree: every subcommand the help lists has its section and
// synopsis line in the docs, every option a subcommand's --help shows is documented in its
// section, every option the synopsis gives is one the subcommand accepts, and the exit codes
// the help lists are the ones the docs' table gives.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "test_util.h"

namespace fanout {
namespace {

using fanout::testing::FanoutBinary;
using fanout::testing::RunResult;

std::string Docs() {
  std::ifstream in(std::string(FANOUT_SOURCE_DIR) + "/docs/cli.md");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// The long options (`--name`) in `text`.
std::set<std::string> LongOptions(const std::string& text) {
  std::set<std::string> out;
  static const std::regex option("--[a-z][a-z0-9-]*");
  for (std::sregex_iterator it(text.begin(), text.end(), option), end; it != end; ++it) {
    out.insert(it->str());
  }
  return out;
}

/// The subcommands `fanout --help` lists.
std::vector<std::string> Subcommands(const std::string& help) {
  std::vector<std::string> out;
  const std::size_t start = help.find("Subcommands:");
  EXPECT_NE(start, std::string::npos) << help;
  std::istringstream lines(help.substr(start));
  std::string line;
  std::getline(lines, line);
  static const std::regex entry("^  ([a-z]+) +.*");
  while (std::getline(lines, line)) {
    std::smatch m;
    if (std::regex_match(line, m, entry)) out.push_back(m[1]);
  }
  return out;
}

/// docs/cli.md's section `## \`fanout NAME\``, up to the next section.
std::string Section(const std::string& docs, const std::string& name) {
  const std::string heading = "## `fanout " + name + "`";
  const std::size_t start = docs.find(heading);
  if (start == std::string::npos) return "";
  const std::size_t end = docs.find("\n## ", start + heading.size());
  return docs.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

/// The synopsis lines of `name` in the docs' first code block (continuation lines included).
std::string Synopsis(const std::string& docs, const std::string& name) {
  const std::size_t start = docs.find("```\n");
  const std::size_t end = docs.find("```\n", start + 4);
  std::istringstream lines(docs.substr(start + 4, end - start - 4));
  std::string line, out;
  bool in = false;
  while (std::getline(lines, line)) {
    if (line.rfind("fanout ", 0) == 0) {
      std::istringstream words(line.substr(7));
      std::string word;
      words >> word;
      in = word == name;
    }
    if (in) out += line + "\n";
  }
  return out;
}

TEST(CliDocsE2E, EverySubcommandIsDocumentedWithEveryOption) {
  const std::string docs = Docs();
  ASSERT_FALSE(docs.empty());
  RunResult help = fanout::testing::Run({FanoutBinary(), "--help"});
  ASSERT_EQ(help.exit_code, 0) << help.err;
  const std::vector<std::string> subcommands = Subcommands(help.out);
  ASSERT_GE(subcommands.size(), 8u) << help.out;
  for (const std::string& sub : subcommands) {
    SCOPED_TRACE(sub);
    const std::string section = Section(docs, sub);
    const std::string synopsis = Synopsis(docs, sub);
    ASSERT_FALSE(section.empty()) << "docs/cli.md has no section ## `fanout " << sub << "`";
    ASSERT_FALSE(synopsis.empty()) << "docs/cli.md's synopsis has no line for " << sub;
    RunResult sub_help = fanout::testing::Run({FanoutBinary(), sub, "--help"});
    ASSERT_EQ(sub_help.exit_code, 0) << sub_help.err;
    const std::set<std::string> accepted = LongOptions(sub_help.out);
    // `build` takes gen's options, which its synopsis gives as "[gen options]".
    std::string documented_text = section + synopsis + Synopsis(docs, "gen") + Section(docs, "gen");
    documented_text += docs.substr(0, docs.find("## Exit codes"));  // the shared options
    const std::set<std::string> documented = LongOptions(documented_text);
    for (const std::string& option : accepted) {
      if (option == "--help") continue;
      EXPECT_TRUE(documented.count(option))
          << "fanout " << sub << " accepts " << option << ", which docs/cli.md does not document";
    }
    std::string own_synopsis = synopsis;
    // "[gen options]": those of gen's first synopsis entry; the second, `--fragment`, only
    // writes a file and is gen's alone.
    if (sub == "build") {
      const std::string gen = Synopsis(docs, "gen");
      own_synopsis += gen.substr(0, gen.find("\nfanout gen") + 1);
    }
    for (const std::string& option : LongOptions(own_synopsis)) {
      EXPECT_TRUE(accepted.count(option)) << "docs/cli.md gives fanout " << sub << " the option "
                                          << option << ", which its --help does not list";
    }
  }
}

TEST(CliDocsE2E, TheHelpListsTheExitCodesOfTheDocs) {
  RunResult help = fanout::testing::Run({FanoutBinary(), "--help"});
  ASSERT_EQ(help.exit_code, 0);
  const std::size_t start = help.out.find("Exit codes");
  ASSERT_NE(start, std::string::npos) << help.out;
  std::set<int> in_help;
  std::istringstream lines(help.out.substr(start));
  std::string line;
  static const std::regex code_line("^ +([0-9]+) +\\S.*");
  while (std::getline(lines, line)) {
    std::smatch m;
    if (std::regex_match(line, m, code_line)) in_help.insert(std::stoi(m[1]));
  }
  const std::string docs = Docs();
  const std::size_t table = docs.find("## Exit codes");
  ASSERT_NE(table, std::string::npos);
  const std::string section = docs.substr(table, docs.find("Per command:", table) - table);
  std::set<int> in_docs;
  static const std::regex row("\\| `([0-9]+)` \\|");
  for (std::sregex_iterator it(section.begin(), section.end(), row), end; it != end; ++it) {
    in_docs.insert(std::stoi((*it)[1]));
  }
  EXPECT_FALSE(in_docs.empty());
  EXPECT_EQ(in_help, in_docs);
}

}  // namespace
}  // namespace fanout
