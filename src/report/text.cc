#include "report/text.h"

#include <cmath>

#include <fmt/format.h>

namespace fanout {

std::string FormatSeconds(double seconds) {
  if (seconds < 0 || std::isnan(seconds)) return "-";
  if (seconds < 60) return fmt::format("{:.1f}s", seconds);
  auto whole = static_cast<std::int64_t>(std::llround(seconds));
  if (whole < 3600) return fmt::format("{}m{:02}s", whole / 60, whole % 60);
  return fmt::format("{}h{:02}m", whole / 3600, (whole % 3600) / 60);
}

std::string FormatSize(std::uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes) / 1024;
  int unit = 0;
  while (v >= 1024 && unit < 3) {
    v /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", v, kUnits[unit]);
}

namespace {

/// Length of the valid UTF-8 sequence starting at s[i] that encodes an XML 1.0 character,
/// or 0 when it is invalid (or a surrogate, or U+FFFE/U+FFFF).
size_t Utf8Length(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t len;
  std::uint32_t cp;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) {
    len = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  static const std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF) return 0;  // overlong or out of range
  if (cp >= 0xD800 && cp <= 0xDFFF) return 0;     // surrogates
  if (cp == 0xFFFE || cp == 0xFFFF) return 0;     // not XML characters
  return len;
}

/// Skips an escape sequence starting at s[i] == ESC; returns the index after it.
size_t SkipEscape(std::string_view s, size_t i) {
  ++i;
  if (i >= s.size()) return i;
  if (s[i] == '[') {  // CSI: parameters and intermediates, then one final byte @..~
    ++i;
    while (i < s.size() && !(s[i] >= 0x40 && s[i] <= 0x7E)) ++i;
    return i < s.size() ? i + 1 : i;
  }
  if (s[i] == ']') {  // OSC: up to BEL or ESC backslash
    ++i;
    while (i < s.size() && s[i] != '\a' &&
           !(s[i] == '\x1b' && i + 1 < s.size() && s[i + 1] == '\\'))
      ++i;
    if (i < s.size()) i += s[i] == '\a' ? 1 : 2;
    return i;
  }
  return i + 1;  // a two-byte escape
}

}  // namespace

std::string SanitizeLogText(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0x1b) {
      i = SkipEscape(s, i);
      continue;
    }
    if (c == '\r') {
      out += '\n';
      i += (i + 1 < s.size() && s[i + 1] == '\n') ? 2 : 1;
      continue;
    }
    if (c < 0x20 && c != '\n' && c != '\t') {
      ++i;
      continue;
    }
    if (c == 0x7f) {
      ++i;
      continue;
    }
    size_t len = Utf8Length(s, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
      continue;
    }
    out.append(s.substr(i, len));
    i += len;
  }
  return out;
}

}  // namespace fanout
