#include "report/table.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include <fmt/color.h>
#include <fmt/format.h>

#include "report/text.h"

namespace fanout {

namespace {

fmt::text_style StyleOf(TargetStatus s) {
  switch (s) {
    case TargetStatus::kSucceeded:
    case TargetStatus::kCached:
      return fmt::fg(fmt::terminal_color::green);
    case TargetStatus::kFlaky:
    case TargetStatus::kInterrupted:
      return fmt::fg(fmt::terminal_color::yellow);
    case TargetStatus::kFailed:
    case TargetStatus::kTimedOut:
      return fmt::fg(fmt::terminal_color::red) | fmt::emphasis::bold;
    case TargetStatus::kBlocked:
      return fmt::fg(fmt::terminal_color::magenta);
    case TargetStatus::kSkipped:
      return fmt::fg(fmt::terminal_color::bright_black);
  }
  return {};
}

std::string ArtifactsCell(const TargetReport& t) {
  if (t.artifacts.empty()) return "-";
  std::uint64_t total = 0;
  for (const ReportArtifact& a : t.artifacts) total += a.size;
  return fmt::format("{} ({})", t.artifacts.size(), FormatSize(total));
}

/// The message on one line: the first line of a multi-line one.
std::string OneLine(const std::string& s) { return s.substr(0, s.find('\n')); }

}  // namespace

bool ShouldColor(int fd) {
  if (!isatty(fd)) return false;
  if (const char* no = std::getenv("NO_COLOR"); no && *no) return false;
  const char* term = std::getenv("TERM");
  return !(term && std::string(term) == "dumb");
}

std::string FormatReportTable(const Report& report, const TableOptions& options) {
  std::vector<const TargetReport*> rows;
  for (const TargetReport& t : report.targets) rows.push_back(&t);
  if (report.post_submit) rows.push_back(&*report.post_submit);

  struct Cells {
    std::string name, status, duration, artifacts, note;
  };
  std::vector<Cells> cells;
  Cells header{"target", "status", "duration", "artifacts", "note"};
  size_t w_name = header.name.size(), w_status = header.status.size(),
         w_duration = header.duration.size(), w_artifacts = header.artifacts.size();
  for (const TargetReport* t : rows) {
    Cells c{t->name, std::string(StatusName(t->status)),
            t->attempts > 0 ? FormatSeconds(t->duration_seconds) : "-", ArtifactsCell(*t),
            OneLine(t->message)};
    w_name = std::max(w_name, c.name.size());
    w_status = std::max(w_status, c.status.size());
    w_duration = std::max(w_duration, c.duration.size());
    w_artifacts = std::max(w_artifacts, c.artifacts.size());
    cells.push_back(std::move(c));
  }

  std::string out;
  auto line = [&](const Cells& c, const fmt::text_style* style) {
    // Pad first, then colour: escape sequences must not count towards the width.
    std::string status = fmt::format("{:<{}}", c.status, w_status);
    if (style) status = fmt::format(*style, "{}", status);
    std::string row = fmt::format("{:<{}}  {}  {:>{}}  {:<{}}  {}", c.name, w_name, status,
                                  c.duration, w_duration, c.artifacts, w_artifacts, c.note);
    while (!row.empty() && row.back() == ' ') row.pop_back();
    out += row + "\n";
  };
  if (options.color) {
    Cells h = header;
    out +=
        fmt::format(fmt::emphasis::bold, "{:<{}}  {:<{}}  {:>{}}  {:<{}}  {}", h.name, w_name,
                    h.status, w_status, h.duration, w_duration, h.artifacts, w_artifacts, h.note) +
        "\n";
  } else {
    line(header, nullptr);
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    fmt::text_style style = StyleOf(rows[i]->status);
    line(cells[i], options.color ? &style : nullptr);
  }

  // Where to read more: every run that did not succeed has a log.
  bool first = true;
  for (const TargetReport* t : rows) {
    if (!IsProblem(t->status) || t->log.empty()) continue;
    if (first) out += "\n";
    first = false;
    std::string path = options.build_dir.empty() ? t->log : options.build_dir + "/" + t->log;
    out += fmt::format("{} {}: log: {}\n", t->name, StatusName(t->status), path);
  }

  std::string summary = report.SummaryLine();
  if (report.wall_seconds > 0) summary += fmt::format(" ({})", FormatSeconds(report.wall_seconds));
  out += "\n";
  if (options.color) {
    const bool ok = report.ExitCode() == 0;
    out += fmt::format(
        fmt::fg(ok ? fmt::terminal_color::green : fmt::terminal_color::red) | fmt::emphasis::bold,
        "{}", summary);
  } else {
    out += summary;
  }
  out += "\n";
  return out;
}

}  // namespace fanout
