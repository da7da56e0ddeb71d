// Writing the timeline out: BUILD/trace.json (report/trace_json.h) and BUILD/timeline.html
// (report/timeline_html.h), each atomically. `fanout trace` and `fanout build` (after its
// report) call it.
#pragma once

#include <string>

#include "base/expected.h"
#include "report/timeline.h"

namespace fanout {

/// Writes the trace events to `trace_path` (empty: BUILD/trace.json) and the page to
/// BUILD/timeline.html, each through a temporary file and rename.
Status WriteTimelineFiles(const std::string& build_dir, const Timeline& timeline,
                          const std::string& trace_path = "");

/// LoadTimeline, then WriteTimelineFiles into the build directory.
Status WriteTimelineFiles(const std::string& build_dir);

}  // namespace fanout
