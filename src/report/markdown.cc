#include "report/markdown.h"

#include <algorithm>

#include <fmt/format.h>

#include "report/text.h"

namespace fanout {

namespace {

const char* Icon(TargetStatus s) {
  switch (s) {
    case TargetStatus::kSucceeded:
      return "✅";
    case TargetStatus::kFlaky:
      return "⚠️";
    case TargetStatus::kCached:
      return "♻️";
    case TargetStatus::kFailed:
      return "❌";
    case TargetStatus::kTimedOut:
      return "⏱️";
    case TargetStatus::kInterrupted:
      return "⏹️";
    case TargetStatus::kBlocked:
      return "⛔";
    case TargetStatus::kSkipped:
      return "⏭️";
  }
  return "";
}

std::string ArtifactsCell(const TargetReport& t) {
  if (t.artifacts.empty()) return "";
  std::string out;
  for (const ReportArtifact& a : t.artifacts) {
    if (!out.empty()) out += "<br>";
    // Inline code cannot hold a backtick reliably; such names go in plain text.
    std::string name = a.path.find('`') == std::string::npos ? "`" + a.path + "`" : a.path;
    out += MarkdownCell(name) + " (" + FormatSize(a.size) + ")";
  }
  return out;
}

void Row(std::string& out, const TargetReport& t) {
  std::string status = fmt::format("{} {}", Icon(t.status), StatusName(t.status));
  out += fmt::format("| {} | {} | {} | {} | {} |\n", MarkdownCell(t.name), status,
                     t.attempts > 0 ? FormatSeconds(t.duration_seconds) : "", ArtifactsCell(t),
                     MarkdownCell(t.message));
}

void Details(std::string& out, const TargetReport& t) {
  out += fmt::format("\n### {} `{}` {}\n\n", Icon(t.status), t.name,
                     std::string(StatusName(t.status)));
  std::vector<std::string> facts;
  if (!t.message.empty()) facts.push_back(SanitizeLogText(t.message));
  if (t.attempts > 1) facts.push_back(fmt::format("{} attempts", t.attempts));
  if (t.attempts > 0) facts.push_back("after " + FormatSeconds(t.duration_seconds));
  if (!t.log.empty()) facts.push_back("log: `" + t.log + "`");
  std::string line;
  for (const std::string& f : facts) line += (line.empty() ? "" : " · ") + f;
  if (!line.empty()) out += line + "\n";
  if (!t.log_tail.empty()) {
    out += '\n';  // not "\n" + ...: a GCC 12 -O3 -Wrestrict false positive (GCC bug 105329)
    out += MarkdownCodeBlock(SanitizeLogText(t.log_tail));
  }
}

/// It ran in this build (so it has a log worth a section).
bool Ran(const TargetReport& t) { return !t.log.empty(); }

}  // namespace

std::string MarkdownTimelineLink() {
  return "\nTimeline: [timeline.html](timeline.html) (Chrome trace events: "
         "[trace.json](trace.json), for Perfetto or chrome://tracing)\n";
}

std::string MarkdownCell(const std::string& text) {
  std::string out;
  for (char c : SanitizeLogText(text)) {
    if (c == '|' || c == '\\') out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out;
}

std::string MarkdownCodeBlock(const std::string& text) {
  size_t longest = 0, run = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  std::string fence(std::max<size_t>(3, longest + 1), '`');
  std::string body = text;
  if (!body.empty() && body.back() != '\n') body += '\n';
  return fence + "text\n" + body + fence + "\n";
}

std::string ReportToMarkdown(const Report& report) {
  std::string out = "## fanout: " + report.SummaryLine();
  if (report.wall_seconds > 0) out += " (" + FormatSeconds(report.wall_seconds) + ")";
  out += "\n\n| target | status | duration | artifacts | note |\n|---|---|---:|---|---|\n";
  for (const TargetReport& t : report.targets) Row(out, t);
  if (report.post_submit) Row(out, *report.post_submit);

  // Failures first in the reader's path: one section each, with the log tail.
  for (const TargetReport& t : report.targets) {
    if (Ran(t) && IsProblem(t.status)) Details(out, t);
  }
  if (report.post_submit && Ran(*report.post_submit) && IsProblem(report.post_submit->status)) {
    Details(out, *report.post_submit);
  }
  return out;
}

}  // namespace fanout
