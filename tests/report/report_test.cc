// The report model (status derivation), its writers (table, Markdown, JUnit), the records it
// reads from a build directory, the log follower of `fanout build -v`, and the post-submit step.
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/build_layout.h"
#include "base/file_util.h"
#include "report/files.h"
#include "report/gather.h"
#include "report/junit.h"
#include "report/markdown.h"
#include "report/progress.h"
#include "report/report.h"
#include "report/table.h"
#include "report/text.h"
#include "test_util.h"

namespace fanout {
namespace {

using nlohmann::json;
namespace tu = ::fanout::testing;

// ---- helpers --------------------------------------------------------------------------------

PlanTarget MakeTarget(const std::string& name, std::vector<std::string> deps = {}) {
  PlanTarget pt;
  pt.def.name = name;
  pt.def.command = "true";
  pt.def.inputs = {"src/**"};
  pt.def.deps = std::move(deps);
  return pt;
}

/// A plan with the given targets (sorted, as plans are).
Plan MakePlanOf(std::vector<PlanTarget> targets) {
  Plan plan;
  std::sort(targets.begin(), targets.end(),
            [](const PlanTarget& a, const PlanTarget& b) { return a.def.name < b.def.name; });
  plan.targets = std::move(targets);
  return plan;
}

json Success(int attempts = 1, const std::string& status = "") {
  return {{"status", status.empty() ? (attempts > 1 ? "flaky" : "succeeded") : status},
          {"exit_code", 0},
          {"attempts", attempts},
          {"started_at", 1000.0},
          {"finished_at", 1002.5},
          {"duration_seconds", 2.5},
          {"input_digest", "abc"},
          {"artifacts", json::array({{{"path", "x.tar"}, {"size", 2048}, {"sha256", "00"}}})},
          {"log", "targets/x/log.txt"}};
}

json Failure(const std::string& status = "failed", const std::string& tail = "boom") {
  return {{"status", status}, {"exit_code", 3},           {"signal", nullptr},
          {"attempts", 1},    {"duration_seconds", 1.25}, {"message", "exited with status 3"},
          {"log_tail", tail}};
}

TargetEvidence WithResult(json r) {
  TargetEvidence e;
  e.result = std::move(r);
  return e;
}
TargetEvidence WithFailure(json f) {
  TargetEvidence e;
  e.failure = std::move(f);
  return e;
}

const TargetReport& Row(const Report& r, const std::string& name) {
  for (const TargetReport& t : r.targets) {
    if (t.name == name) return t;
  }
  ADD_FAILURE() << "no row " << name;
  static TargetReport none;
  return none;
}

/// Parses XML with Python's xml.etree (a real XML parser) into
/// {"tag", "attrib", "text", "children"} JSON; fails the test when it is not well-formed.
json ParseXml(const std::string& path) {
  static const char* kScript =
      "import sys, json, xml.etree.ElementTree as ET\n"
      "def conv(e):\n"
      "  return {'tag': e.tag, 'attrib': dict(e.attrib), 'text': e.text or '',\n"
      "          'children': [conv(c) for c in e]}\n"
      "print(json.dumps(conv(ET.parse(sys.argv[1]).getroot())))\n";
  tu::RunResult r = tu::Run({"python3", "-c", kScript, path});
  EXPECT_EQ(r.exit_code, 0) << "not well-formed XML: " << r.err;
  if (r.exit_code != 0) return json::object();
  return json::parse(r.out);
}

std::vector<json> Children(const json& node, const std::string& tag) {
  std::vector<json> out;
  for (const json& c : node["children"]) {
    if (c["tag"] == tag) out.push_back(c);
  }
  return out;
}

// ---- status names and text helpers ----------------------------------------------------------

TEST(ReportStatus, NamesRoundTrip) {
  for (TargetStatus s : kAllStatuses) EXPECT_EQ(ParseStatus(StatusName(s)), s);
  EXPECT_EQ(StatusName(TargetStatus::kTimedOut), "timed_out");
  EXPECT_FALSE(ParseStatus("missing").has_value());
  EXPECT_TRUE(IsProblem(TargetStatus::kBlocked));
  EXPECT_TRUE(IsProblem(TargetStatus::kInterrupted));
  EXPECT_FALSE(IsProblem(TargetStatus::kSkipped));
  EXPECT_FALSE(IsProblem(TargetStatus::kFlaky));
}

TEST(ReportText, FormatSecondsAndSizes) {
  EXPECT_EQ(FormatSeconds(0.42), "0.4s");
  EXPECT_EQ(FormatSeconds(59.94), "59.9s");
  EXPECT_EQ(FormatSeconds(125), "2m05s");
  EXPECT_EQ(FormatSeconds(3720), "1h02m");
  EXPECT_EQ(FormatSize(512), "512 B");
  EXPECT_EQ(FormatSize(1536), "1.5 KiB");
  EXPECT_EQ(FormatSize(12ull << 20), "12.0 MiB");
}

TEST(ReportText, SanitizeRemovesEscapesControlsAndBadUtf8) {
  EXPECT_EQ(SanitizeLogText("\x1b[1;31merror\x1b[0m: x"), "error: x");
  EXPECT_EQ(SanitizeLogText("a\r\nb\rc"), "a\nb\nc");
  EXPECT_EQ(SanitizeLogText(std::string("n\0ul\x07l\tt", 9)), "null\tt");
  EXPECT_EQ(SanitizeLogText("\x1b]0;title\x07ok"), "ok");
  EXPECT_EQ(SanitizeLogText("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(SanitizeLogText("bad\xff\xc3"), "bad\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(SanitizeLogText("\xed\xa0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
}

// ---- derivation -----------------------------------------------------------------------------

TEST(DeriveReport, IndependentTargetsSucceedWhileADependencyChainIsBlocked) {
  // a fails; b needs a; c needs b; x and y are independent.
  Plan plan = MakePlanOf({MakeTarget("a"), MakeTarget("b", {"a"}), MakeTarget("c", {"b"}),
                          MakeTarget("x"), MakeTarget("y")});
  ReportInputs in;
  in.evidence["a"] = WithFailure(Failure());
  in.evidence["x"] = WithResult(Success());
  in.evidence["y"] = WithResult(Success());
  Report r = DeriveReport(plan, in);

  EXPECT_EQ(Row(r, "a").status, TargetStatus::kFailed);
  EXPECT_EQ(Row(r, "a").log, "targets/a/log.txt");
  EXPECT_EQ(Row(r, "a").log_tail, "boom");
  EXPECT_EQ(Row(r, "b").status, TargetStatus::kBlocked);
  EXPECT_EQ(Row(r, "b").message, "dependency 'a' failed");
  EXPECT_EQ(Row(r, "c").status, TargetStatus::kBlocked);
  EXPECT_EQ(Row(r, "c").message, "dependency 'a' failed (via 'b')");
  EXPECT_TRUE(Row(r, "c").log.empty()) << "a blocked target never ran, so it has no log";
  EXPECT_EQ(Row(r, "x").status, TargetStatus::kSucceeded);
  ASSERT_EQ(Row(r, "x").artifacts.size(), 1u);
  EXPECT_EQ(Row(r, "x").artifacts[0].size, 2048u);
  EXPECT_EQ(r.SummaryLine(), "5 targets: 2 succeeded, 1 failed, 2 blocked");
  EXPECT_EQ(r.ExitCode(), kExitTargetFailed);
  EXPECT_FALSE(r.interrupted);
}

TEST(DeriveReport, BlockedNamesHowTheRootDependencyEnded) {
  Plan plan = MakePlanOf({MakeTarget("slow"), MakeTarget("after", {"slow"}),
                          MakeTarget("dep2", {"ok", "slow"}), MakeTarget("ok")});
  ReportInputs in;
  in.evidence["slow"] = WithFailure(Failure("timed_out"));
  in.evidence["ok"] = WithResult(Success());
  Report r = DeriveReport(plan, in);
  EXPECT_EQ(Row(r, "slow").status, TargetStatus::kTimedOut);
  EXPECT_EQ(Row(r, "after").message, "dependency 'slow' timed out");
  EXPECT_EQ(Row(r, "dep2").status, TargetStatus::kBlocked);
  EXPECT_EQ(Row(r, "dep2").message, "dependency 'slow' timed out");
  EXPECT_EQ(r.SummaryLine(), "4 targets: 1 succeeded, 1 timed out, 2 blocked");
}

TEST(DeriveReport, InterruptedBuildMarksUnstartedTargetsInterruptedAndDependentsBlocked) {
  Plan plan = MakePlanOf({MakeTarget("done"), MakeTarget("running"), MakeTarget("waiting"),
                          MakeTarget("downstream", {"running"})});
  ReportInputs in;
  in.evidence["done"] = WithResult(Success());
  in.evidence["running"] = WithFailure(Failure("interrupted", "partial output"));
  Report r = DeriveReport(plan, in);
  EXPECT_TRUE(r.interrupted) << "an interrupted record alone says the build was interrupted";
  EXPECT_EQ(Row(r, "running").status, TargetStatus::kInterrupted);
  EXPECT_EQ(Row(r, "running").log_tail, "partial output");
  EXPECT_EQ(Row(r, "waiting").status, TargetStatus::kInterrupted);
  EXPECT_EQ(Row(r, "waiting").message, "not started: the build was interrupted");
  EXPECT_EQ(Row(r, "downstream").status, TargetStatus::kBlocked);
  EXPECT_EQ(Row(r, "downstream").message, "dependency 'running' was interrupted");
  EXPECT_EQ(r.ExitCode(), kExitInterrupted);
}

TEST(DeriveReport, InterruptedBuildRecordWithoutAnyRecordOfIt) {
  Plan plan = MakePlanOf({MakeTarget("a")});
  ReportInputs in;
  in.build = BuildRecord{};
  in.build->interrupted = true;
  Report r = DeriveReport(plan, in);
  EXPECT_EQ(Row(r, "a").status, TargetStatus::kInterrupted);
  EXPECT_EQ(r.ExitCode(), kExitInterrupted);
}

TEST(DeriveReport, FailFastStopsAreBlockedWithTheReason) {
  Plan plan = MakePlanOf({MakeTarget("a"), MakeTarget("b"), MakeTarget("c", {"b"})});
  ReportInputs in;
  in.build = BuildRecord{};
  in.build->fail_fast = true;
  in.build->keep_going = 1;
  in.build->ninja_exit_code = 1;
  in.evidence["a"] = WithFailure(Failure());
  Report r = DeriveReport(plan, in);
  EXPECT_EQ(Row(r, "b").status, TargetStatus::kBlocked);
  EXPECT_EQ(Row(r, "b").message,
            "not started: the build stopped after the first failure (--fail-fast)");
  EXPECT_EQ(Row(r, "c").message, "dependency 'b' was not started");

  in.build->fail_fast = false;
  in.build->keep_going = 2;
  EXPECT_EQ(Row(DeriveReport(plan, in), "b").message,
            "not started: the build stopped after 2 failures (-k 2)");
}

TEST(DeriveReport, RetriesThatPassAreFlaky) {
  Plan plan = MakePlanOf({MakeTarget("a"), MakeTarget("b"), MakeTarget("c")});
  ReportInputs in;
  in.evidence["a"] = WithResult(Success(2));               // exec says "flaky"
  in.evidence["b"] = WithResult(Success(3, "succeeded"));  // attempts alone tell too
  in.evidence["c"] = WithResult(Success(1));
  Report r = DeriveReport(plan, in);
  EXPECT_EQ(Row(r, "a").status, TargetStatus::kFlaky);
  EXPECT_EQ(Row(r, "a").message, "succeeded on attempt 2");
  EXPECT_EQ(Row(r, "b").status, TargetStatus::kFlaky);
  EXPECT_EQ(Row(r, "c").status, TargetStatus::kSucceeded);
  EXPECT_EQ(r.ExitCode(), kExitSuccess) << "flaky is a success";
  EXPECT_EQ(r.SummaryLine(), "3 targets: 1 succeeded, 2 flaky");
}

TEST(DeriveReport, UnaffectedAndUnrequestedTargetsAreSkipped) {
  Plan plan = MakePlanOf({MakeTarget("base"), MakeTarget("app", {"base"}), MakeTarget("other")});
  plan.skipped = {"docs"};
  ReportInputs in;
  in.build = BuildRecord{};
  in.build->requested = {"app"};
  in.build->ninja_exit_code = 0;
  in.evidence["base"] = WithResult(Success());
  in.evidence["app"] = WithResult(Success());
  Report r = DeriveReport(plan, in);
  EXPECT_EQ(Row(r, "docs").status, TargetStatus::kSkipped);
  EXPECT_EQ(Row(r, "docs").message, "unaffected by the change");
  EXPECT_EQ(Row(r, "other").status, TargetStatus::kSkipped);
  EXPECT_EQ(Row(r, "other").message, "not requested");
  EXPECT_EQ(r.ExitCode(), kExitSuccess);
  ASSERT_EQ(r.targets.size(), 4u);
  EXPECT_EQ(r.targets[0].name, "app") << "rows are sorted by name";
}

TEST(DeriveReport, RecordsFromAnEarlierBuildDoNotDescribeThisOne) {
  Plan plan = MakePlanOf({MakeTarget("old_fail"), MakeTarget("old_ok"), MakeTarget("stale"),
                          MakeTarget("on_failed_dep", {"now_fails"}), MakeTarget("now_fails")});
  ReportInputs in;
  in.build = BuildRecord{};
  in.build->fail_fast = true;
  in.build->ninja_exit_code = 1;
  TargetEvidence old_fail = WithFailure(Failure());
  old_fail.from_earlier_build = true;  // it did not run this time
  in.evidence["old_fail"] = old_fail;
  TargetEvidence old_ok = WithResult(Success());
  old_ok.from_earlier_build = true;  // up to date: Ninja did not need to rerun it
  in.evidence["old_ok"] = old_ok;
  TargetEvidence stale = WithResult(Success());
  stale.from_earlier_build = true;
  stale.result_out_of_date = true;  // its inputs changed; the build stopped before it
  in.evidence["stale"] = stale;
  TargetEvidence on_failed = WithResult(Success());
  on_failed.from_earlier_build = true;
  in.evidence["on_failed_dep"] = on_failed;
  in.evidence["now_fails"] = WithFailure(Failure());
  Report r = DeriveReport(plan, in);

  EXPECT_EQ(Row(r, "old_fail").status, TargetStatus::kBlocked);
  EXPECT_EQ(Row(r, "old_ok").status, TargetStatus::kSucceeded);
  EXPECT_TRUE(Row(r, "old_ok").up_to_date);
  EXPECT_EQ(Row(r, "old_ok").message, "up to date");
  EXPECT_EQ(Row(r, "stale").status, TargetStatus::kBlocked);
  EXPECT_EQ(Row(r, "on_failed_dep").status, TargetStatus::kBlocked)
      << "a success built on a dependency that now fails is stale";
  EXPECT_EQ(Row(r, "on_failed_dep").message, "dependency 'now_fails' failed");
}

TEST(DeriveReport, PostSubmitStatus) {
  Plan plan = MakePlanOf({MakeTarget("a")});
  ReportInputs ok;
  ok.evidence["a"] = WithResult(Success());
  EXPECT_FALSE(DeriveReport(plan, ok).post_submit.has_value()) << "no command, no row";

  plan.post_submit.command = "push";
  Report not_run = DeriveReport(plan, ok);
  ASSERT_TRUE(not_run.post_submit);
  EXPECT_EQ(not_run.post_submit->status, TargetStatus::kSkipped);
  EXPECT_EQ(not_run.post_submit->name, kPostSubmitName);
  EXPECT_EQ(not_run.ExitCode(), kExitSuccess);

  ReportInputs ran = ok;
  ran.post_submit = json{{"status", "failed"},       {"exit_code", 4},
                         {"duration_seconds", 0.5},  {"message", "exited with status 4"},
                         {"log", "post_submit.log"}, {"log_tail", "denied"}};
  Report failed = DeriveReport(plan, ran);
  EXPECT_EQ(failed.post_submit->status, TargetStatus::kFailed);
  EXPECT_EQ(failed.post_submit->log_tail, "denied");
  EXPECT_EQ(failed.ExitCode(), kExitTargetFailed) << "a failed post-submit fails the build";
  EXPECT_EQ(failed.SummaryLine(), "1 target: 1 succeeded; post-submit failed");

  ReportInputs broken;
  broken.evidence["a"] = WithFailure(Failure());
  Report blocked = DeriveReport(plan, broken);
  EXPECT_EQ(blocked.post_submit->status, TargetStatus::kBlocked);
  EXPECT_EQ(blocked.post_submit->message, "not run: 1 target did not succeed");
}

// ---- writers --------------------------------------------------------------------------------

Report SampleReport(const std::string& tail) {
  Plan plan = MakePlanOf({MakeTarget("api"), MakeTarget("web", {"api"}), MakeTarget("cli"),
                          MakeTarget("slow"), MakeTarget("gone"), MakeTarget("flaky")});
  plan.skipped = {"docs"};
  plan.post_submit.command = "push";
  ReportInputs in;
  in.build = BuildRecord{};
  in.build->started_at = 1700000000;
  in.build->finished_at = 1700000012.5;
  in.build->ninja_exit_code = 1;
  in.evidence["api"] = WithFailure(Failure("failed", tail));
  in.evidence["cli"] = WithResult(Success());
  in.evidence["slow"] = WithFailure(Failure("timed_out", "still waiting"));
  in.evidence["gone"] = WithFailure(Failure("interrupted", "^C"));
  in.evidence["flaky"] = WithResult(Success(2));
  return DeriveReport(plan, in);
}

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

TEST(Markdown, TableAndOneSectionPerRunThatFailed) {
  Report report = SampleReport("has ``` fences\nand | pipes");
  std::string md = ReportToMarkdown(report);
  EXPECT_EQ(md.rfind("## fanout: 7 targets: 1 succeeded, 1 flaky, 1 failed, 1 timed out, "
                     "1 interrupted, 1 blocked, 1 skipped; post-submit interrupted (12.5s)\n",
                     0),
            0u)
      << md;
  EXPECT_NE(md.find("| api | ❌ failed | 1.2s |  | exited with status 3 |"), std::string::npos)
      << md;
  EXPECT_NE(md.find("| cli | ✅ succeeded | 2.5s | `x.tar` (2.0 KiB) |  |"), std::string::npos)
      << md;
  EXPECT_NE(md.find("| web | ⛔ blocked |  |  | dependency 'api' failed |"), std::string::npos);
  EXPECT_NE(md.find("### ❌ `api` failed"), std::string::npos);
  EXPECT_NE(md.find("### ⏱️ `slow` timed_out"), std::string::npos);
  EXPECT_NE(md.find("### ⏹️ `gone` interrupted"), std::string::npos);
  EXPECT_EQ(md.find("### ⛔"), std::string::npos) << "blocked targets never ran: no section";
  // The fence outgrows the backticks in the log.
  EXPECT_NE(md.find("````text\nhas ``` fences\nand | pipes\n````\n"), std::string::npos) << md;
  EXPECT_EQ(MarkdownCell("a|b\\c\nd"), "a\\|b\\\\c d");
}

TEST(Table, AlignedPlainWithoutColourAndListsLogs) {
  Report report = SampleReport("boom");
  std::string text = FormatReportTable(report, TableOptions{false, "out"});
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  const size_t status_col = line.find("status");
  ASSERT_NE(status_col, std::string::npos);
  int rows = 0;
  while (std::getline(in, line) && !line.empty()) {
    ++rows;
    std::string name = line.substr(0, line.find(' '));
    const TargetReport* t = name == kPostSubmitName ? &*report.post_submit : &Row(report, name);
    EXPECT_EQ(line.substr(status_col, StatusName(t->status).size()), StatusName(t->status)) << line;
  }
  EXPECT_EQ(rows, 8);
  EXPECT_NE(text.find("api failed: log: out/targets/api/log.txt\n"), std::string::npos) << text;
  EXPECT_NE(text.find("slow timed_out: log: out/targets/slow/log.txt\n"), std::string::npos);
  EXPECT_EQ(text.find("web blocked: log"), std::string::npos);
  const std::string last =
      "7 targets: 1 succeeded, 1 flaky, 1 failed, 1 timed out, "
      "1 interrupted, 1 blocked, 1 skipped; post-submit interrupted (12.5s)\n";
  EXPECT_EQ(text.substr(text.size() - last.size()), last) << "the summary line ends the output";

  std::string colored = FormatReportTable(report, TableOptions{true, "out"});
  EXPECT_NE(colored.find("\x1b["), std::string::npos);
}

// ---- reading a build directory --------------------------------------------------------------

void SetMTime(const std::string& path, double unix_seconds) {
  struct timeval tv[2];
  for (auto& v : tv) {
    v.tv_sec = static_cast<time_t>(unix_seconds);
    v.tv_usec = static_cast<suseconds_t>((unix_seconds - static_cast<double>(v.tv_sec)) * 1e6);
  }
  ASSERT_EQ(utimes(path.c_str(), tv), 0) << path;
}

class ReportDir : public ::testing::Test {
 protected:
  void SetUp() override {
    plan_ = MakePlanOf({MakeTarget("a"), MakeTarget("b"), MakeTarget("c", {"b"})});
    plan_.build_dir = dir_.path();
    ASSERT_TRUE(WriteFileAtomically(dir_ / layout::kPlan, PlanToJson(plan_)).ok());
  }
  void Put(const std::string& rel, const json& j, double mtime) {
    tu::WriteFile(dir_ / rel, j.dump());
    SetMTime(dir_ / rel, mtime);
  }
  tu::TempDir dir_;
  Plan plan_;
};

TEST_F(ReportDir, ReadsRecordsStampsAndTheBuildRecord) {
  const double now = static_cast<double>(time(nullptr));
  json ok = Success();
  Put(layout::ResultPath("a"), ok, now - 100);  // from an earlier build, still up to date
  tu::WriteFile(dir_ / layout::StampPath("a"), "abc\n");
  Put(layout::ResultPath("b"), ok, now - 100);  // earlier, and its inputs changed since
  tu::WriteFile(dir_ / layout::StampPath("b"), "def\n");
  Put(layout::FailurePath("c"), Failure("failed", ""), now - 1);  // this build; no tail
  tu::WriteFile(dir_ / layout::LogPath("c"), "one\ntwo\nthree\n");
  BuildRecord record;
  record.started_at = now - 10;
  record.finished_at = now;
  record.fail_fast = true;
  ASSERT_TRUE(WriteBuildRecord(dir_.path(), record).ok());

  auto in = ReadReportInputs(dir_.path(), plan_);
  ASSERT_TRUE(in.ok());
  ASSERT_TRUE(in->build.has_value());
  EXPECT_TRUE(in->build->fail_fast);
  EXPECT_TRUE(in->evidence["a"].from_earlier_build);
  EXPECT_FALSE(in->evidence["a"].result_out_of_date);
  EXPECT_TRUE(in->evidence["b"].result_out_of_date);
  EXPECT_FALSE(in->evidence["c"].from_earlier_build);
  EXPECT_EQ(in->evidence["c"].log_tail, "one\ntwo\nthree");

  auto report = LoadReport(dir_.path());
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(Row(*report, "a").status, TargetStatus::kSucceeded);
  EXPECT_EQ(Row(*report, "b").status, TargetStatus::kBlocked);
  EXPECT_EQ(Row(*report, "c").status, TargetStatus::kFailed);
  EXPECT_EQ(Row(*report, "c").log_tail, "one\ntwo\nthree");

  // A plain `ninja` run after the build makes the record stale: it is left out.
  tu::WriteFile(dir_ / ".ninja_log", "# ninja log v5\n");
  SetMTime(dir_ / ".ninja_log", now + 5);
  auto later = ReadReportInputs(dir_.path(), plan_);
  ASSERT_TRUE(later.ok());
  EXPECT_FALSE(later->build.has_value());
}

TEST_F(ReportDir, TargetThatStartedButLeftNoRecordIsNotCalledUnstarted) {
  const double now = static_cast<double>(time(nullptr));
  tu::WriteFile(dir_ / layout::LogPath("a"), "working\n");  // written during this build
  BuildRecord record;
  record.started_at = now - 10;
  record.finished_at = now + 1;
  record.interrupted = true;
  record.ninja_exit_code = 130;
  ASSERT_TRUE(WriteBuildRecord(dir_.path(), record).ok());
  auto report = LoadReport(dir_.path());
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(Row(*report, "a").status, TargetStatus::kInterrupted);
  EXPECT_EQ(Row(*report, "a").message,
            "interrupted as it finished (its unfinished result was discarded)");
  EXPECT_EQ(Row(*report, "a").log, "targets/a/log.txt");
  EXPECT_EQ(Row(*report, "a").log_tail, "working");
  EXPECT_EQ(Row(*report, "b").message, "not started: the build was interrupted");

  record.interrupted = false;
  record.ninja_exit_code = 1;
  ASSERT_TRUE(WriteBuildRecord(dir_.path(), record).ok());
  report = LoadReport(dir_.path());
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(Row(*report, "a").status, TargetStatus::kFailed) << "its end went unrecorded";
}

TEST_F(ReportDir, WritesSummaryJunitAndAppendsTheGithubStepSummary) {
  Put(layout::ResultPath("a"), Success(), 1000);
  Put(layout::FailurePath("b"), Failure("failed", "kaput"), 1000);
  auto report = LoadReport(dir_.path());
  ASSERT_TRUE(report.ok());
  tu::WriteFile(dir_ / "step.md", "earlier step\n");
  setenv("GITHUB_STEP_SUMMARY", (dir_ / "step.md").c_str(), 1);
  Status st = WriteReportFiles(dir_.path(), *report);
  unsetenv("GITHUB_STEP_SUMMARY");
  ASSERT_TRUE(st.ok()) << st.error().message;
  const std::string md = tu::ReadFile(dir_ / layout::kSummary);
  EXPECT_NE(md.find("kaput"), std::string::npos);
  EXPECT_EQ(tu::ReadFile(dir_ / "step.md"), "earlier step\n" + md + "\n");
  json root = ParseXml(dir_ / layout::kJunit);
  EXPECT_EQ(Children(root, "testsuite")[0]["attrib"]["failures"], "1");
  EXPECT_FALSE(tu::Exists(dir_ / (std::string(layout::kSummary) + ".tmp")));
}

TEST_F(ReportDir, ManifestListsFailedAndBlockedTargets) {
  Put(layout::FailurePath("b"), Failure(), 1000);
  // a succeeded with one artifact whose digest matches.
  tu::WriteFile(dir_ / (layout::OutDir("a") + "/x.tar"), "tar");
  json ok = Success();
  ok["artifacts"] = json::array({{{"path", "x.tar"}, {"size", 3}, {"sha256", Sha256Hex("tar")}}});
  Put(layout::ResultPath("a"), ok, 1000);
  auto manifest = GatherManifest(dir_.path(), plan_);
  ASSERT_TRUE(manifest.ok()) << manifest.error().message;
  EXPECT_EQ((*manifest)["status"], "failed");
  std::map<std::string, json> by;
  for (const json& e : (*manifest)["targets"]) by[e["name"]] = e;
  EXPECT_EQ(by["a"]["status"], "succeeded");
  EXPECT_EQ(by["a"]["artifacts"][0]["gathered"], "artifacts/a/x.tar");
  EXPECT_EQ(tu::ReadFile(dir_ / "artifacts/a/x.tar"), "tar");
  EXPECT_EQ(by["b"]["status"], "failed");
  EXPECT_EQ(by["b"]["message"], "exited with status 3");
  EXPECT_EQ(by["b"]["log"], "targets/b/log.txt");
  EXPECT_EQ(by["c"]["status"], "blocked");
  EXPECT_EQ(by["c"]["message"], "dependency 'b' failed");
  EXPECT_FALSE(by["c"].contains("log"));
}

// ---- the post-submit step -------------------------------------------------------------------

class PostSubmit : public ::testing::Test {
 protected:
  void Prepare(const std::string& command, bool always, const std::string& manifest_status) {
    Plan plan = MakePlanOf({MakeTarget("a")});
    plan.build_dir = build_.path();
    plan.repo_root = repo_.path();
    plan.post_submit.command = command;
    plan.post_submit.always = always;
    ASSERT_TRUE(WriteFileAtomically(build_ / layout::kPlan, PlanToJson(plan)).ok());
    tu::WriteFile(build_ / layout::kManifest, json{{"status", manifest_status}}.dump());
  }
  tu::TempDir build_, repo_;
};

TEST_F(PostSubmit, RunsInTheRepoWithArtifactsAndManifestAndRecordsSuccess) {
  Prepare(
      "pwd > where; echo \"$FANOUT_ARTIFACTS\" >> where; cat \"$FANOUT_MANIFEST\" >> where; "
      "echo shown",
      false, "succeeded");
  auto rc = RunPostSubmit(build_.path());
  ASSERT_TRUE(rc.ok()) << rc.error().message;
  EXPECT_EQ(*rc, kExitSuccess);
  EXPECT_EQ(tu::ReadFile(repo_ / "where"),
            repo_.path() + "\n" + build_.path() + "/artifacts\n{\"status\":\"succeeded\"}");
  EXPECT_EQ(tu::ReadFile(build_ / kPostSubmitLogPath), "shown\n");
  EXPECT_TRUE(tu::Exists(build_ / layout::kPostSubmitStamp));
  json record = json::parse(tu::ReadFile(build_ / kPostSubmitRecordPath));
  EXPECT_EQ(record["status"], "succeeded");
  EXPECT_EQ(record["manifest_sha256"], Sha256Hex(tu::ReadFile(build_ / layout::kManifest)));
  auto report = LoadReport(build_.path());
  ASSERT_TRUE(report.ok());
  ASSERT_TRUE(report->post_submit);
  EXPECT_EQ(report->post_submit->status, TargetStatus::kSucceeded)
      << "the record of the step that ran with this manifest is what the report shows";
}

TEST_F(PostSubmit, FailureIsRecordedWithItsLogTailAndNoStamp) {
  Prepare("echo denied >&2; exit 4", false, "succeeded");
  auto rc = RunPostSubmit(build_.path());
  ASSERT_TRUE(rc.ok());
  EXPECT_EQ(*rc, kExitTargetFailed);
  EXPECT_FALSE(tu::Exists(build_ / layout::kPostSubmitStamp));
  json record = json::parse(tu::ReadFile(build_ / kPostSubmitRecordPath));
  EXPECT_EQ(record["status"], "failed");
  EXPECT_EQ(record["exit_code"], 4);
  EXPECT_EQ(record["message"], "exited with status 4");
  EXPECT_EQ(record["log_tail"], "denied");
}

TEST_F(PostSubmit, RefusesAFailedManifestUnlessAlways) {
  Prepare("touch ran", false, "failed");
  auto rc = RunPostSubmit(build_.path());
  ASSERT_FALSE(rc.ok());
  EXPECT_NE(rc.error().message.find("when: always"), std::string::npos);
  EXPECT_FALSE(tu::Exists(repo_ / "ran"));

  Prepare("touch ran", true, "failed");
  auto always = RunPostSubmit(build_.path());
  ASSERT_TRUE(always.ok());
  EXPECT_EQ(*always, kExitSuccess);
  EXPECT_TRUE(tu::Exists(repo_ / "ran"));
}

TEST_F(PostSubmit, NoCommandJustTouchesTheStamp) {
  Prepare("", false, "succeeded");
  auto rc = RunPostSubmit(build_.path());
  ASSERT_TRUE(rc.ok());
  EXPECT_EQ(*rc, kExitSuccess);
  EXPECT_TRUE(tu::Exists(build_ / layout::kPostSubmitStamp));
  EXPECT_FALSE(tu::Exists(build_ / kPostSubmitRecordPath));
}

// ---- following logs (fanout build -v) -------------------------------------------------------

TEST(LogFollower, StreamsNewLinesPrefixedAndSkipsLogsOfEarlierBuilds) {
  tu::TempDir dir;
  const double now = static_cast<double>(time(nullptr));
  tu::WriteFile(dir / layout::LogPath("old"), "from an earlier build\n");
  SetMTime(dir / layout::LogPath("old"), now - 100);
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* out = open_memstream(&buf, &len);
  ASSERT_NE(out, nullptr);
  {
    LogFollower f(dir.path(), {"api", "old", "webapp"}, now - 1, out);
    f.Poll();
    tu::WriteFile(dir / layout::LogPath("api"), "one\ntw");
    f.Poll();
    tu::WriteFile(dir / layout::LogPath("api"), "one\ntwo\n");
    tu::WriteFile(dir / layout::LogPath("webapp"), "\x1b[32mgreen\x1b[0m\n");
    f.Poll();
    tu::WriteFile(dir / layout::LogPath("api"), "again\n");  // truncated: a new run
    tu::WriteFile(dir / layout::LogPath("webapp"), "\x1b[32mgreen\x1b[0m\nunterminated");
    f.Poll();
    f.Flush();
  }
  std::fclose(out);
  std::string text(buf, len);
  std::free(buf);
  EXPECT_EQ(text,
            "api    | one\n"
            "api    | two\n"
            "webapp | green\n"
            "api    | again\n"
            "webapp | unterminated\n");
}

TEST(LogFollower, ThreadStartsAndStops) {
  tu::TempDir dir;
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* out = open_memstream(&buf, &len);
  {
    LogFollower f(dir.path(), {"a"}, static_cast<double>(time(nullptr)) - 1, out);
    f.Start(10);
    tu::WriteFile(dir / layout::LogPath("a"), "hello\nbye");
    f.Stop();
    f.Stop();  // idempotent
  }
  std::fclose(out);
  EXPECT_EQ(std::string(buf, len), "a | hello\na | bye\n");
  std::free(buf);
}

}  // namespace
}  // namespace fanout
