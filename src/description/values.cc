#include "description/values.h"

#include <algorithm>
#include <charconv>
#include <cstdint>

namespace fanout {
namespace {

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::optional<std::int64_t> ParseInteger(std::string_view s) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

std::optional<std::int64_t> ParseDuration(std::string_view text) {
  constexpr std::size_t kMaxDigits = 12;  // keeps every sum far from overflow
  if (IsDigits(text)) {
    if (text.size() > kMaxDigits) return std::nullopt;
    return ParseInteger(text);
  }
  std::int64_t total = 0;
  int last_rank = 3;  // h=2, m=1, s=0: each unit at most once, largest first
  std::size_t pos = 0;
  if (text.empty()) return std::nullopt;
  while (pos < text.size()) {
    std::size_t digits_end = pos;
    while (digits_end < text.size() && text[digits_end] >= '0' && text[digits_end] <= '9') {
      ++digits_end;
    }
    if (digits_end == pos || digits_end - pos > kMaxDigits || digits_end == text.size()) {
      return std::nullopt;
    }
    const std::int64_t n = *ParseInteger(text.substr(pos, digits_end - pos));
    const char unit = text[digits_end];
    const int rank = unit == 'h' ? 2 : unit == 'm' ? 1 : unit == 's' ? 0 : -1;
    if (rank < 0 || rank >= last_rank) return std::nullopt;
    last_rank = rank;
    total += n * (rank == 2 ? 3600 : rank == 1 ? 60 : 1);
    pos = digits_end + 1;
  }
  return total;
}

std::optional<std::uint64_t> ParseByteSize(std::string_view text) {
  int shift = 0;
  if (!text.empty()) {
    switch (text.back()) {
      case 'K':
      case 'k':
        shift = 10;
        break;
      case 'M':
      case 'm':
        shift = 20;
        break;
      case 'G':
      case 'g':
        shift = 30;
        break;
      case 'T':
      case 't':
        shift = 40;
        break;
      default:
        break;
    }
  }
  if (shift) text.remove_suffix(1);
  if (!IsDigits(text)) return std::nullopt;
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (n > (UINT64_MAX >> shift)) return std::nullopt;
  return n << shift;
}

std::string FormatByteSize(std::uint64_t bytes) {
  static const struct {
    int shift;
    char unit;
  } kUnits[] = {{40, 'T'}, {30, 'G'}, {20, 'M'}, {10, 'K'}};
  for (const auto& u : kUnits) {
    const std::uint64_t size = std::uint64_t{1} << u.shift;
    if (bytes != 0 && bytes % size == 0) return std::to_string(bytes / size) + u.unit;
  }
  return std::to_string(bytes);
}

bool IsValidName(std::string_view name) {
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (name.empty() || !alnum(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return alnum(c) || c == '.' || c == '_' || c == '-'; });
}

bool IsValidEnvName(std::string_view name) {
  auto word = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), word);
}

}  // namespace fanout
