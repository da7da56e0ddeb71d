// Text helpers the report writers share: durations and sizes for people, and log text made
// safe to embed in Markdown, XML or a terminal.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fanout {

/// "0.4s", "12.3s", "2m05s", "1h02m"; "-" for a negative value.
std::string FormatSeconds(double seconds);

/// "512 B", "1.5 KiB", "12.0 MiB", "3.2 GiB".
std::string FormatSize(std::uint64_t bytes);

/// Log text made printable: ANSI escape sequences removed, CRLF and lone CR read as line
/// breaks, other control characters dropped (tab kept), invalid UTF-8 replaced by U+FFFD.
/// The result is valid UTF-8 and valid XML 1.0 character data once escaped.
std::string SanitizeLogText(std::string_view text);

}  // namespace fanout
