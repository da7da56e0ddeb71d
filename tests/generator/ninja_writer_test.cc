#include "generator/ninja_writer.h"

#include <sstream>

#include <gtest/gtest.h>

namespace fanout {
namespace {

using namespace std::string_literals;

std::string Path(std::string_view p) {
  Expected<std::string> e = EscapeNinjaPath(p);
  EXPECT_TRUE(e.ok()) << e.error().message;
  return e.ok() ? *e : "";
}

std::string Value(std::string_view v) {
  Expected<std::string> e = EscapeNinjaValue(v);
  EXPECT_TRUE(e.ok()) << e.error().message;
  return e.ok() ? *e : "";
}

TEST(EscapeNinjaPath, EscapesDollarSpaceColon) {
  EXPECT_EQ(Path("targets/a/result.json"), "targets/a/result.json");
  EXPECT_EQ(Path("a b"), "a$ b");
  EXPECT_EQ(Path("c:d"), "c$:d");
  EXPECT_EQ(Path("$x"), "$$x");
  EXPECT_EQ(Path("$ :"), "$$$ $:");
  // '#' is literal inside a path; tabs are not separators.
  EXPECT_EQ(Path("#hash"), "#hash");
  EXPECT_EQ(Path("a\tb"), "a\tb");
}

TEST(EscapeNinjaPath, RejectsWhatCannotBeWritten) {
  for (const std::string& bad : {"a\nb"s, "a\rb"s, "a\0b"s, "a|b"s, "||"s, ""s}) {
    Expected<std::string> e = EscapeNinjaPath(bad);
    EXPECT_FALSE(e.ok()) << bad;
  }
  Expected<std::string> pipe = EscapeNinjaPath("direct|pipe");
  ASSERT_FALSE(pipe.ok());
  EXPECT_NE(pipe.error().message.find("'direct|pipe'"), std::string::npos) << pipe.error().message;
  EXPECT_NE(pipe.error().message.find("'|'"), std::string::npos) << pipe.error().message;
  Expected<std::string> nl = EscapeNinjaPath("a\nb");
  ASSERT_FALSE(nl.ok());
  EXPECT_NE(nl.error().message.find("'a\\nb'"), std::string::npos) << nl.error().message;
  EXPECT_NE(nl.error().message.find("newline"), std::string::npos) << nl.error().message;
}

TEST(EscapeNinjaValue, EscapesOnlyDollar) {
  EXPECT_EQ(Value("a b:c|d#e"), "a b:c|d#e");
  EXPECT_EQ(Value("echo $HOME $$"), "echo $$HOME $$$$");
  EXPECT_EQ(Value(""), "");
  // Ninja strips leading spaces of a value; the first one is escaped to keep them.
  EXPECT_EQ(Value("  x "), "$  x ");
}

TEST(EscapeNinjaValue, RejectsNewlineCrNul) {
  EXPECT_FALSE(EscapeNinjaValue("a\nb").ok());
  EXPECT_FALSE(EscapeNinjaValue("a\rb").ok());
  EXPECT_FALSE(EscapeNinjaValue("a\0b"s).ok());
  Expected<std::string> cr = EscapeNinjaValue("x\ry");
  ASSERT_FALSE(cr.ok());
  EXPECT_NE(cr.error().message.find("carriage return"), std::string::npos);
}

TEST(CheckNinjaIdentifier, AcceptsNinjaNameCharacters) {
  EXPECT_TRUE(CheckNinjaIdentifier("docker_pool.x-1", "pool").ok());
  EXPECT_FALSE(CheckNinjaIdentifier("", "pool").ok());
  EXPECT_FALSE(CheckNinjaIdentifier("a b", "rule").ok());
  Status s = CheckNinjaIdentifier("a$b", "variable");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message,
            "invalid Ninja variable name 'a$b': names must match [a-zA-Z0-9_.-]+");
}

TEST(NinjaValue, LiteralsEscapedReferencesNot) {
  NinjaValue v = NinjaValue::Var("fanout");
  v.Append(" exec '$x' ").AppendVar("target");
  EXPECT_EQ(*v.Render(), "$fanout exec '$$x' $target");
}

TEST(NinjaValue, BracesWhenTheNextCharacterWouldExtendTheName) {
  NinjaValue v = NinjaValue::Var("dir");
  v.Append("_x/").AppendVar("a.b").Append(".c").AppendVar("n").Append("$");
  EXPECT_EQ(*v.Render(), "${dir}_x/${a.b}.c$n$$");
}

TEST(NinjaValue, LeadingSpaceEscapedOnlyAtTheStart) {
  NinjaValue v(" a");
  v.AppendVar("x").Append(" b");
  EXPECT_EQ(*v.Render(), "$ a$x b");
}

TEST(NinjaValue, BadReferenceOrLiteralIsAnError) {
  EXPECT_FALSE(NinjaValue::Var("a b").Render().ok());
  EXPECT_FALSE(NinjaValue("line\nbreak").Render().ok());
}

TEST(NinjaWriter, WritesEachStatementKind) {
  std::ostringstream out;
  NinjaWriter w(out);
  ASSERT_TRUE(w.Comment("first\n\nthird").ok());
  ASSERT_TRUE(w.Variable("fanout", "'/opt/my tools/fan$out'").ok());
  w.Newline();
  ASSERT_TRUE(w.Pool("docker", 2).ok());
  NinjaRule rule;
  rule.name = "exec";
  rule.command = NinjaValue::Var("fanout").Append(" exec ").AppendVar("target");
  rule.description = NinjaValue("BUILD ").AppendVar("target");
  rule.depfile = "$out.d";
  rule.generator = true;
  rule.pool = "console";
  rule.restat = true;
  rule.deps = "gcc";
  ASSERT_TRUE(w.Rule(rule).ok());
  NinjaBuild build;
  build.outputs = {"out put", "o:2"};
  build.implicit_outputs = {"imp$out"};
  build.rule = "exec";
  build.inputs = {"in"};
  build.implicit = {"dep 1"};
  build.order_only = {"oo"};
  build.variables["target"] = "a b";
  build.variables["pool"] = "docker";
  ASSERT_TRUE(w.Build(build).ok());
  ASSERT_TRUE(w.Default({"all", "x y"}).ok());
  EXPECT_EQ(out.str(),
            "# first\n"
            "#\n"
            "# third\n"
            "fanout = '/opt/my tools/fan$$out'\n"
            "\n"
            "pool docker\n"
            "  depth = 2\n"
            "rule exec\n"
            "  command = $fanout exec $target\n"
            "  description = BUILD $target\n"
            "  depfile = $$out.d\n"
            "  generator = 1\n"
            "  pool = console\n"
            "  restat = 1\n"
            "  deps = gcc\n"
            "build out$ put o$:2 | imp$$out: exec in | dep$ 1 || oo\n"
            "  pool = docker\n"
            "  target = a b\n"
            "default all x$ y\n");
}

TEST(NinjaWriter, EmptyValueHasNoTrailingSpace) {
  std::ostringstream out;
  NinjaWriter w(out);
  ASSERT_TRUE(w.Variable("empty", "").ok());
  EXPECT_EQ(out.str(), "empty =\n");
}

TEST(NinjaWriter, WrapsLongBuildLinesBetweenTokens) {
  std::ostringstream out;
  NinjaWriter w(out, 32);
  NinjaBuild build;
  build.outputs = {"manifest.json"};
  build.rule = "gather";
  build.inputs = {"targets/aaaa", "targets/bbbb", "targets/cccc"};
  build.implicit = {"x"};
  ASSERT_TRUE(w.Build(build).ok());
  EXPECT_EQ(out.str(),
            "build manifest.json: gather $\n"
            "    targets/aaaa targets/bbbb $\n"
            "    targets/cccc | x\n");
  for (std::size_t start = 0; start < out.str().size();) {
    std::size_t end = out.str().find('\n', start);
    EXPECT_LE(end - start, 32u) << out.str().substr(start, end - start);
    start = end + 1;
  }
}

TEST(NinjaWriter, ErrorsWriteNothing) {
  std::ostringstream out;
  NinjaWriter w(out);
  NinjaBuild build;
  build.outputs = {"ok"};
  build.rule = "phony";
  build.inputs = {"fine", "bad|path"};
  Status s = w.Build(build);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("bad|path"), std::string::npos);

  build.inputs = {"fine"};
  build.variables["v"] = "two\nlines";
  EXPECT_FALSE(w.Build(build).ok());

  NinjaRule rule;
  rule.name = "r";
  rule.command = "ok";
  rule.description = "bad\r";
  EXPECT_FALSE(w.Rule(rule).ok());
  rule.description = "";
  rule.command = NinjaValue();
  EXPECT_FALSE(w.Rule(rule).ok());
  rule.command = "ok";
  rule.name = "phony";
  EXPECT_FALSE(w.Rule(rule).ok());
  rule.name = "r";
  rule.deps = "clang";
  EXPECT_FALSE(w.Rule(rule).ok());

  EXPECT_FALSE(w.Pool("console", 1).ok());
  EXPECT_FALSE(w.Pool("a b", 1).ok());
  EXPECT_FALSE(w.Pool("p", -1).ok());
  EXPECT_FALSE(w.Default({}).ok());
  EXPECT_FALSE(w.Default({"a\nb"}).ok());
  EXPECT_FALSE(w.Comment("a\rb").ok());
  EXPECT_FALSE(w.Variable("bad key", "v").ok());
  build.variables.clear();
  build.outputs.clear();
  EXPECT_FALSE(w.Build(build).ok());
  EXPECT_EQ(out.str(), "");
}

}  // namespace
}  // namespace fanout
