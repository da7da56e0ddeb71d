// report/timeline_html.h: the page has one bar element per target that ran, findable by its
// data attributes, problems and the critical path marked, and nothing fetched from elsewhere.
#include "report/timeline_html.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace fanout {
namespace {

using nlohmann::json;
namespace tu = ::fanout::testing;

Timeline Sample() {
  Timeline tl;
  tl.span = 10;
  tl.slots = 2;
  tl.summary = "3 targets: 2 succeeded, 1 timed out";
  tl.pools = {"", "docker"};
  auto bar = [](std::string name, std::string pool, TargetStatus s, double start, double dur,
                int slot, bool critical) {
    TimelineBar b;
    b.name = std::move(name);
    b.pool = std::move(pool);
    b.status = s;
    b.start = start;
    b.duration = dur;
    b.slot = slot;
    b.critical = critical;
    b.attempts = 1;
    return b;
  };
  tl.bars = {bar("base", "docker", TargetStatus::kSucceeded, 0, 4, 0, true),
             bar("lint<&>", "", TargetStatus::kTimedOut, 1, 2, 1, false),
             bar("app", "docker", TargetStatus::kSucceeded, 4, 6, 0, true)};
  tl.critical_path = {"base", "app"};
  tl.absent = {{"docs", TargetStatus::kBlocked, "dependency 'lint<&>' timed out"}};
  return tl;
}

/// The attributes of every element with `tag` and class `cls`, parsed by Python's html.parser.
std::vector<json> Elements(const std::string& html, const std::string& tag,
                           const std::string& cls) {
  tu::TempDir dir;
  tu::WriteFile(dir / "page.html", html);
  static const char* kScript =
      "import sys, json\n"
      "from html.parser import HTMLParser\n"
      "class P(HTMLParser):\n"
      "  def __init__(s):\n"
      "    super().__init__(); s.found = []\n"
      "  def handle_starttag(s, tag, attrs):\n"
      "    a = dict(attrs)\n"
      "    if tag == sys.argv[2] and sys.argv[3] in (a.get('class') or '').split():\n"
      "      s.found.append(a)\n"
      "p = P(); p.feed(open(sys.argv[1], encoding='utf-8').read())\n"
      "print(json.dumps(p.found))\n";
  tu::RunResult r = tu::Run({"python3", "-c", kScript, dir / "page.html", tag, cls});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (r.exit_code != 0) return {};
  return json::parse(r.out).get<std::vector<json>>();
}

TEST(TimelineHtml, OneTargetRectPerBarWithItsDataAttributes) {
  const std::string html = TimelineToHtml(Sample());
  std::vector<json> rects = Elements(html, "rect", "target");
  ASSERT_EQ(rects.size(), 3u) << html;
  EXPECT_EQ(rects[0]["data-target"], "base");
  EXPECT_EQ(rects[0]["data-pool"], "docker");
  EXPECT_EQ(rects[0]["data-critical"], "true");
  EXPECT_EQ(rects[1]["data-target"], "lint<&>");  // escaped in the page, intact once parsed
  EXPECT_EQ(rects[1]["data-status"], "timed_out");
  EXPECT_EQ(rects[1]["data-slot"], "1");
  EXPECT_EQ(rects[2]["data-target"], "app");
  // The problem is marked: its group has the class, and a hatch lies over it.
  std::vector<json> problems = Elements(html, "g", "problem");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(Elements(html, "rect", "hatch").size(), 1u);
  EXPECT_EQ(Elements(html, "g", "critical").size(), 2u);
  EXPECT_EQ(Elements(html, "polyline", "critical-link").size(), 1u);
  // Tooltips name the target, pool, duration and status.
  EXPECT_NE(html.find("<title>lint&lt;&amp;&gt;\npool: no pool\nduration: 2.0s\nstatus: timed "
                      "out</title>"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("critical path: base → app"), std::string::npos);
  EXPECT_NE(html.find("dependency &#39;lint&lt;&amp;&gt;&#39; timed out"), std::string::npos);
}

TEST(TimelineHtml, ThePostSubmitStepIsABarOnItsOwnRowNotATarget) {
  Timeline tl = Sample();
  const std::string without = TimelineToHtml(tl);
  EXPECT_TRUE(Elements(without, "rect", "step").empty());
  TimelineBar post;
  post.name = "(post-submit)";
  post.status = TargetStatus::kFailed;
  post.start = 9;
  post.duration = 1;
  post.attempts = 1;
  post.slot = tl.slots;
  tl.post_submit = post;
  const std::string html = TimelineToHtml(tl);
  std::vector<json> steps = Elements(html, "rect", "step");
  ASSERT_EQ(steps.size(), 1u) << html;
  EXPECT_EQ(steps[0]["data-step"], "post-submit");
  EXPECT_EQ(steps[0]["data-status"], "failed");
  EXPECT_EQ(steps[0]["y"], "86.0") << "the row after the two slots";
  EXPECT_EQ(Elements(html, "rect", "target").size(), 3u) << "the targets' bars are unchanged";
  EXPECT_NE(html.find(">post-submit</text>"), std::string::npos);
  EXPECT_NE(html.find("class=\"bar post-submit problem\""), std::string::npos);
  EXPECT_NE(html.find("<tr class=\"problem post-submit\">"), std::string::npos);
}

TEST(TimelineHtml, SelfContainedAndDeterministic) {
  const std::string html = TimelineToHtml(Sample());
  EXPECT_EQ(html, TimelineToHtml(Sample()));
  for (const char* remote : {"http:", "https:", "<script", "<link", "@import"}) {
    // The SVG namespace is an identifier, not something fetched.
    std::string rest = html;
    const std::string ns = "xmlns=\"http://www.w3.org/2000/svg\"";
    if (auto at = rest.find(ns); at != std::string::npos) rest.erase(at, ns.size());
    EXPECT_EQ(rest.find(remote), std::string::npos) << remote;
  }
}

TEST(TimelineHtml, AnEmptyBuildStillRenders) {
  const std::string html = TimelineToHtml(Timeline{});
  EXPECT_TRUE(Elements(html, "rect", "target").empty());
  EXPECT_NE(html.find("</html>"), std::string::npos);
}

TEST(HtmlEscape, EscapesMarkupAndQuotes) {
  EXPECT_EQ(HtmlEscape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
}

}  // namespace
}  // namespace fanout
