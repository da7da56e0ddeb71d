// The report as JUnit XML (BUILD/junit.xml), the format CI systems (GitHub Actions reporters,
// GitLab, Jenkins) read: one <testsuite name="fanout"> with one <testcase> per target, plus
// one for the post-submit step. The elements and attributes are those of Jenkins' JUnit
// schema (junit-10.xsd), in its element order.
//
//   succeeded, cached   a passing testcase
//   flaky               passing, with a <system-out> saying which attempt passed
//   failed, timed_out   <failure type="failed|timed_out" message="...">log tail</failure>
//   interrupted         <error type="interrupted" message="...">log tail</error>
//   blocked, skipped    <skipped message="blocked: ..."/> (it never ran)
#pragma once

#include <string>

#include "report/report.h"

namespace fanout {

/// The whole junit.xml document (UTF-8, ending in '\n').
std::string ReportToJunit(const Report& report);

/// `text` escaped for XML character data or a double-quoted attribute value (after
/// SanitizeLogText, so the result is always well-formed).
std::string XmlEscape(const std::string& text, bool attribute);

}  // namespace fanout
