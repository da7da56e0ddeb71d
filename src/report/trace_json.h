// The timeline (report/timeline.h) as Chrome trace events, the JSON that Perfetto
// (ui.perfetto.dev) and chrome://tracing open: BUILD/trace.json. Each bar is a complete ("X")
// event with `ts` and `dur` in microseconds since the build's start, on process 1 (the build)
// and thread slot + 1; metadata ("M") events name the process and every slot. The post-submit
// step, when it ran, is one more event (category "post-submit") on a thread of its own after the
// slots. docs/cli.md ("fanout trace") lists the fields.
#pragma once

#include <string>

#include "report/timeline.h"

namespace fanout {

/// The trace document, one event a line, ending in '\n'. Deterministic for a given timeline.
std::string TimelineToTraceJson(const Timeline& timeline);

}  // namespace fanout
