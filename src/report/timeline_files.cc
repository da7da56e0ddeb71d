#include "report/timeline_files.h"

#include "base/build_layout.h"
#include "base/file_util.h"
#include "report/timeline_html.h"
#include "report/trace_json.h"

namespace fanout {

Status WriteTimelineFiles(const std::string& build_dir, const Timeline& timeline,
                          const std::string& trace_path) {
  const std::string trace = trace_path.empty() ? build_dir + "/" + layout::kTrace : trace_path;
  FANOUT_TRY(WriteFileAtomically(trace, TimelineToTraceJson(timeline)));
  FANOUT_TRY(WriteFileAtomically(build_dir + "/" + layout::kTimeline, TimelineToHtml(timeline)));
  return {};
}

Status WriteTimelineFiles(const std::string& build_dir) {
  auto timeline = LoadTimeline(build_dir);
  if (!timeline.ok()) return timeline.error();
  return WriteTimelineFiles(build_dir, *timeline);
}

}  // namespace fanout
