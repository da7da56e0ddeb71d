#include "description/yaml_node.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

namespace fanout {
namespace {

YamlParseResult Parse(const std::string& text, const YamlParseOptions& options = {}) {
  return ParseYaml(text, "f.yaml", options);
}

/// A document whose aliases expand to 10^levels nodes ("billion laughs" at 9).
std::string Laughs(int levels) {
  std::string text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i <= levels; ++i) {
    // fmt, not "literal" + std::string: GCC 12 at -O3 reports a -Wrestrict false positive on
    // that operator (GCC bug 105329).
    const std::string prev = fmt::format("*a{}", i - 1);
    text += fmt::format("a{0}: &a{0} [", i);
    for (int j = 0; j < 10; ++j) text += (j ? ", " : "") + prev;
    text += "]\n";
  }
  return text;
}

TEST(YamlNodeTest, Parse_NodesCarryOneBasedLineAndColumn) {
  YamlParseResult r = Parse("version: 1\ntargets:\n  web:\n    inputs: [a, \"b\"]\n");
  ASSERT_TRUE(r.errors.empty());
  ASSERT_TRUE(r.root && r.root->is_mapping());
  EXPECT_EQ(r.root->mark.line, 1);
  EXPECT_EQ(r.root->mark.column, 1);
  const YamlNode::Entry* targets = r.root->Find("targets");
  ASSERT_NE(targets, nullptr);
  EXPECT_EQ(targets->key->mark.line, 2);
  EXPECT_EQ(targets->key->mark.column, 1);
  const YamlNode::Entry* web = targets->value->Find("web");
  ASSERT_NE(web, nullptr);
  EXPECT_EQ(web->key->mark.line, 3);
  EXPECT_EQ(web->key->mark.column, 3);
  const YamlNode& inputs = *web->value->Find("inputs")->value;
  ASSERT_TRUE(inputs.is_sequence());
  EXPECT_EQ(inputs.mark.column, 13);
  ASSERT_EQ(inputs.items().size(), 2u);
  EXPECT_EQ(inputs.items()[0]->scalar(), "a");
  EXPECT_EQ(inputs.items()[0]->mark.line, 4);
  EXPECT_EQ(inputs.items()[0]->mark.column, 14);
  EXPECT_EQ(inputs.items()[1]->scalar(), "b");
  EXPECT_EQ(inputs.items()[1]->mark.column, 17);  // the opening quote
}

TEST(YamlNodeTest, Parse_QuotedBlockAndStrTaggedScalarsAreNotPlain) {
  YamlParseResult r = Parse("a: 1\nb: \"1\"\nc: '1'\nd: !!str 1\ne: |\n  1\nf: true\ng: ! true\n");
  ASSERT_TRUE(r.errors.empty());
  EXPECT_TRUE(r.root->Find("a")->value->plain);
  EXPECT_FALSE(r.root->Find("b")->value->plain);
  EXPECT_FALSE(r.root->Find("c")->value->plain);
  EXPECT_FALSE(r.root->Find("d")->value->plain);
  EXPECT_FALSE(r.root->Find("e")->value->plain);
  EXPECT_EQ(r.root->Find("e")->value->scalar(), "1\n");
  EXPECT_TRUE(r.root->Find("f")->value->plain);
  EXPECT_FALSE(r.root->Find("g")->value->plain);
  EXPECT_FALSE(r.root->Find("a")->value->quoted);
  EXPECT_TRUE(r.root->Find("b")->value->quoted);
  EXPECT_TRUE(r.root->Find("c")->value->quoted);
  EXPECT_FALSE(r.root->Find("d")->value->quoted);
  EXPECT_FALSE(r.root->Find("e")->value->quoted);
}

TEST(YamlNodeTest, Describe_JudgesTypeByStyle) {
  YamlParseResult r = Parse("a: 1\nb: \"1\"\nc: true\nd:\ne: ~\nf: [x]\ng: {x: 1}\nh: -3\n");
  ASSERT_TRUE(r.errors.empty());
  EXPECT_EQ(r.root->Find("a")->value->Describe(), "an integer");
  EXPECT_EQ(r.root->Find("b")->value->Describe(), "a string");
  EXPECT_EQ(r.root->Find("c")->value->Describe(), "a boolean");
  EXPECT_EQ(r.root->Find("d")->value->Describe(), "null");
  EXPECT_TRUE(r.root->Find("e")->value->is_null());
  EXPECT_EQ(r.root->Find("f")->value->Describe(), "a list");
  EXPECT_EQ(r.root->Find("g")->value->Describe(), "a mapping");
  EXPECT_EQ(r.root->Find("h")->value->Describe(), "an integer");
}

TEST(YamlNodeTest, Parse_AliasSharesTheAnchoredNode) {
  YamlParseResult r = Parse("common: &c [x, y]\nuse: *c\n");
  ASSERT_TRUE(r.errors.empty());
  const YamlNode* common = r.root->Find("common")->value;
  const YamlNode* use = r.root->Find("use")->value;
  EXPECT_EQ(common, use);
  EXPECT_EQ(use->items().size(), 2u);
  EXPECT_EQ(use->mark.line, 1);  // points at the anchored text
  EXPECT_EQ(r.root->expanded_size, 1u + 2 * (1 + 3));
}

TEST(YamlNodeTest, Parse_DuplicateKeyIsAnErrorAtTheSecondKeyAndKeepsTheFirst) {
  YamlParseResult r = Parse("a: 1\nb: 2\na: 3\n");
  EXPECT_FALSE(r.fatal);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].file, "f.yaml");
  EXPECT_EQ(r.errors[0].mark.line, 3);
  EXPECT_EQ(r.errors[0].mark.column, 1);
  EXPECT_EQ(r.errors[0].message, "duplicate key 'a'");
  ASSERT_EQ(r.errors[0].notes.size(), 1u);
  EXPECT_EQ(r.errors[0].notes[0], "note: 'a' is first defined at line 1, column 1");
  ASSERT_TRUE(r.root);
  EXPECT_EQ(r.root->entries().size(), 2u);
  EXPECT_EQ(r.root->Find("a")->value->scalar(), "1");
}

TEST(YamlNodeTest, Parse_BillionLaughsIsAnErrorNotAnExplosion) {
  YamlParseResult r = Parse(Laughs(9));
  EXPECT_TRUE(r.fatal);
  EXPECT_EQ(r.root, nullptr);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].message, "the document expands to more than 1000000 nodes");
  // a5 (line 6) alone expands to over 10^6 nodes: the bound is passed there.
  EXPECT_EQ(r.errors[0].mark.line, 6);
}

TEST(YamlNodeTest, Parse_AliasesWithinTheBoundAreFine) {
  YamlParseResult r = Parse(Laughs(3));  // 10^4 leaves
  ASSERT_TRUE(r.errors.empty());
  EXPECT_FALSE(r.fatal);
  EXPECT_GT(r.root->expanded_size, 10000u);
}

TEST(YamlNodeTest, Parse_ExpansionBoundIsConfigurable) {
  YamlParseOptions options;
  options.max_expanded_nodes = 50;
  options.expanded_nodes_per_byte = 0;
  YamlParseResult r = Parse(Laughs(1), options);  // 1 + 2 + 11 + 2 + 1 + 10 * 11 nodes
  EXPECT_TRUE(r.fatal);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].mark.line, 2);
}

TEST(YamlNodeTest, Parse_ExpansionBoundGrowsWithTheInput) {
  YamlParseOptions options;
  options.max_expanded_nodes = 50;
  options.expanded_nodes_per_byte = 2;
  std::string text = "a: [";
  for (int i = 0; i < 100; ++i) text += "x,";
  text += "x]\n";  // 204 bytes, 104 nodes
  EXPECT_FALSE(Parse(text, options).fatal);
  options.expanded_nodes_per_byte = 0;
  EXPECT_TRUE(Parse(text, options).fatal);
}

TEST(YamlNodeTest, Parse_UnknownAliasIsFatal) {
  YamlParseResult r = Parse("a: 1\nb: *nope\n");
  EXPECT_TRUE(r.fatal);
  EXPECT_EQ(r.root, nullptr);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].message, "unknown alias '*nope'");
  EXPECT_EQ(r.errors[0].mark.line, 2);
  EXPECT_EQ(r.errors[0].mark.column, 4);
}

TEST(YamlNodeTest, Parse_AliasInsideItsOwnAnchorIsFatal) {
  YamlParseResult r = Parse("a: &x [1, *x]\n");
  EXPECT_TRUE(r.fatal);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].message, "alias '*x' refers to a node that contains it");
}

TEST(YamlNodeTest, Parse_SyntaxErrorHasLineColumnAndContext) {
  YamlParseResult r = Parse("a: 1\nb:\n  c: 2\n d: 3\n");
  EXPECT_TRUE(r.fatal);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].message, "invalid YAML: did not find expected key");
  EXPECT_EQ(r.errors[0].mark.line, 4);
  EXPECT_EQ(r.errors[0].mark.column, 2);
  ASSERT_EQ(r.errors[0].notes.size(), 1u);
  EXPECT_EQ(r.errors[0].notes[0], "note: while parsing a block mapping at line 1, column 1");
}

TEST(YamlNodeTest, Parse_TabIndentationIsASyntaxError) {
  YamlParseResult r = Parse("a:\n\tb: 1\n");
  EXPECT_TRUE(r.fatal);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].mark.line, 2);
  EXPECT_EQ(r.errors[0].mark.column, 1);
  EXPECT_EQ(r.errors[0].message.rfind("invalid YAML: ", 0), 0u);
  ASSERT_GE(r.errors[0].notes.size(), 1u);
  EXPECT_EQ(r.errors[0].notes[0],
            "help: indent with spaces; YAML does not allow tabs for indentation");
}

TEST(YamlNodeTest, Parse_InvalidUtf8IsAnErrorWithAPosition) {
  YamlParseResult r = Parse("a: 1\nb: \xff\n");
  EXPECT_TRUE(r.fatal);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].message, "invalid YAML: invalid leading UTF-8 octet (0xFF)");
  EXPECT_EQ(r.errors[0].mark.line, 2);
  EXPECT_EQ(r.errors[0].mark.column, 4);
}

TEST(YamlNodeTest, Parse_SecondDocumentIsAnError) {
  YamlParseResult r = Parse("a: 1\n---\nb: 2\n");
  EXPECT_FALSE(r.fatal);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].message, "a description holds one YAML document; found a second");
  EXPECT_EQ(r.errors[0].mark.line, 2);
  ASSERT_TRUE(r.root);
  EXPECT_NE(r.root->Find("a"), nullptr);
  EXPECT_EQ(r.root->Find("b"), nullptr);
}

TEST(YamlNodeTest, Parse_EmptyTextHasNoRootAndNoError) {
  YamlParseResult r = Parse("");
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(r.root, nullptr);
  r = Parse("# only a comment\n");
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(r.root, nullptr);
}

TEST(YamlNodeTest, Parse_DeepNestingIsBounded) {
  YamlParseResult r = Parse(std::string(100000, '[') + std::string(100000, ']'));
  EXPECT_TRUE(r.fatal);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].message, "the document nests lists and mappings more than 200 levels deep");
  EXPECT_EQ(r.errors[0].mark.column, 201);
}

TEST(YamlNodeTest, Parse_MergeKeyCopiesEntriesTheMappingDoesNotSet) {
  YamlParseResult r = Parse(
      "base: &b {pool: docker, retries: 1}\n"
      "t:\n"
      "  <<: *b\n"
      "  retries: 2\n");
  ASSERT_TRUE(r.errors.empty()) << r.errors[0].message;
  const YamlNode& t = *r.root->Find("t")->value;
  ASSERT_EQ(t.entries().size(), 2u);
  EXPECT_EQ(t.Find("retries")->value->scalar(), "2");
  EXPECT_EQ(t.Find("pool")->value->scalar(), "docker");
  EXPECT_EQ(t.Find("<<"), nullptr);
}

TEST(YamlNodeTest, Parse_MergeOfAListTakesEarlierMappingsFirst) {
  YamlParseResult r = Parse(
      "x: &x {a: 1}\n"
      "y: &y {a: 2, b: 2}\n"
      "t: {<<: [*x, *y]}\n");
  ASSERT_TRUE(r.errors.empty());
  const YamlNode& t = *r.root->Find("t")->value;
  EXPECT_EQ(t.Find("a")->value->scalar(), "1");
  EXPECT_EQ(t.Find("b")->value->scalar(), "2");
}

TEST(YamlNodeTest, Parse_MergeOfAScalarIsAnError) {
  YamlParseResult r = Parse("t:\n  <<: 5\n");
  EXPECT_FALSE(r.fatal);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].message,
            "a '<<' merge needs a mapping or a list of mappings, found an "
            "integer");
  EXPECT_EQ(r.errors[0].mark.line, 2);
  EXPECT_EQ(r.errors[0].mark.column, 7);
}

TEST(YamlNodeTest, Parse_QuotedMergeKeyIsAnOrdinaryKey) {
  YamlParseResult r = Parse("t: {\"<<\": 5}\n");
  ASSERT_TRUE(r.errors.empty());
  EXPECT_NE(r.root->Find("t")->value->Find("<<"), nullptr);
}

}  // namespace
}  // namespace fanout
