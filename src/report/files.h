// Writing the report out: BUILD/summary.md and BUILD/junit.xml (atomically), and the Markdown
// appended to $GITHUB_STEP_SUMMARY when GitHub Actions sets it.
#pragma once

#include <string>

#include "base/expected.h"
#include "report/report.h"

namespace fanout {

/// Writes summary.md and junit.xml into the build directory, each atomically; then, when
/// `step_summary` is set and $GITHUB_STEP_SUMMARY names a file, appends the Markdown to it
/// (once per build: only the final report does).
Status WriteReportFiles(const std::string& build_dir, const Report& report,
                        bool step_summary = true);

/// Appends `text` to the file at `path` (created if missing).
Status AppendToFile(const std::string& path, const std::string& text);

}  // namespace fanout
