// The value syntaxes of the description format: durations ("1h30m"), byte sizes ("4G"),
// integers, and the names of targets, pools and environment variables.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fanout {

/// Parses a decimal integer with an optional sign ("42", "-3", "+7"); nullopt when malformed
/// or out of the range of int64.
std::optional<std::int64_t> ParseInteger(std::string_view text);

/// Parses a duration: a bare number of seconds ("90") or h, m and s units in that order, each
/// at most once ("90s", "30m", "1h30m", "2h5m10s"). Returns the seconds, or nullopt when the
/// text is malformed or too large. "0" and "0s" parse to 0; callers reject them.
std::optional<std::int64_t> ParseDuration(std::string_view text);

/// Parses a size in bytes: a number with an optional K, M, G or T suffix (either case),
/// powers of 1024 ("4G" is 4 * 1024^3). Returns nullopt when malformed or too large.
std::optional<std::uint64_t> ParseByteSize(std::string_view text);

/// Writes a size as the description would: the largest of T, G, M and K that divides it
/// ("64M", "1536K"), else bytes ("1000").
std::string FormatByteSize(std::uint64_t bytes);

/// Whether `name` may name a target or a pool: `[A-Za-z0-9][A-Za-z0-9._-]*`. Its length is
/// checked apart (kMaxNameLength), so the error can say which rule it broke.
bool IsValidName(std::string_view name);

/// The longest name of a target or pool, in bytes. A target's name is a file name in the
/// build directory, with suffixes (`.fanout/stamps/NAME.stamp`, and a temporary name's
/// `.tmp.PID.RANDOM` while it is written), and file names end at 255 bytes (NAME_MAX); 128 is
/// also the longest Docker tag, which `{target}` may fill.
inline constexpr std::size_t kMaxNameLength = 128;

/// Whether `name` is a valid environment variable name: `[A-Za-z_][A-Za-z0-9_]*`.
bool IsValidEnvName(std::string_view name);

}  // namespace fanout
