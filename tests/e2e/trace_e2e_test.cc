// End-to-end: the timeline of a real build (a pool of depth 1, dependencies, a failure), as
// `fanout build` and `fanout trace` write it: trace.json against the records, and timeline.html
// rendered by headless Chromium, its bars counted from the DOM and a screenshot kept as a test
// artifact in $FANOUT_TEST_ARTIFACTS (default: test-artifacts/ beside the fanout binary).
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace fanout::testing {
namespace {

using nlohmann::json;

/// The attributes of every `<rect class="target">` in `html`, by Python's html.parser.
std::vector<json> TargetRects(const std::string& html) {
  TempDir dir;
  WriteFile(dir / "dom.html", html);
  static const char* kScript =
      "import sys, json\n"
      "from html.parser import HTMLParser\n"
      "class P(HTMLParser):\n"
      "  def __init__(s):\n"
      "    super().__init__(); s.found = []\n"
      "  def handle_starttag(s, tag, attrs):\n"
      "    a = dict(attrs)\n"
      "    if tag == 'rect' and 'target' in (a.get('class') or '').split():\n"
      "      s.found.append(a)\n"
      "p = P(); p.feed(open(sys.argv[1], encoding='utf-8').read())\n"
      "print(json.dumps(p.found))\n";
  RunResult r = Run({"python3", "-c", kScript, dir / "dom.html"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (r.exit_code != 0) return {};
  return json::parse(r.out).get<std::vector<json>>();
}

/// Where test artifacts go: $FANOUT_TEST_ARTIFACTS, else test-artifacts/ in the build directory
/// of the tests (beside the fanout binary).
std::string ArtifactDir() {
  const char* env = std::getenv("FANOUT_TEST_ARTIFACTS");
  if (env && *env) return env;
  std::string bin = FanoutBinary();
  return bin.substr(0, bin.rfind('/')) + "/test-artifacts";
}

class TraceE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.Write("src/main.txt", "source\n");
    repo_.Write(".gitignore", "build/\n");
    // base -> p1, p2 (pool serial, depth 1) -> app; free alone; bad fails, after_bad is blocked.
    repo_.Write("fanout.yaml",
                "version: 1\n"
                "pools:\n  serial: 1\n"
                "targets:\n" +
                    Target("base", "sleep 0.3") + Target("p1", "sleep 0.4", {"base"}, "serial") +
                    Target("p2", "sleep 0.4", {"base"}, "serial") +
                    Target("app", "sleep 0.2", {"p1", "p2"}) + Target("free", "sleep 0.5") +
                    Target("bad", "sleep 0.2; echo broken >&2; exit 3") +
                    Target("after_bad", "true", {"bad"}));
    repo_.Commit("initial");
  }

  std::string Target(const std::string& name, const std::string& command,
                     const std::vector<std::string>& deps = {}, const std::string& pool = "") {
    deps_[name] = deps;
    std::string t = "  " + name + ":\n    command: '" + command + "'\n    inputs: [src/**]\n";
    if (!deps.empty()) {
      t += "    deps: [";
      for (size_t i = 0; i < deps.size(); ++i) t += (i ? ", " : "") + deps[i];
      t += "]\n";
    }
    if (!pool.empty()) t += "    pool: " + pool + "\n";
    return t;
  }

  RunResult Fanout(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {FanoutBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return ::fanout::testing::Run(argv, repo_.path());
  }

  std::string Build(const std::string& rel) { return repo_ / ("build/" + rel); }

  /// The recorded start and duration of `name`: result.json's, or failure.json's.
  json Record(const std::string& name) {
    std::string text = ReadFile(Build("targets/" + name + "/result.json"));
    if (text.empty()) text = ReadFile(Build("targets/" + name + "/failure.json"));
    return json::parse(text, nullptr, false);
  }

  /// Runs headless Chromium with `args` then the page's URL, bounded in time.
  RunResult Chromium(const std::vector<std::string>& args, const std::string& page) {
    std::vector<std::string> argv = {"timeout",
                                     "120",
                                     "chromium",
                                     "--headless",
                                     "--no-sandbox",
                                     "--disable-gpu",
                                     "--disable-dev-shm-usage",
                                     "--user-data-dir=" + (profile_ / "p")};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("file://" + page);
    return ::fanout::testing::Run(argv);
  }

  GitRepo repo_;
  TempDir profile_;
  std::map<std::string, std::vector<std::string>> deps_;
};

TEST_F(TraceE2E, TraceMatchesTheRecordsAndChromiumRendersOneBarPerTarget) {
  RunResult build = Fanout({"build", "-B", "build", "-j", "4"});
  ASSERT_EQ(build.exit_code, 1) << build.out << build.err;  // bad failed
  // `fanout build` wrote the timeline already, and summary.md links it.
  EXPECT_TRUE(Exists(Build("trace.json")));
  EXPECT_TRUE(Exists(Build("timeline.html")));
  EXPECT_NE(ReadFile(Build("summary.md")).find("[timeline.html](timeline.html)"),
            std::string::npos);
  ASSERT_EQ(unlink(Build("trace.json").c_str()), 0);
  ASSERT_EQ(unlink(Build("timeline.html").c_str()), 0);

  RunResult trace = Fanout({"trace", "-B", "build"});
  ASSERT_EQ(trace.exit_code, 0) << trace.out << trace.err;
  EXPECT_NE(trace.out.find("6 targets ran on"), std::string::npos) << trace.out;

  // trace.json: one complete event per target that ran, with its recorded times.
  json doc = json::parse(ReadFile(Build("trace.json")), nullptr, false);
  ASSERT_FALSE(doc.is_discarded());
  const std::int64_t origin_us = doc["otherData"]["build_started_at_us"];
  std::map<std::string, json> events;
  for (const json& e : doc["traceEvents"]) {
    if (e["ph"] == "X") events[e["name"]] = e;
  }
  const std::set<std::string> ran = {"app", "bad", "base", "free", "p1", "p2"};
  std::set<std::string> names;
  for (const auto& [name, e] : events) names.insert(name);
  EXPECT_EQ(names, ran);
  for (const std::string& name : ran) {
    const json rec = Record(name);
    ASSERT_FALSE(rec.is_discarded()) << name;
    const json& e = events[name];
    EXPECT_EQ(e["dur"], std::llround(rec["duration_seconds"].get<double>() * 1e6)) << name;
    const double started = rec["started_at"].get<double>() * 1e6;
    EXPECT_LE(std::abs(static_cast<double>(origin_us + e["ts"].get<std::int64_t>()) - started), 2)
        << name;
    EXPECT_EQ(e["args"]["attempts"], rec["attempts"]) << name;
  }
  EXPECT_EQ(events["bad"]["args"]["status"], "failed");
  EXPECT_EQ(events["bad"]["args"]["exit_code"], 3);
  EXPECT_EQ(events["p1"]["args"]["pool"], "serial");
  // Bars that overlap in time are on different slots.
  for (const auto& [a, ea] : events) {
    for (const auto& [b, eb] : events) {
      if (a >= b) continue;
      const std::int64_t sa = ea["ts"], fa = sa + ea["dur"].get<std::int64_t>();
      const std::int64_t sb = eb["ts"], fb = sb + eb["dur"].get<std::int64_t>();
      if (sa < fb && sb < fa) {
        EXPECT_NE(ea["tid"], eb["tid"]) << a << " " << b;
      }
    }
  }
  // The critical path ends at the target that finished last, each step a dependency.
  const std::vector<std::string> path = doc["otherData"]["critical_path"];
  ASSERT_FALSE(path.empty());
  std::string last;
  std::int64_t last_finish = -1;
  for (const auto& [name, e] : events) {
    const std::int64_t f = e["ts"].get<std::int64_t>() + e["dur"].get<std::int64_t>();
    if (f > last_finish) {
      last = name;
      last_finish = f;
    }
  }
  EXPECT_EQ(path.back(), last);
  for (size_t i = 1; i < path.size(); ++i) {
    const auto& d = deps_[path[i]];
    EXPECT_NE(std::find(d.begin(), d.end(), path[i - 1]), d.end()) << path[i - 1] << path[i];
  }

  // timeline.html in headless Chromium: one bar per target that ran, the failure marked.
  if (system("command -v chromium >/dev/null 2>&1") != 0) {
    if (geteuid() == 0) FAIL() << "chromium is missing: scripts/setup installs it";
    GTEST_SKIP() << "chromium is missing (scripts/setup installs it); DOM check skipped";
  }
  const std::string page = Build("timeline.html");
  RunResult dom = Chromium({"--dump-dom"}, page);
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  std::vector<json> rects = TargetRects(dom.out);
  std::set<std::string> bars;
  for (const json& r : rects) {
    bars.insert(r["data-target"].get<std::string>());
    if (r["data-target"] == "bad") {
      EXPECT_EQ(r["data-status"], "failed");
    }
    if (r["data-target"] == "app") {
      EXPECT_EQ(r["data-status"], "succeeded");
    }
  }
  EXPECT_EQ(rects.size(), ran.size()) << dom.out;
  EXPECT_EQ(bars, ran);
  EXPECT_NE(dom.out.find("class=\"bar problem"), std::string::npos);

  // The screenshot, kept as a test artifact.
  const std::string artifacts = ArtifactDir();
  ASSERT_EQ(::fanout::testing::Run({"mkdir", "-p", artifacts}).exit_code, 0);
  const std::string png = artifacts + "/trace-timeline.png";
  unlink(png.c_str());
  RunResult shot = Chromium({"--screenshot=" + png, "--window-size=1200,800"}, page);
  ASSERT_EQ(shot.exit_code, 0) << shot.err;
  const std::string bytes = ReadFile(png);
  ASSERT_GT(bytes.size(), 1000u);
  EXPECT_EQ(bytes.substr(0, 4), "\x89PNG");
  std::cout << "trace-timeline screenshot: " << png << "\n";
  RecordProperty("screenshot", png);

  // Positive control: the DOM count follows the records. Without free's record the page has
  // one bar fewer, and none for free.
  ASSERT_EQ(unlink(Build("targets/free/result.json").c_str()), 0);
  ASSERT_EQ(Fanout({"trace", "-B", "build"}).exit_code, 0);
  RunResult fewer = Chromium({"--dump-dom"}, page);
  ASSERT_EQ(fewer.exit_code, 0) << fewer.err;
  std::vector<json> fewer_rects = TargetRects(fewer.out);
  EXPECT_EQ(fewer_rects.size(), ran.size() - 1);
  for (const json& r : fewer_rects) EXPECT_NE(r["data-target"], "free");
}

TEST(TracePostSubmitE2E, ThePostSubmitStepHasABarWhenItRanInThisBuild) {
  GitRepo repo;
  repo.Write("fanout.yaml",
             "version: 1\ntargets:\n  a:\n    command: cp a.txt a.out\n    inputs: [a.txt]\n"
             "    artifacts: [a.out]\npost_submit:\n  command: sleep 0.2\n");
  repo.Write("a.txt", "a\n");
  repo.Commit();
  auto build = [&] {
    return ::fanout::testing::Run({FanoutBinary(), "build", "-B", "build"}, repo.path(),
                                  {"GITHUB_EVENT_NAME=push"});
  };
  /// The complete events of trace.json, by name.
  auto events = [&] {
    std::map<std::string, json> out;
    json doc = json::parse(ReadFile(repo / "build/trace.json"), nullptr, false);
    EXPECT_FALSE(doc.is_discarded());
    if (doc.is_discarded()) return out;
    for (const json& e : doc["traceEvents"]) {
      if (e["ph"] == "X") out[e["name"]] = e;
    }
    return out;
  };
  RunResult r = build();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::map<std::string, json> ran = events();
  ASSERT_EQ(ran.count("(post-submit)"), 1u) << ReadFile(repo / "build/trace.json");
  const json& post = ran["(post-submit)"];
  EXPECT_EQ(post["cat"], "post-submit");
  EXPECT_EQ(post["args"]["status"], "succeeded");
  EXPECT_NE(post["tid"], ran["a"]["tid"]) << "a row of its own";
  // It ran after the target, for as long as its record says.
  const json record = json::parse(ReadFile(repo / "build/.fanout/post_submit.json"));
  EXPECT_EQ(post["dur"],
            std::llround(
                (record["finished_at"].get<double>() - record["started_at"].get<double>()) * 1e6));
  EXPECT_GE(post["ts"].get<std::int64_t>(),
            ran["a"]["ts"].get<std::int64_t>() + ran["a"]["dur"].get<std::int64_t>());
  const std::string html = ReadFile(repo / "build/timeline.html");
  EXPECT_NE(html.find("data-step=\"post-submit\""), std::string::npos);

  // Positive control: a no-op build runs neither the target nor the step (Ninja finds the step
  // up to date for this manifest), and the timeline has no bar for either.
  r = build();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(events().empty()) << ReadFile(repo / "build/trace.json");
  EXPECT_EQ(ReadFile(repo / "build/timeline.html").find("data-step=\"post-submit\""),
            std::string::npos);
}

TEST_F(TraceE2E, OutputOptionWritesTheTraceElsewhere) {
  ASSERT_EQ(Fanout({"build", "-B", "build", "-j", "4"}).exit_code, 1);
  TempDir out;
  RunResult r = Fanout({"trace", "-B", "build", "-o", out / "t.json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json doc = json::parse(ReadFile(out / "t.json"), nullptr, false);
  ASSERT_FALSE(doc.is_discarded());
  EXPECT_TRUE(doc.contains("traceEvents"));
  // Without a plan there is nothing to trace: exit 2, as `fanout report`.
  TempDir empty;
  EXPECT_EQ(Fanout({"trace", "-B", empty.path()}).exit_code, 2);
}

}  // namespace
}  // namespace fanout::testing
