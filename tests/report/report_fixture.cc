#include "report_fixture.h"

#include <sys/time.h>

#include <algorithm>

#include "base/build_layout.h"
#include "base/file_util.h"

namespace fanout::report_test {

using nlohmann::json;
namespace tu = ::fanout::testing;

PlanTarget MakeTarget(const std::string& name, std::vector<std::string> deps) {
  PlanTarget pt;
  pt.def.name = name;
  pt.def.command = "true";
  pt.def.inputs = {"src/**"};
  pt.def.deps = std::move(deps);
  return pt;
}

Plan MakePlanOf(std::vector<PlanTarget> targets) {
  Plan plan;
  std::sort(targets.begin(), targets.end(),
            [](const PlanTarget& a, const PlanTarget& b) { return a.def.name < b.def.name; });
  plan.targets = std::move(targets);
  return plan;
}

records::SuccessRecord Success(int attempts, std::optional<TargetStatus> status) {
  records::SuccessRecord r;
  r.target = "x";
  r.status = status ? *status : attempts > 1 ? TargetStatus::kFlaky : TargetStatus::kSucceeded;
  r.exit_code = 0;
  r.attempts = attempts;
  r.started_at = 1000.0;
  r.finished_at = 1002.5;
  r.duration_seconds = 2.5;
  r.source = {std::nullopt, "7ree"};
  r.input_digest = "abc";
  r.sandbox.tier = "namespaces";
  r.artifacts = {{"x.tar", 2048, "00"}};
  r.log = "targets/x/log.txt";
  return r;
}

records::FailureRecord Failure(TargetStatus status, const std::string& tail) {
  records::FailureRecord f;
  f.target = "x";
  f.status = status;
  f.exit_code = 3;
  f.attempts = 1;
  f.duration_seconds = 1.25;
  f.message = "exited with status 3";
  f.log_tail = tail;
  return f;
}

TargetEvidence WithResult(records::SuccessRecord r) {
  TargetEvidence e;
  e.result = std::move(r);
  return e;
}
TargetEvidence WithFailure(records::FailureRecord f) {
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
  in.evidence["api"] = WithFailure(Failure(TargetStatus::kFailed, tail));
  in.evidence["cli"] = WithResult(Success());
  in.evidence["slow"] = WithFailure(Failure(TargetStatus::kTimedOut, "still waiting"));
  in.evidence["gone"] = WithFailure(Failure(TargetStatus::kInterrupted, "^C"));
  in.evidence["flaky"] = WithResult(Success(2));
  return DeriveReport(plan, in);
}

void SetMTime(const std::string& path, double unix_seconds) {
  struct timeval tv[2];
  for (auto& v : tv) {
    v.tv_sec = static_cast<time_t>(unix_seconds);
    v.tv_usec = static_cast<suseconds_t>((unix_seconds - static_cast<double>(v.tv_sec)) * 1e6);
  }
  ASSERT_EQ(utimes(path.c_str(), tv), 0) << path;
}

void ReportDir::SetUp() {
  plan_ = MakePlanOf({MakeTarget("a"), MakeTarget("b"), MakeTarget("c", {"b"})});
  plan_.build_dir = dir_.path();
  ASSERT_TRUE(WriteFileAtomically(dir_ / layout::kPlan, PlanToJson(plan_)).ok());
}

void ReportDir::Put(const std::string& rel, const records::SuccessRecord& r, double mtime) {
  PutText(rel, records::SuccessText(r), mtime);
}

void ReportDir::Put(const std::string& rel, const records::FailureRecord& f, double mtime) {
  PutText(rel, records::FailureText(f), mtime);
}

void ReportDir::PutText(const std::string& rel, const std::string& text, double mtime) {
  tu::WriteFile(dir_ / rel, text);
  SetMTime(dir_ / rel, mtime);
}

}  // namespace fanout::report_test
