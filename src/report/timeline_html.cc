#include "report/timeline_html.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "report/text.h"

namespace fanout {

namespace {

// Geometry of the chart, in SVG pixels.
constexpr double kLabelWidth = 70;    // the "slot N" column
constexpr double kChartWidth = 1000;  // the time axis
constexpr double kRightMargin = 20;
constexpr double kAxisHeight = 26;
constexpr double kRowHeight = 30;
constexpr double kBarHeight = 22;
constexpr double kMinBarWidth = 2;

/// Pool colours, in the order of Timeline::pools after "no pool" (grey); repeated past the end.
constexpr const char* kPalette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2",
                                    "#edc948", "#ff9da7", "#9c755f", "#86bcb6"};
constexpr const char* kNoPoolColour = "#9aa5b1";
constexpr const char* kPostSubmitColour = "#3e4c59";

constexpr const char* kStyle = R"(body{font:14px system-ui,sans-serif;margin:20px;color:#1f2933}
h1{font-size:20px;margin:0 0 6px}
p.summary{margin:0 0 12px}
.legend span{display:inline-block;margin-right:16px}
.legend i{display:inline-block;width:14px;height:14px;vertical-align:-2px;margin-right:4px}
svg{display:block;margin:12px 0}
rect.target{stroke:#fff;stroke-width:1}
g.bar text{font-size:12px;fill:#111;pointer-events:none}
g.bar:not(.critical) rect.target{opacity:.6}
g.problem rect.target,g.problem rect.step{stroke:#d0021b;stroke-width:3}
g.post-submit text{fill:#fff}
rect.critical-mark{fill:#111}
polyline.critical-link{fill:none;stroke:#111;stroke-width:1.5;stroke-dasharray:4 3}
.axis line{stroke:#d5dbe1}
.axis text,.slot-label{font-size:11px;fill:#52606d}
table{border-collapse:collapse;margin-top:8px}
td,th{border:1px solid #d5dbe1;padding:3px 8px;text-align:left;font-size:13px}
tr.problem td{color:#d0021b}
)";

std::string Num(double v) { return fmt::format("{:.1f}", v); }

/// A tick interval that gives at most about ten ticks over `span` seconds.
double TickStep(double span) {
  static constexpr double kSteps[] = {0.1, 0.2, 0.5, 1,   2,   5,    10,   15,   30,
                                      60,  120, 300, 600, 900, 1800, 3600, 7200, 14400};
  for (double s : kSteps) {
    if (span / s <= 10) return s;
  }
  return 36000;
}

std::string PoolColour(const Timeline& tl, const std::string& pool) {
  if (pool.empty()) return kNoPoolColour;
  auto it = std::find(tl.pools.begin(), tl.pools.end(), pool);
  const size_t index = it == tl.pools.end() ? 0 : static_cast<size_t>(it - tl.pools.begin()) - 1;
  return kPalette[index % std::size(kPalette)];
}

std::string PoolLabel(const std::string& pool) { return pool.empty() ? "no pool" : pool; }

std::string StatusText(TargetStatus s) {
  std::string name(StatusName(s));
  std::replace(name.begin(), name.end(), '_', ' ');
  return name;
}

std::string Tooltip(const TimelineBar& b) {
  std::string status = StatusText(b.status);
  if (!b.message.empty()) status += " (" + b.message + ")";
  const std::string pool = b.name == kPostSubmitName ? "" : "\npool: " + PoolLabel(b.pool);
  std::string text = fmt::format("{}{}\nduration: {}\nstatus: {}", b.name, pool,
                                 FormatSeconds(b.duration), status);
  if (b.attempts > 1) text += fmt::format("\nattempts: {}", b.attempts);
  if (b.critical) text += "\non the critical path";
  return HtmlEscape(SanitizeLogText(text));
}

struct Geometry {
  double scale = 1;  // pixels per second
  double X(double seconds) const { return kLabelWidth + seconds * scale; }
  static double Y(int slot) { return kAxisHeight + slot * kRowHeight; }
};

/// The rows the chart draws: the slots, then the post-submit step's when it ran.
int Rows(const Timeline& tl) { return tl.slots + (tl.post_submit ? 1 : 0); }

void Axis(std::string& out, const Timeline& tl, const Geometry& g, double height) {
  const double step = TickStep(tl.span);
  out += "<g class=\"axis\">\n";
  for (int i = 0; i * step <= tl.span + 1e-9; ++i) {
    const double x = g.X(i * step);
    out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>", Num(x),
                       Num(kAxisHeight - 6), Num(height));
    out += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", Num(x + 2), Num(kAxisHeight - 10),
                       HtmlEscape(FormatSeconds(i * step)));
  }
  for (int s = 0; s < tl.slots; ++s) {
    out += fmt::format("<text class=\"slot-label\" x=\"4\" y=\"{}\">slot {}</text>\n",
                       Num(Geometry::Y(s) + kBarHeight / 2 + 4), s + 1);
  }
  if (tl.post_submit) {
    out += fmt::format("<text class=\"slot-label\" x=\"4\" y=\"{}\">post-submit</text>\n",
                       Num(Geometry::Y(tl.post_submit->slot) + kBarHeight / 2 + 4));
  }
  out += "</g>\n";
}

/// What follows a bar's rectangle, for a target and the post-submit step alike: the hatch of
/// a problem, the critical path's mark, the label (`name`), and the end of the bar's group.
void BarMarks(std::string& out, const TimelineBar& b, double x, double y, double w,
              const std::string& name) {
  const bool problem = IsProblem(b.status);
  if (problem) {
    out += fmt::format(
        "<rect class=\"hatch\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" "
        "fill=\"url(#hatch)\" pointer-events=\"none\"/>\n",
        Num(x), Num(y), Num(w), Num(kBarHeight));
  }
  if (b.critical) {
    out += fmt::format(
        "<rect class=\"critical-mark\" x=\"{}\" y=\"{}\" width=\"{}\" "
        "height=\"3\" pointer-events=\"none\"/>\n",
        Num(x), Num(y + kBarHeight + 1), Num(w));
  }
  // A nested <svg> clips the label to its bar.
  const std::string label = (problem ? "✗ " + StatusText(b.status) + ": " : "") + name;
  out += fmt::format(
      "<svg x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><text x=\"4\" y=\"15\">{}</text>"
      "</svg>\n</g>\n",
      Num(x), Num(y), Num(w), Num(kBarHeight), HtmlEscape(label));
}

/// The post-submit step's bar, on its own row: a step, not a target (its rect is of class
/// "step", so a count of the targets' bars does not include it).
void PostSubmitBar(std::string& out, const Geometry& g, const TimelineBar& b) {
  const double x = g.X(b.start), y = Geometry::Y(b.slot);
  const double w = std::max(kMinBarWidth, b.duration * g.scale);
  out += fmt::format("<g class=\"bar post-submit{}\">\n", IsProblem(b.status) ? " problem" : "");
  out += fmt::format(
      "<rect class=\"step\" data-step=\"post-submit\" data-status=\"{}\" x=\"{}\" y=\"{}\" "
      "width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}</title></rect>\n",
      StatusName(b.status), Num(x), Num(y), Num(w), Num(kBarHeight), kPostSubmitColour, Tooltip(b));
  BarMarks(out, b, x, y, w, "post-submit");
}

void Bar(std::string& out, const Timeline& tl, const Geometry& g, const TimelineBar& b) {
  const double x = g.X(b.start), y = Geometry::Y(b.slot);
  const double w = std::max(kMinBarWidth, b.duration * g.scale);
  const bool problem = IsProblem(b.status);
  out += fmt::format("<g class=\"bar{}{}\">\n", problem ? " problem" : "",
                     b.critical ? " critical" : "");
  out += fmt::format(
      "<rect class=\"target\" data-target=\"{}\" data-status=\"{}\" data-pool=\"{}\" "
      "data-slot=\"{}\" data-critical=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" "
      "fill=\"{}\"><title>{}</title></rect>\n",
      HtmlEscape(b.name), StatusName(b.status), HtmlEscape(b.pool), b.slot,
      b.critical ? "true" : "false", Num(x), Num(y), Num(w), Num(kBarHeight),
      PoolColour(tl, b.pool), Tooltip(b));
  BarMarks(out, b, x, y, w, b.name);
}

/// Dashed links from each critical target's end to the start of the next one.
void CriticalLinks(std::string& out, const Timeline& tl, const Geometry& g) {
  std::map<std::string, const TimelineBar*> by_name;
  for (const TimelineBar& b : tl.bars) by_name[b.name] = &b;
  for (size_t i = 1; i < tl.critical_path.size(); ++i) {
    const TimelineBar* a = by_name[tl.critical_path[i - 1]];
    const TimelineBar* b = by_name[tl.critical_path[i]];
    if (!a || !b) continue;
    const double ya = Geometry::Y(a->slot) + kBarHeight / 2;
    const double yb = Geometry::Y(b->slot) + kBarHeight / 2;
    const double xa = g.X(a->finish()), xb = g.X(b->start);
    out +=
        fmt::format("<polyline class=\"critical-link\" points=\"{},{} {},{} {},{}\"/>\n", Num(xa),
                    Num(ya), Num(std::max(xa, xb)), Num(ya), Num(std::max(xa, xb)), Num(yb));
  }
}

void Legend(std::string& out, const Timeline& tl) {
  out += "<p class=\"legend\">";
  for (const std::string& pool : tl.pools) {
    out += fmt::format("<span><i style=\"background:{}\"></i>{}</span>", PoolColour(tl, pool),
                       HtmlEscape(PoolLabel(pool)));
  }
  if (tl.post_submit) {
    out += fmt::format("<span><i style=\"background:{}\"></i>post-submit step</span>",
                       kPostSubmitColour);
  }
  out +=
      "<span><i style=\"border:3px solid #d0021b;box-sizing:border-box\"></i>failed, timed out "
      "or interrupted</span><span><i style=\"background:#111;height:3px;vertical-align:2px\">"
      "</i>critical path</span></p>\n";
}

void Tables(std::string& out, const Timeline& tl) {
  out +=
      "<h2>Targets that ran</h2>\n<table class=\"ran\"><tr><th>target</th><th>pool</th>"
      "<th>slot</th><th>start</th><th>duration</th><th>status</th><th>note</th></tr>\n";
  for (const TimelineBar& b : tl.bars) {
    out += fmt::format(
        "<tr class=\"{}\"><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
        "<td>{}</td></tr>\n",
        IsProblem(b.status) ? "problem" : "ok", HtmlEscape(b.name), b.critical ? " ★" : "",
        HtmlEscape(PoolLabel(b.pool)), b.slot + 1, FormatSeconds(b.start),
        FormatSeconds(b.duration), StatusText(b.status), HtmlEscape(SanitizeLogText(b.message)));
  }
  if (tl.post_submit) {
    const TimelineBar& b = *tl.post_submit;
    out += fmt::format(
        "<tr class=\"{} post-submit\"><td>{}</td><td></td><td>post-submit</td><td>{}</td>"
        "<td>{}</td><td>{}</td><td>{}</td></tr>\n",
        IsProblem(b.status) ? "problem" : "ok", HtmlEscape(b.name), FormatSeconds(b.start),
        FormatSeconds(b.duration), StatusText(b.status), HtmlEscape(SanitizeLogText(b.message)));
  }
  out += "</table>\n";
  if (tl.absent.empty()) return;
  out +=
      "<h2>Targets that did not run in this build</h2>\n<table class=\"absent\">"
      "<tr><th>target</th><th>status</th><th>note</th></tr>\n";
  for (const TimelineAbsent& a : tl.absent) {
    out += fmt::format("<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                       IsProblem(a.status) ? "problem" : "ok", HtmlEscape(a.name),
                       StatusText(a.status), HtmlEscape(SanitizeLogText(a.message)));
  }
  out += "</table>\n";
}

}  // namespace

std::string HtmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string TimelineToHtml(const Timeline& tl) {
  Geometry g;
  g.scale = kChartWidth / std::max(tl.span, 0.001);
  const double height = kAxisHeight + std::max(Rows(tl), 1) * kRowHeight + 8;
  const double width = kLabelWidth + kChartWidth + kRightMargin;

  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>fanout build timeline</title>\n<style>\n";
  out += kStyle;
  out += "</style>\n</head>\n<body>\n<h1>fanout build timeline</h1>\n";
  out += fmt::format("<p class=\"summary\">{} · {} on {} slot{}</p>\n", HtmlEscape(tl.summary),
                     FormatSeconds(tl.span), tl.slots, tl.slots == 1 ? "" : "s");
  if (!tl.critical_path.empty()) {
    std::string chain;
    for (const std::string& n : tl.critical_path) chain += (chain.empty() ? "" : " → ") + n;
    out += fmt::format("<p class=\"critical-path\">critical path: {}</p>\n", HtmlEscape(chain));
  }
  Legend(out, tl);
  out += fmt::format(
      "<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\">\n<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" "
      "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"2\" "
      "height=\"6\" fill=\"#d0021b\" opacity=\"0.6\"/></pattern></defs>\n",
      Num(width), Num(height));
  Axis(out, tl, g, height);
  for (const TimelineBar& b : tl.bars) Bar(out, tl, g, b);
  if (tl.post_submit) PostSubmitBar(out, g, *tl.post_submit);
  CriticalLinks(out, tl, g);
  out += "</svg>\n";
  Tables(out, tl);
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace fanout
