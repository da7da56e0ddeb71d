#include "report/junit.h"

#include <ctime>

#include <fmt/format.h>

#include "report/text.h"

namespace fanout {

std::string XmlEscape(const std::string& text, bool attribute) {
  std::string out;
  for (char c : SanitizeLogText(text)) {
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
        out += attribute ? "&quot;" : "\"";
        break;
      // Attribute values normalize raw white space away; keep it as character references.
      case '\n':
        out += attribute ? "&#10;" : "\n";
        break;
      case '\t':
        out += attribute ? "&#9;" : "\t";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

struct Counts {
  int tests = 0, failures = 0, errors = 0, skipped = 0;
  double time = 0;
};

enum class Kind { kPass, kFailure, kError, kSkipped };

Kind KindOf(TargetStatus s) {
  switch (s) {
    case TargetStatus::kSucceeded:
    case TargetStatus::kFlaky:
    case TargetStatus::kCached:
      return Kind::kPass;
    case TargetStatus::kFailed:
    case TargetStatus::kTimedOut:
      return Kind::kFailure;
    case TargetStatus::kInterrupted:
      return Kind::kError;
    case TargetStatus::kBlocked:
    case TargetStatus::kSkipped:
      return Kind::kSkipped;
  }
  return Kind::kError;
}

std::string Seconds(double s) { return fmt::format("{:.3f}", s < 0 ? 0.0 : s); }

void Testcase(std::string& out, const TargetReport& t, Counts& counts) {
  ++counts.tests;
  counts.time += t.duration_seconds;
  const Kind kind = KindOf(t.status);
  std::string head = fmt::format("    <testcase name=\"{}\" classname=\"fanout\" time=\"{}\"",
                                 XmlEscape(t.name, true), Seconds(t.duration_seconds));
  std::string message = t.message.empty() ? std::string(StatusName(t.status)) : t.message;
  switch (kind) {
    case Kind::kPass:
      if (t.status != TargetStatus::kFlaky && t.status != TargetStatus::kCached) {
        out += head + "/>\n";
        return;
      }
      out += head + ">\n";
      out += fmt::format("      <system-out>{}: {}</system-out>\n", StatusName(t.status),
                         XmlEscape(message, false));
      break;
    case Kind::kSkipped:
      ++counts.skipped;
      out += head + ">\n";
      out += fmt::format("      <skipped message=\"{}: {}\"/>\n", StatusName(t.status),
                         XmlEscape(message, true));
      break;
    case Kind::kFailure:
    case Kind::kError: {
      (kind == Kind::kFailure ? counts.failures : counts.errors)++;
      const char* element = kind == Kind::kFailure ? "failure" : "error";
      std::string body = t.log_tail;
      if (!t.log.empty()) body = (body.empty() ? "" : body + "\n") + "log: " + t.log;
      out += head + ">\n";
      out += fmt::format("      <{} type=\"{}\" message=\"{}\">{}</{}>\n", element,
                         StatusName(t.status), XmlEscape(message, true), XmlEscape(body, false),
                         element);
      break;
    }
  }
  out += "    </testcase>\n";
}

std::string IsoTime(double unix_seconds) {
  auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return buf;
}

}  // namespace

std::string ReportToJunit(const Report& report) {
  std::string cases;
  Counts counts;
  for (const TargetReport& t : report.targets) Testcase(cases, t, counts);
  if (report.post_submit) Testcase(cases, *report.post_submit, counts);
  // The suite's time is the build's elapsed time when known, not the sum of parallel work.
  const double time = report.wall_seconds > 0 ? report.wall_seconds : counts.time;

  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format(
      "<testsuites name=\"fanout\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{}\">\n",
      counts.tests, counts.failures, counts.errors, Seconds(time));
  out += fmt::format(
      "  <testsuite name=\"fanout\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" "
      "time=\"{}\"",
      counts.tests, counts.failures, counts.errors, counts.skipped, Seconds(time));
  if (report.started_at > 0) out += fmt::format(" timestamp=\"{}\"", IsoTime(report.started_at));
  out += ">\n" + cases + "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace fanout
