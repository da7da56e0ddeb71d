// report/junit.h: the JUnit XML report, checked with a real XML parser and the schema CI
// readers follow.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "report/junit.h"
#include "report_fixture.h"
#include "test_util.h"

namespace fanout {
namespace {

using nlohmann::json;
namespace tu = ::fanout::testing;
using namespace ::fanout::report_test;

TEST(Junit, ParsesAndCountsEveryKindOfOutcome) {
  tu::TempDir dir;
  Report report = SampleReport("line 1\nerror: it broke\n");
  const std::string path = dir / "junit.xml";
  tu::WriteFile(path, ReportToJunit(report));
  json root = ParseXml(path);
  ASSERT_EQ(root["tag"], "testsuites");
  std::vector<json> suites = Children(root, "testsuite");
  ASSERT_EQ(suites.size(), 1u);
  const json& suite = suites[0];
  EXPECT_EQ(suite["attrib"]["name"], "fanout");
  EXPECT_EQ(suite["attrib"]["tests"], "8");     // 7 targets + post-submit
  EXPECT_EQ(suite["attrib"]["failures"], "2");  // api failed, slow timed out
  // gone and the post-submit step were interrupted (an interrupted target means the build was)
  EXPECT_EQ(suite["attrib"]["errors"], "2");
  EXPECT_EQ(suite["attrib"]["skipped"], "2");  // web blocked, docs skipped
  EXPECT_EQ(suite["attrib"]["time"], "12.500");
  EXPECT_EQ(suite["attrib"]["timestamp"], "2023-11-14T22:13:20");
  EXPECT_EQ(root["attrib"]["tests"], "8");

  std::map<std::string, json> cases;
  for (const json& c : Children(suite, "testcase")) cases[c["attrib"]["name"]] = c;
  ASSERT_EQ(cases.size(), 8u);
  std::vector<json> failure = Children(cases["api"], "failure");
  ASSERT_EQ(failure.size(), 1u);
  EXPECT_EQ(failure[0]["attrib"]["type"], "failed");
  EXPECT_EQ(failure[0]["attrib"]["message"], "exited with status 3");
  EXPECT_NE(failure[0]["text"].get<std::string>().find("error: it broke"), std::string::npos);
  EXPECT_NE(failure[0]["text"].get<std::string>().find("targets/api/log.txt"), std::string::npos);
  EXPECT_EQ(Children(cases["slow"], "failure")[0]["attrib"]["type"], "timed_out");
  EXPECT_EQ(Children(cases["gone"], "error").size(), 1u);
  std::vector<json> skipped = Children(cases["web"], "skipped");
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_EQ(skipped[0]["attrib"]["message"], "blocked: dependency 'api' failed");
  EXPECT_EQ(Children(cases["docs"], "skipped").size(), 1u);
  EXPECT_TRUE(cases["cli"]["children"].empty()) << "a pass has no child elements";
  EXPECT_EQ(Children(cases["flaky"], "system-out").size(), 1u);
  EXPECT_EQ(cases["cli"]["attrib"]["time"], "2.500");
  EXPECT_EQ(Children(cases[kPostSubmitName], "error").size(), 1u);
}

TEST(Junit, HostileLogTailStaysWellFormedAndReadable) {
  tu::TempDir dir;
  const std::string tail = "a < b && c > d \"q\" ]]> <![CDATA[ x\n\x1b[31mred\x1b[0m\x01\xff end";
  Report report = SampleReport(tail);
  report.targets[0].message = "bad \"message\"\nwith <newline>";
  const std::string path = dir / "junit.xml";
  tu::WriteFile(path, ReportToJunit(report));
  json root = ParseXml(path);
  json api;
  const json suite = Children(root, "testsuite").at(0);
  for (const json& c : Children(suite, "testcase")) {
    if (c["attrib"]["name"] == "api") api = c;
  }
  ASSERT_FALSE(api.is_null());
  const json failure = Children(api, "failure").at(0);
  EXPECT_EQ(failure["attrib"]["message"], "bad \"message\"\nwith <newline>")
      << "newlines in attributes survive as character references";
  const std::string text = failure["text"];
  // Escapes and control characters dropped, the invalid byte replaced by U+FFFD.
  EXPECT_NE(text.find("a < b && c > d \"q\" ]]> <![CDATA[ x\nred\xEF\xBF\xBD end"),
            std::string::npos)
      << text;
}

TEST(Junit, ValidatesAgainstJenkinsJunitSchema) {
  if (tu::Run({"sh", "-c", "command -v xmllint"}).exit_code != 0) {
    GTEST_SKIP() << "xmllint (libxml2-utils) is not installed";
  }
  // The structure of Jenkins' junit-10.xsd (the schema CI JUnit readers follow), with numeric
  // counts and times made strict.
  const char* kXsd = R"(<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="failure"><xs:complexType mixed="true">
    <xs:attribute name="type" type="xs:string"/><xs:attribute name="message" type="xs:string"/>
  </xs:complexType></xs:element>
  <xs:element name="error"><xs:complexType mixed="true">
    <xs:attribute name="type" type="xs:string"/><xs:attribute name="message" type="xs:string"/>
  </xs:complexType></xs:element>
  <xs:element name="skipped"><xs:complexType mixed="true">
    <xs:attribute name="message" type="xs:string"/>
  </xs:complexType></xs:element>
  <xs:element name="system-out" type="xs:string"/>
  <xs:element name="system-err" type="xs:string"/>
  <xs:element name="properties"><xs:complexType><xs:sequence>
    <xs:element name="property" minOccurs="0" maxOccurs="unbounded"><xs:complexType>
      <xs:attribute name="name" type="xs:string" use="required"/>
      <xs:attribute name="value" type="xs:string" use="required"/>
    </xs:complexType></xs:element>
  </xs:sequence></xs:complexType></xs:element>
  <xs:element name="testcase"><xs:complexType><xs:sequence>
    <xs:element ref="skipped" minOccurs="0" maxOccurs="1"/>
    <xs:element ref="error" minOccurs="0" maxOccurs="unbounded"/>
    <xs:element ref="failure" minOccurs="0" maxOccurs="unbounded"/>
    <xs:element ref="system-out" minOccurs="0" maxOccurs="unbounded"/>
    <xs:element ref="system-err" minOccurs="0" maxOccurs="unbounded"/>
  </xs:sequence>
    <xs:attribute name="name" type="xs:string" use="required"/>
    <xs:attribute name="assertions" type="xs:string"/>
    <xs:attribute name="time" type="xs:decimal"/>
    <xs:attribute name="classname" type="xs:string"/>
    <xs:attribute name="status" type="xs:string"/>
  </xs:complexType></xs:element>
  <xs:element name="testsuite"><xs:complexType><xs:sequence>
    <xs:element ref="properties" minOccurs="0" maxOccurs="1"/>
    <xs:element ref="testcase" minOccurs="0" maxOccurs="unbounded"/>
    <xs:element ref="system-out" minOccurs="0" maxOccurs="1"/>
    <xs:element ref="system-err" minOccurs="0" maxOccurs="1"/>
  </xs:sequence>
    <xs:attribute name="name" type="xs:string" use="required"/>
    <xs:attribute name="tests" type="xs:nonNegativeInteger" use="required"/>
    <xs:attribute name="failures" type="xs:nonNegativeInteger"/>
    <xs:attribute name="errors" type="xs:nonNegativeInteger"/>
    <xs:attribute name="time" type="xs:decimal"/>
    <xs:attribute name="disabled" type="xs:nonNegativeInteger"/>
    <xs:attribute name="skipped" type="xs:nonNegativeInteger"/>
    <xs:attribute name="timestamp" type="xs:dateTime"/>
    <xs:attribute name="hostname" type="xs:string"/>
    <xs:attribute name="id" type="xs:string"/>
    <xs:attribute name="package" type="xs:string"/>
  </xs:complexType></xs:element>
  <xs:element name="testsuites"><xs:complexType><xs:sequence>
    <xs:element ref="testsuite" minOccurs="0" maxOccurs="unbounded"/>
  </xs:sequence>
    <xs:attribute name="name" type="xs:string"/>
    <xs:attribute name="time" type="xs:decimal"/>
    <xs:attribute name="tests" type="xs:nonNegativeInteger"/>
    <xs:attribute name="failures" type="xs:nonNegativeInteger"/>
    <xs:attribute name="disabled" type="xs:nonNegativeInteger"/>
    <xs:attribute name="errors" type="xs:nonNegativeInteger"/>
  </xs:complexType></xs:element>
</xs:schema>
)";
  tu::TempDir dir;
  tu::WriteFile(dir / "junit.xsd", kXsd);
  tu::WriteFile(dir / "junit.xml", ReportToJunit(SampleReport("x < y\n")));
  tu::RunResult r =
      tu::Run({"xmllint", "--noout", "--schema", dir / "junit.xsd", dir / "junit.xml"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // The validator can fail: an element out of schema order is rejected.
  tu::WriteFile(dir / "bad.xml",
                "<testsuites><testsuite name=\"x\" tests=\"1\"><testcase name=\"a\">"
                "<failure/><skipped/></testcase></testsuite></testsuites>");
  EXPECT_NE(
      tu::Run({"xmllint", "--noout", "--schema", dir / "junit.xsd", dir / "bad.xml"}).exit_code, 0);
}
}  // namespace
}  // namespace fanout
