// End-to-end: failures, --fail-fast, retries, the post-submit step, Ctrl-C and the reports a CI
// shows, with a real git repository, the real fanout binary and the real ninja.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace fanout::testing {
namespace {

using nlohmann::json;

/// Parses XML with Python's xml.etree (a real XML parser) into
/// {"tag", "attrib", "text", "children"} JSON; fails the test when it is not well-formed.
json ParseXml(const std::string& path) {
  static const char* kScript =
      "import sys, json, xml.etree.ElementTree as ET\n"
      "def conv(e):\n"
      "  return {'tag': e.tag, 'attrib': dict(e.attrib), 'text': e.text or '',\n"
      "          'children': [conv(c) for c in e]}\n"
      "print(json.dumps(conv(ET.parse(sys.argv[1]).getroot())))\n";
  RunResult r = ::fanout::testing::Run({"python3", "-c", kScript, path});
  EXPECT_EQ(r.exit_code, 0) << "not well-formed XML: " << r.err;
  if (r.exit_code != 0) return json::object();
  return json::parse(r.out);
}

/// The testcases of junit.xml's one testsuite, by name.
std::map<std::string, json> JunitCases(const json& root, json* suite_out = nullptr) {
  std::map<std::string, json> cases;
  for (const json& suite : root.value("children", json::array())) {
    if (suite["tag"] != "testsuite") continue;
    if (suite_out) *suite_out = suite;
    for (const json& c : suite["children"]) {
      if (c["tag"] == "testcase") cases[c["attrib"]["name"]] = c;
    }
  }
  return cases;
}

/// The first child of `node` with `tag`, or null.
json Child(const json& node, const std::string& tag) {
  for (const json& c : node.value("children", json::array())) {
    if (c["tag"] == tag) return c;
  }
  return nullptr;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class FailureE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.Write("src/main.txt", "source\n");
    repo_.Write(".gitignore", "fanout-out/\n");
  }

  /// Writes fanout.yaml: `targets` is the indented text under `targets:`.
  void Describe(const std::string& targets, const std::string& extra = "") {
    repo_.Write("fanout.yaml", "version: 1\n" + extra + "targets:\n" + targets);
  }

  RunResult Fanout(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv = {FanoutBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return ::fanout::testing::Run(argv, repo_.path(), env);
  }

  std::string Build(const std::string& rel) { return repo_ / ("fanout-out/" + rel); }
  json ReadJson(const std::string& rel) {
    std::string text = ReadFile(Build(rel));
    json j = json::parse(text, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << rel << ": " << text;
    return j;
  }
  /// manifest.json's targets, by name.
  std::map<std::string, json> ManifestTargets() {
    std::map<std::string, json> out;
    for (const json& t : ReadJson("manifest.json").value("targets", json::array())) {
      out[t["name"]] = t;
    }
    return out;
  }

  GitRepo repo_;
};

/// A target with an artifact: `<name>.txt` in $FANOUT_OUT.
std::string Producing(const std::string& name, const std::string& extra = "") {
  return "  " + name + ":\n    command: 'echo " + name + " > \"$FANOUT_OUT/" + name +
         ".txt\"'\n    inputs: [src/**]\n    artifacts: [" + name + ".txt]\n" + extra;
}

TEST_F(FailureE2E, KeepGoing_IndependentsSucceedDependentBlockedReportsNameTheFailure) {
  Describe(Producing("a1") + Producing("a2") + Producing("a3") +
           "  bad:\n    command: 'echo compiling bad; echo \"error: bad-marker-42\" >&2; exit 7'\n"
           "    inputs: [src/**]\n"
           "  needs_bad:\n    command: 'echo never'\n    inputs: [src/**]\n    deps: [bad]\n");
  repo_.Commit("initial");
  TempDir ci;
  RunResult r = Fanout({"build", "-j", "4"}, {"GITHUB_STEP_SUMMARY=" + (ci / "step.md")});
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;

  // The independent targets finished and are in the manifest with their artifacts.
  std::map<std::string, json> m = ManifestTargets();
  ASSERT_EQ(m.size(), 5u) << ReadFile(Build("manifest.json"));
  EXPECT_EQ(ReadJson("manifest.json")["status"], "failed");
  for (const char* t : {"a1", "a2", "a3"}) {
    EXPECT_EQ(m[t]["status"], "succeeded") << m[t].dump();
    ASSERT_EQ(m[t]["artifacts"].size(), 1u);
    EXPECT_EQ(ReadFile(Build(m[t]["artifacts"][0]["gathered"])), std::string(t) + "\n");
  }
  EXPECT_EQ(m["bad"]["status"], "failed");
  EXPECT_EQ(m["bad"]["exit_code"], 7);
  EXPECT_EQ(m["needs_bad"]["status"], "blocked");
  EXPECT_EQ(m["needs_bad"]["message"], "dependency 'bad' failed");
  EXPECT_FALSE(Exists(Build("targets/needs_bad/log.txt"))) << "a blocked target never starts";

  // The table, the log path and the one-line summary.
  EXPECT_TRUE(Contains(r.out, "bad failed: log: fanout-out/targets/bad/log.txt")) << r.out;
  EXPECT_TRUE(Contains(r.out, "5 targets: 3 succeeded, 1 failed, 1 blocked")) << r.out;

  // summary.md: the failure with its log tail.
  const std::string md = ReadFile(Build("summary.md"));
  EXPECT_TRUE(Contains(md, "| bad | ❌ failed |")) << md;
  EXPECT_TRUE(Contains(md, "| needs_bad | ⛔ blocked |")) << md;
  EXPECT_TRUE(Contains(md, "### ❌ `bad` failed")) << md;
  EXPECT_TRUE(Contains(md, "error: bad-marker-42")) << md;
  // It ends with a link to the timeline beside it, which the step summary leaves out.
  const std::string link = "\nTimeline: [timeline.html](timeline.html)";
  ASSERT_TRUE(Contains(md, link)) << md;
  EXPECT_EQ(ReadFile(ci / "step.md"), md.substr(0, md.rfind(link)) + "\n")
      << "appended to $GITHUB_STEP_SUMMARY once";

  // junit.xml, read by an XML parser.
  json suite;
  std::map<std::string, json> cases = JunitCases(ParseXml(Build("junit.xml")), &suite);
  ASSERT_EQ(cases.size(), 5u);
  EXPECT_EQ(suite["attrib"]["tests"], "5");
  EXPECT_EQ(suite["attrib"]["failures"], "1");
  EXPECT_EQ(suite["attrib"]["errors"], "0");
  EXPECT_EQ(suite["attrib"]["skipped"], "1");
  json failure = Child(cases["bad"], "failure");
  ASSERT_FALSE(failure.is_null()) << cases["bad"].dump();
  EXPECT_EQ(failure["attrib"]["message"], "exited with status 7");
  EXPECT_TRUE(Contains(failure["text"], "error: bad-marker-42")) << failure.dump();
  EXPECT_TRUE(Contains(Child(cases["needs_bad"], "skipped")["attrib"]["message"], "blocked"));
  for (const char* t : {"a1", "a2", "a3"}) EXPECT_TRUE(cases[t]["children"].empty()) << t;

  // `fanout report` reads the same build again.
  RunResult again = Fanout({"report", "-B", "fanout-out"});
  EXPECT_EQ(again.exit_code, 1) << again.out << again.err;
  EXPECT_TRUE(Contains(again.out, "5 targets: 3 succeeded, 1 failed, 1 blocked")) << again.out;
  EXPECT_EQ(ReadFile(Build("summary.md")), md);
}

/// A target that prints when it started; with `fail`, it prints when it ends and fails.
std::string Timed(const std::string& name, bool fail) {
  std::string cmd = "echo start $(date +%s.%N)";
  if (fail) cmd += "; sleep 0.3; echo end $(date +%s.%N); exit 1";
  return "  " + name + ":\n    command: '" + cmd + "'\n    inputs: [src/**]\n";
}

double LoggedTime(const std::string& log, const std::string& word) {
  std::istringstream in(log);
  std::string w;
  double t = 0;
  while (in >> w) {
    if (w == word && in >> t) return t;
  }
  return 0;
}

TEST_F(FailureE2E, FailFast_StartsNoTargetAfterTheFailure) {
  // One at a time, so "after the failure" is well defined; a_fail sorts (and runs) first.
  Describe(Timed("a_fail", true) + Timed("b", false) + Timed("c", false) + Timed("d", false));
  repo_.Commit("initial");
  RunResult r = Fanout({"build", "-j", "1", "--fail-fast"});
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  const double failed_at = LoggedTime(ReadFile(Build("targets/a_fail/log.txt")), "end");
  ASSERT_GT(failed_at, 0);
  std::map<std::string, json> m = ManifestTargets();
  EXPECT_EQ(m["a_fail"]["status"], "failed");
  int not_started = 0;
  for (const char* t : {"b", "c", "d"}) {
    const std::string log = Build(std::string("targets/") + t + "/log.txt");
    if (Exists(log)) {
      EXPECT_LT(LoggedTime(ReadFile(log), "start"), failed_at) << t << " started after the failure";
      EXPECT_EQ(m[t]["status"], "succeeded") << t;
    } else {
      ++not_started;
      EXPECT_EQ(m[t]["status"], "blocked") << t;
      EXPECT_EQ(m[t]["message"],
                "not started: the build stopped after the first failure (--fail-fast)");
    }
  }
  EXPECT_GE(not_started, 1) << "with -j 1 and the failure first, the others never start";

  // Without --fail-fast (keep going, the default) every independent target runs.
  RunResult keep = Fanout({"build", "-j", "1"});
  EXPECT_EQ(keep.exit_code, 1);
  m = ManifestTargets();
  for (const char* t : {"b", "c", "d"}) EXPECT_EQ(m[t]["status"], "succeeded") << t;
}

TEST_F(FailureE2E, Retries_TargetThatPassesOnTheSecondAttemptIsFlaky) {
  Describe(Producing("steady") +
           "  shaky:\n"
           "    command: 'test \"$FANOUT_ATTEMPT\" -gt 1 || { echo first attempt fails; exit 1; };"
           " echo ok > \"$FANOUT_OUT/ok.txt\"'\n"
           "    inputs: [src/**]\n    artifacts: [ok.txt]\n    retries: 1\n"
           "  hopeless:\n    command: 'echo nope; exit 2'\n    inputs: [src/**]\n"
           "    retries: 1\n");
  repo_.Commit("initial");
  RunResult r = Fanout({"build", "-j", "2"});
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  std::map<std::string, json> m = ManifestTargets();
  EXPECT_EQ(m["shaky"]["status"], "flaky");
  EXPECT_EQ(m["shaky"]["attempts"], 2);
  EXPECT_EQ(m["shaky"]["artifacts"].size(), 1u);
  EXPECT_EQ(m["hopeless"]["status"], "failed");
  EXPECT_EQ(m["hopeless"]["attempts"], 2) << "a retry that fails again is still a failure";
  EXPECT_EQ(m["steady"]["status"], "succeeded");
  EXPECT_TRUE(Contains(r.out, "3 targets: 1 succeeded, 1 flaky, 1 failed")) << r.out;
  std::map<std::string, json> cases = JunitCases(ParseXml(Build("junit.xml")));
  EXPECT_TRUE(Child(cases["shaky"], "failure").is_null()) << "flaky passes in JUnit";
  EXPECT_TRUE(Contains(Child(cases["shaky"], "system-out")["text"], "flaky"));
  EXPECT_FALSE(Child(cases["hopeless"], "failure").is_null());
  EXPECT_TRUE(Contains(ReadFile(Build("summary.md")), "| shaky | ⚠️ flaky |"));
}

class PostSubmitE2E : public FailureE2E {
 protected:
  /// One target, `app`, whose success is decided by check.sh (an input), and a post-submit
  /// step that copies what it is given to outside_.
  void DescribeWithPostSubmit(const std::string& when, const std::string& post_extra = "") {
    Describe(
        "  app:\n    command: 'sh check.sh && echo app > \"$FANOUT_OUT/app.txt\"'\n"
        "    inputs: [check.sh]\n    artifacts: [app.txt]\n" +
            Producing("lib"),
        "post_submit:\n  command: 'cp \"$FANOUT_MANIFEST\" " + (outside_ / "posted.json") +
            "; ls \"$FANOUT_ARTIFACTS\" > " + (outside_ / "artifacts.txt") +
            "; echo post-submit-ran" + post_extra + "'\n" + when);
  }
  void SetCheck(bool pass) {
    repo_.Write("check.sh", pass ? "echo checks pass\n" : "echo checks fail; exit 1\n");
  }
  TempDir outside_;
};

TEST_F(PostSubmitE2E, RunsOnlyWhenEveryTargetSucceeded) {
  DescribeWithPostSubmit("");
  SetCheck(false);
  repo_.Commit("initial");
  RunResult failed = Fanout({"build"});
  EXPECT_EQ(failed.exit_code, 1) << failed.out << failed.err;
  EXPECT_FALSE(Exists(outside_ / "posted.json")) << "post-submit ran after a failure";
  EXPECT_TRUE(Contains(failed.out, "2 targets: 1 succeeded, 1 failed; post-submit blocked"))
      << failed.out;

  SetCheck(true);  // the work tree is the source: no commit needed
  RunResult ok = Fanout({"build"});
  ASSERT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_TRUE(Contains(ok.out, "post-submit-ran")) << "its output streams to the console";
  EXPECT_TRUE(Contains(ok.out, "2 targets: 2 succeeded; post-submit succeeded")) << ok.out;
  json posted = json::parse(ReadFile(outside_ / "posted.json"));
  EXPECT_EQ(posted["status"], "succeeded");
  EXPECT_EQ(ReadFile(outside_ / "artifacts.txt"), "app\nlib\n");
  EXPECT_TRUE(Contains(ReadFile(Build("post_submit.log")), "post-submit-ran"));
  std::map<std::string, json> cases = JunitCases(ParseXml(Build("junit.xml")));
  ASSERT_TRUE(cases.count("(post-submit)"));
  EXPECT_TRUE(cases["(post-submit)"]["children"].empty());
}

TEST_F(PostSubmitE2E, WhenAlwaysRunsAfterAFailureWithTheFailureInTheManifest) {
  DescribeWithPostSubmit("  when: always\n");
  SetCheck(false);
  repo_.Commit("initial");
  RunResult r = Fanout({"build"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  ASSERT_TRUE(Exists(outside_ / "posted.json")) << r.out << r.err;
  json posted = json::parse(ReadFile(outside_ / "posted.json"));
  EXPECT_EQ(posted["status"], "failed");
  std::map<std::string, std::string> statuses;
  for (const json& t : posted["targets"]) statuses[t["name"]] = t["status"];
  EXPECT_EQ(statuses["app"], "failed");
  EXPECT_EQ(statuses["lib"], "succeeded");
  EXPECT_EQ(ReadFile(outside_ / "artifacts.txt"), "lib\n") << "only what succeeded is gathered";
  EXPECT_TRUE(Contains(r.out, "2 targets: 1 succeeded, 1 failed; post-submit succeeded")) << r.out;
}

TEST_F(PostSubmitE2E, ItsFailureIsReportedLikeATargetsAndFailsTheBuild) {
  DescribeWithPostSubmit("", "; echo push-denied-marker; exit 5");
  SetCheck(true);
  repo_.Commit("initial");
  RunResult r = Fanout({"build"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "2 targets: 2 succeeded; post-submit failed")) << r.out;
  EXPECT_TRUE(Contains(r.out, "(post-submit) failed: log: fanout-out/post_submit.log")) << r.out;
  std::map<std::string, json> cases = JunitCases(ParseXml(Build("junit.xml")));
  json failure = Child(cases["(post-submit)"], "failure");
  ASSERT_FALSE(failure.is_null());
  EXPECT_EQ(failure["attrib"]["message"], "exited with status 5");
  EXPECT_TRUE(Contains(failure["text"], "push-denied-marker"));
  EXPECT_TRUE(Contains(ReadFile(Build("summary.md")), "push-denied-marker"));
}

TEST_F(FailureE2E, Interrupt_Exit130ReportListsInterruptedNextBuildRerunsOnlyUnfinished) {
  const std::string slow =
      "    command: 'echo started; sleep 4; echo done > \"$FANOUT_OUT/s.txt\"'\n"
      "    inputs: [src/**]\n    pool: one\n    artifacts: [s.txt]\n";
  Describe(Producing("fast1") + Producing("fast2") + "  slow1:\n" + slow + "  slow2:\n" + slow +
               "  after:\n    command: 'echo after'\n    inputs: [src/**]\n    deps: [slow1]\n",
           "pools:\n  one: 1\n");
  repo_.Commit("initial");
  TempDir out;
  const std::string output = out / "build.out";
  int rc;
  double interrupted_at;
  std::string running;  // the slow target that was running when Ctrl-C came
  {
    // In its own process group, as a shell runs a foreground job: a SIGINT to the group is
    // what Ctrl-C sends.
    Background build({FanoutBinary(), "build", "-j", "4"}, repo_.path(), {}, output);
    bool ready = WaitFor([&] {
      // Finished as far as Ninja knows (it logs an edge once its command has exited; it
      // removes the outputs of the edges it interrupts).
      const std::string ninja_log = ReadFile(Build(".ninja_log"));
      if (!Contains(ninja_log, "\ttargets/fast1/result.json\t") ||
          !Contains(ninja_log, "\ttargets/fast2/result.json\t")) {
        return false;
      }
      for (const char* s : {"slow1", "slow2"}) {
        if (Contains(ReadFile(Build(std::string("targets/") + s + "/log.txt")), "started")) {
          running = s;
          return true;
        }
      }
      return false;
    });
    ASSERT_TRUE(ready) << ReadFile(output);
    interrupted_at = static_cast<double>(time(nullptr));
    kill(-build.pid(), SIGINT);
    rc = build.Wait();
  }
  const std::string text = ReadFile(output);
  ASSERT_EQ(rc, 130) << text;
  const std::string waiting = running == "slow1" ? "slow2" : "slow1";
  EXPECT_FALSE(Exists(Build("targets/" + running + "/result.json")));
  EXPECT_TRUE(Contains(text, "5 targets: 2 succeeded, 2 interrupted, 1 blocked")) << text;

  // The reports say what was interrupted; `fanout report` writes them again.
  RunResult report = Fanout({"report", "-B", "fanout-out"});
  EXPECT_EQ(report.exit_code, 1) << report.out << report.err;
  EXPECT_TRUE(Contains(report.out, "5 targets: 2 succeeded, 2 interrupted, 1 blocked"))
      << report.out;
  const std::string md = ReadFile(Build("summary.md"));
  EXPECT_TRUE(Contains(md, "| " + running + " | ⏹️ interrupted |")) << md;
  EXPECT_TRUE(Contains(md, "| " + waiting + " | ⏹️ interrupted |")) << md;
  EXPECT_TRUE(Contains(md, "| after | ⛔ blocked |")) << md;
  json suite;
  std::map<std::string, json> cases = JunitCases(ParseXml(Build("junit.xml")), &suite);
  EXPECT_EQ(suite["attrib"]["errors"], "2");
  EXPECT_FALSE(Child(cases[running], "error").is_null());

  // The next build reruns exactly the unfinished targets.
  std::map<std::string, double> fast_started;
  for (const char* f : {"fast1", "fast2"}) {
    fast_started[f] = ReadJson(std::string("targets/") + f + "/result.json")["started_at"];
  }
  RunResult again = Fanout({"build", "-j", "4"});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  for (const char* f : {"fast1", "fast2"}) {
    EXPECT_EQ(ReadJson(std::string("targets/") + f + "/result.json")["started_at"].get<double>(),
              fast_started[f])
        << f << " had finished and must not rerun";
  }
  for (const char* s : {"slow1", "slow2", "after"}) {
    json result = ReadJson(std::string("targets/") + s + "/result.json");
    EXPECT_GE(result.value("started_at", 0.0), interrupted_at) << s << " must run now";
  }
  EXPECT_TRUE(Contains(again.out, "5 targets: 5 succeeded")) << again.out;
}

TEST_F(FailureE2E, Verbose_StreamsLogsOfRunningTargetsPrefixedWithTheirNames) {
  Describe(
      "  talker:\n    command: 'echo hello-from-talker; sleep 0.5; echo bye-from-talker'\n"
      "    inputs: [src/**]\n");
  repo_.Commit("initial");
  RunResult quiet = Fanout({"build"});
  ASSERT_EQ(quiet.exit_code, 0) << quiet.out << quiet.err;
  EXPECT_FALSE(Contains(quiet.out, "hello-from-talker")) << quiet.out;

  repo_.Write("src/main.txt", "changed\n");  // so that it runs again
  RunResult r = Fanout({"build", "-v"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "talker | hello-from-talker\n")) << r.out;
  EXPECT_TRUE(Contains(r.out, "talker | bye-from-talker\n")) << r.out;
}

}  // namespace
}  // namespace fanout::testing
