// The report as Markdown (BUILD/summary.md, and $GITHUB_STEP_SUMMARY in GitHub Actions): a
// table of every target, then one section per target that did not succeed, with its log tail.
#pragma once

#include <string>

#include "report/report.h"

namespace fanout {

/// The whole Markdown document, ending in '\n'.
std::string ReportToMarkdown(const Report& report);

/// The paragraph summary.md ends with: links to timeline.html and trace.json beside it
/// (report/timeline_files.h), starting with a blank line.
std::string MarkdownTimelineLink();

/// `text` safe in a Markdown table cell: '|' and '\' escaped, line breaks as spaces.
std::string MarkdownCell(const std::string& text);

/// A fenced code block holding `text` verbatim: the fence is longer than any run of
/// backticks inside.
std::string MarkdownCodeBlock(const std::string& text);

}  // namespace fanout
