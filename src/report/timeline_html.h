// The timeline (report/timeline.h) as a self-contained HTML page, BUILD/timeline.html: inline
// CSS and SVG, no script and nothing fetched, so it opens from a CI artifact as it is. Every
// bar is one `<rect class="target" data-target="NAME" data-status="STATUS" data-pool="POOL"
// data-slot="N" data-critical="true|false">` with a `<title>` tooltip; docs/cli.md ("fanout
// trace") describes the page.
#pragma once

#include <string>

#include "report/timeline.h"

namespace fanout {

/// The whole page. Deterministic for a given timeline (no generation time in it).
std::string TimelineToHtml(const Timeline& timeline);

/// `text` escaped for HTML text and double-quoted attribute values.
std::string HtmlEscape(const std::string& text);

}  // namespace fanout
