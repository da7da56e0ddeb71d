// The report for people: an aligned table of every target (colour only on a terminal), the
// log paths of the ones that did not succeed, and a one-line summary at the end.
#pragma once

#include <string>

#include "report/report.h"

namespace fanout {

/// How the table is rendered.
struct TableOptions {
  bool color = false;  ///< ANSI colours (the caller decides: a terminal, and no NO_COLOR)
  /// Prefix for log paths, so they can be opened from where the user is: the build
  /// directory as they named it (e.g. "build"); empty: paths relative to the build directory.
  std::string build_dir;
};

/// The table, the log lines and the summary line, each line ending in '\n'.
std::string FormatReportTable(const Report& report, const TableOptions& options);

/// True when colour suits `fd`: a terminal, $NO_COLOR unset, $TERM not "dumb".
bool ShouldColor(int fd);

}  // namespace fanout
