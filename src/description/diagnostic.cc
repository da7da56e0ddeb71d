#include "description/diagnostic.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

namespace fanout {
namespace {

/// The 1-based `line` of `source` without its line break; empty when out of range.
std::string_view SourceLine(std::string_view source, int line) {
  std::size_t start = 0;
  for (int i = 1; i < line; ++i) {
    const std::size_t nl = source.find('\n', start);
    if (nl == std::string_view::npos) return {};
    start = nl + 1;
  }
  if (start >= source.size()) return {};
  std::size_t end = source.find('\n', start);
  if (end == std::string_view::npos) end = source.size();
  std::string_view text = source.substr(start, end - start);
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  return text;
}

/// Spaces (tabs where the source has tabs) up to the 1-based character `column`, then '^'.
/// Columns count characters, as libyaml does, so UTF-8 continuation bytes are skipped.
std::string CaretLine(std::string_view text, int column) {
  std::string out;
  int chars = 0;
  for (char c : text) {
    if (chars >= column - 1) break;
    if ((static_cast<unsigned char>(c) & 0xC0) == 0x80) continue;
    out += c == '\t' ? '\t' : ' ';
    ++chars;
  }
  out += '^';
  return out;
}

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions), ignoring
/// case: "dokcer" is one edit from "docker". Gives up with `limit + 1` once every alignment
/// costs more than `limit`. `rows` is scratch space, reused across calls.
std::size_t EditDistance(std::string_view a, std::string_view b, std::size_t limit,
                         std::vector<std::size_t>* rows) {
  const std::size_t m = b.size();
  rows->assign(3 * (m + 1), 0);
  std::size_t* before = rows->data();  // row i - 2
  std::size_t* prev = before + m + 1;  // row i - 1
  std::size_t* cur = prev + m + 1;     // row i
  for (std::size_t j = 0; j <= m; ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    std::size_t row_min = cur[0];
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = Lower(a[i - 1]) == Lower(b[j - 1]) ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && Lower(a[i - 1]) == Lower(b[j - 2]) &&
          Lower(a[i - 2]) == Lower(b[j - 1])) {
        cur[j] = std::min(cur[j], before[j - 2] + 1);
      }
      row_min = std::min(row_min, cur[j]);
    }
    if (row_min > limit) return limit + 1;
    std::swap(before, prev);  // rotate: before <- prev <- cur <- (old before)
    std::swap(prev, cur);
  }
  return prev[m];
}

}  // namespace

std::string FormatDiagnostic(const Diagnostic& diag, std::string_view source) {
  // Appends piece by piece rather than `out += ":" + std::to_string(...)`: besides saving the
  // temporaries, GCC 12 at -O3 reports a -Wrestrict false positive on the inlined
  // operator+(const char*, std::string&&) (GCC bug 105329).
  std::string out = diag.file;
  if (diag.mark.line > 0) {
    out += ':';
    out += std::to_string(diag.mark.line);
    if (diag.mark.column > 0) {
      out += ':';
      out += std::to_string(diag.mark.column);
    }
  }
  out += diag.severity == Severity::kWarning ? ": warning: " : ": error: ";
  out += diag.message;
  out += '\n';
  if (diag.mark.line > 0) {
    const std::string_view text = SourceLine(source, diag.mark.line);
    if (!text.empty()) {
      out.append(text);
      out += '\n';
      if (diag.mark.column > 0) {
        out += CaretLine(text, diag.mark.column);
        out += '\n';
      }
    }
  }
  for (const std::string& note : diag.notes) {
    out += note;
    out += '\n';
  }
  return out;
}

std::string SuggestName(std::string_view name, const std::vector<std::string>& candidates) {
  // Close enough: about one edit in three characters, and never a complete rewrite.
  const std::size_t limit = std::max<std::size_t>(1, (name.size() + 2) / 3);
  std::string best;
  std::size_t best_distance = limit + 1;
  std::vector<std::size_t> rows;
  for (const std::string& candidate : candidates) {
    // The distance is at least the difference in length: skip hopeless candidates cheaply.
    const std::size_t gap = candidate.size() > name.size() ? candidate.size() - name.size()
                                                           : name.size() - candidate.size();
    if (gap > limit) continue;
    const std::size_t distance = EditDistance(name, candidate, limit, &rows);
    if (distance >= std::max(name.size(), candidate.size())) continue;
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

}  // namespace fanout
