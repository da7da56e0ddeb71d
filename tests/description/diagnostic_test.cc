#include "description/diagnostic.h"

#include <gtest/gtest.h>

namespace fanout {
namespace {

constexpr char kSource[] =
    "version: 1\n"
    "targets:\n"
    "  web:\n"
    "    pool: dokcer\n";

TEST(DiagnosticTest, Format_LocationThenSourceLineThenCaretUnderColumn) {
  Diagnostic diag{"fanout.yaml", {4, 11}, "unknown pool 'dokcer'", {}};
  EXPECT_EQ(FormatDiagnostic(diag, kSource),
            "fanout.yaml:4:11: error: unknown pool 'dokcer'\n"
            "    pool: dokcer\n"
            "          ^\n");
}

TEST(DiagnosticTest, Format_NotesFollowTheCaret) {
  Diagnostic diag{"path/to/fanout.yaml",
                  {4, 11},
                  "unknown pool 'dokcer'",
                  {"help: did you mean 'docker'?", "note: pools are declared under 'pools'"}};
  EXPECT_EQ(FormatDiagnostic(diag, kSource),
            "path/to/fanout.yaml:4:11: error: unknown pool 'dokcer'\n"
            "    pool: dokcer\n"
            "          ^\n"
            "help: did you mean 'docker'?\n"
            "note: pools are declared under 'pools'\n");
}

TEST(DiagnosticTest, Format_LineZeroHasNoLocationSourceOrCaret) {
  Diagnostic diag{"fanout.yaml", {}, "the description is empty", {"help: start it"}};
  EXPECT_EQ(FormatDiagnostic(diag, kSource),
            "fanout.yaml: error: the description is empty\n"
            "help: start it\n");
}

TEST(DiagnosticTest, Format_CaretAtFirstColumn) {
  Diagnostic diag{"f.yaml", {2, 1}, "m", {}};
  EXPECT_EQ(FormatDiagnostic(diag, kSource), "f.yaml:2:1: error: m\ntargets:\n^\n");
}

TEST(DiagnosticTest, Format_CaretKeepsTabsSoItLinesUp) {
  Diagnostic diag{"f.yaml", {1, 4}, "m", {}};
  EXPECT_EQ(FormatDiagnostic(diag, "a\tb c\n"), "f.yaml:1:4: error: m\na\tb c\n \t ^\n");
}

TEST(DiagnosticTest, Format_CaretCountsUtf8CharactersNotBytes) {
  // "é" is two bytes but one column, as libyaml counts columns.
  Diagnostic diag{"f.yaml", {1, 4}, "m", {}};
  EXPECT_EQ(FormatDiagnostic(diag, "\xC3\xA9: x\n"), "f.yaml:1:4: error: m\n\xC3\xA9: x\n   ^\n");
}

TEST(DiagnosticTest, Format_CarriageReturnIsNotPartOfTheSourceLine) {
  Diagnostic diag{"f.yaml", {2, 3}, "m", {}};
  EXPECT_EQ(FormatDiagnostic(diag, "a: 1\r\nbb: 2\r\n"), "f.yaml:2:3: error: m\nbb: 2\n  ^\n");
}

TEST(DiagnosticTest, Format_LastLineWithoutNewline) {
  Diagnostic diag{"f.yaml", {2, 2}, "m", {}};
  EXPECT_EQ(FormatDiagnostic(diag, "a\nxyz"), "f.yaml:2:2: error: m\nxyz\n ^\n");
}

TEST(DiagnosticTest, Format_LineBeyondTheSourceOmitsSourceAndCaret) {
  Diagnostic diag{"f.yaml", {9, 2}, "m", {}};
  EXPECT_EQ(FormatDiagnostic(diag, "a\n"), "f.yaml:9:2: error: m\n");
}

TEST(DiagnosticTest, Format_ColumnZeroPrintsLineOnly) {
  Diagnostic diag{"f.yaml", {1, 0}, "m", {}};
  EXPECT_EQ(FormatDiagnostic(diag, "abc\n"), "f.yaml:1: error: m\nabc\n");
}

TEST(DiagnosticTest, Suggest_TranspositionIsANearName) {
  EXPECT_EQ(SuggestName("dokcer", {"build", "docker", "push"}), "docker");
  EXPECT_EQ(SuggestName("dpes", {"command", "deps", "inputs", "pool"}), "deps");
}

TEST(DiagnosticTest, Suggest_TypoAndMissingLetter) {
  EXPECT_EQ(SuggestName("comand", {"command", "checkout"}), "command");
  EXPECT_EQ(SuggestName("runtme", {"base", "runtime"}), "runtime");
}

TEST(DiagnosticTest, Suggest_IgnoresCase) {
  EXPECT_EQ(SuggestName("Docker", {"docker"}), "docker");
}

TEST(DiagnosticTest, Suggest_PrefersTheClosestName) {
  EXPECT_EQ(SuggestName("pool", {"pools", "pool2x", "pool"}), "pool");
  EXPECT_EQ(SuggestName("pols", {"tools", "pools"}), "pools");
  EXPECT_EQ(SuggestName("pol", {"pot", "pod"}), "pot");  // a tie goes to the first
}

TEST(DiagnosticTest, Suggest_FarNamesSuggestNothing) {
  EXPECT_EQ(SuggestName("xyz", {"docker", "deps"}), "");
  EXPECT_EQ(SuggestName("a", {"b"}), "");  // a complete rewrite is no suggestion
  EXPECT_EQ(SuggestName("anything", {}), "");
}

}  // namespace
}  // namespace fanout
