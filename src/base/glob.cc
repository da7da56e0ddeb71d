#include "base/glob.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "base/go_imports.h"
#include "base/python_imports.h"

namespace fanout {

namespace {

// Byte equality for the short strings of path segments, where a call to memcmp costs more
// than the compare.
inline bool SameBytes(const char* a, const char* b, std::size_t n) {
  if (n > 16) return std::memcmp(a, b, n) == 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

}  // namespace

bool Glob::Matches(std::string_view path) const {
  // git first compares the pattern text itself with the path, whatever its wildcards
  // (dir.c match_pathspec_item): an exact match, or the path lies under it.
  // For a glob, the path must then hold the first wildcard character itself: test that first.
  const std::size_t len = pattern_.size();
  if (path.size() >= len && path[first_special_] == pattern_[first_special_] &&
      SameBytes(path.data(), pattern_.data(), len) &&
      (path.size() == len || pattern_[len - 1] == '/' || path[len] == '/')) {
    return true;
  }
  if (literal_) return false;
  std::size_t cur = 0;
  if (const std::size_t k = literal_prefix_.size(); k != 0) {
    if (path.size() <= k || path[k] != '/' || !SameBytes(path.data(), literal_prefix_.data(), k)) {
      return false;
    }
    cur = k + 1;
  }
  return MatchSegments(prefix_segments_, path, cur);
}

// Matches segments_[pi...] against the path's segments from offset `cur` on. The segments
// after the last "**" must match the path's last segments, so they are checked first, from
// the end: most paths fail there (`**/*.go` against `a/b.md`) at the cost of one compare. In
// between, "**" is a star over whole segments; the last one seen is the only backtrack point
// needed, as with '*' in a string.
bool Glob::MatchSegments(std::size_t pi, std::string_view path, std::size_t cur) const {
  const char* data = path.data();
  std::size_t end = path.size();  // the unmatched segments lie in [cur, end)
  bool any_left = true;           // at least one segment (maybe empty) lies there
  std::size_t pend = segments_.size();
  for (std::size_t k = 0; k < tail_count_; ++k) {
    if (!any_left) return false;
    std::size_t start = end;
    while (start > cur && data[start - 1] != '/') --start;
    if (!MatchSegment(segments_[--pend], path.substr(start, end - start))) return false;
    if (start > cur) {
      end = start - 1;
    } else {
      any_left = false;
    }
  }
  auto segment_end = [&](std::size_t from) {
    const void* slash = std::memchr(data + from, '/', end - from);
    return slash ? static_cast<std::size_t>(static_cast<const char*>(slash) - data) : end;
  };
  constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();
  std::size_t star_pi = kNone, star_cur = 0;
  while (any_left) {
    if (pi < pend && segments_[pi].kind == SegmentKind::kGlobStar) {
      if (pi + 1 == pend) return true;  // a last "**" takes whatever is left
      star_pi = pi++;
      star_cur = cur;
      continue;
    }
    const std::size_t seg_end = segment_end(cur);
    if (pi < pend && MatchSegment(segments_[pi], path.substr(cur, seg_end - cur))) {
      ++pi;
      if (seg_end == end) {
        any_left = false;
      } else {
        cur = seg_end + 1;
      }
      continue;
    }
    if (star_pi == kNone) return false;
    const std::size_t star_end = segment_end(star_cur);  // "**" takes one more segment
    if (star_end == end) {
      any_left = false;
    } else {
      star_cur = star_end + 1;
    }
    cur = star_cur;
    pi = star_pi + 1;
  }
  while (pi < pend && segments_[pi].kind == SegmentKind::kGlobStar) ++pi;
  return pi == pend;
}

bool Glob::MatchSegment(const Segment& seg, std::string_view text) const {
  switch (seg.kind) {
    case SegmentKind::kLiteral:
      return text.size() == seg.a_len &&
             SameBytes(text.data(), text_.data() + seg.a_begin, seg.a_len);
    case SegmentKind::kAny:
      return true;
    case SegmentKind::kPrefixSuffix:
      return text.size() >= std::size_t{seg.a_len} + seg.b_len &&
             SameBytes(text.data(), text_.data() + seg.a_begin, seg.a_len) &&
             SameBytes(text.data() + text.size() - seg.b_len, text_.data() + seg.b_begin,
                       seg.b_len);
    case SegmentKind::kWild:
      return MatchTokens(seg, text);
    case SegmentKind::kGlobStar:
      return true;
  }
  return false;
}

// '*' within one segment, with '?', classes and literal bytes each taking exactly one byte:
// greedy with one backtrack point (the last '*') is exact.
bool Glob::MatchTokens(const Segment& seg, std::string_view text) const {
  const Token* toks = tokens_.data() + seg.tok_begin;
  const std::size_t nt = seg.tok_end - seg.tok_begin;
  constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();
  std::size_t ti = 0, si = 0, star_ti = kNone, star_si = 0;
  while (si < text.size()) {
    if (ti < nt) {
      const Token& t = toks[ti];
      const auto c = static_cast<unsigned char>(text[si]);
      if (t.kind == TokenKind::kStar) {
        star_ti = ti++;
        star_si = si;
        continue;
      }
      bool ok = false;
      switch (t.kind) {
        case TokenKind::kChar:
          ok = c == t.ch;
          break;
        case TokenKind::kAnyChar:
          ok = true;
          break;
        case TokenKind::kClass:
          ok = (classes_[t.cls][c >> 6] >> (c & 63)) & 1;
          break;
        case TokenKind::kStar:
          break;
      }
      if (ok) {
        ++ti;
        ++si;
        continue;
      }
    }
    if (star_ti == kNone) return false;
    ti = star_ti + 1;
    si = ++star_si;
  }
  while (ti < nt && toks[ti].kind == TokenKind::kStar) ++ti;
  return ti == nt;
}

Expected<PathFilter::ContextIgnore> PathFilter::ReadIgnore(std::size_t index,
                                                           std::string_view context,
                                                           std::string_view dockerfile,
                                                           const TreeFileReader& read) {
  ContextIgnore ignore{context == "." ? "" : std::string(context), DockerIgnore()};
  for (const std::string& file : DockerignoreFiles(context, dockerfile)) {
    Expected<std::optional<std::string>> text = read(file);
    if (!text.ok()) return MakeError(std::to_string(index) + ":0:" + text.error().message);
    if (!*text) continue;
    Expected<DockerIgnore> rules = DockerIgnore::Parse(**text);
    if (!rules.ok()) {
      return MakeError(std::to_string(index) + ":0:" + file + ":" + rules.error().message +
                       "; fix the line (docs/images.md says how the engine reads it)");
    }
    ignore.rules = std::move(*rules);
    break;
  }
  return ignore;
}

Expected<std::vector<Glob>> PathFilter::DockerfileIncludes(std::size_t index,
                                                           std::string_view context,
                                                           std::string_view dockerfile,
                                                           const TreeFileReader& read) {
  const std::string df(dockerfile);
  const std::string prefix = context == "." ? "" : std::string(context) + "/";
  std::vector<std::pair<std::string, std::string>> derived;  // pattern, origin
  derived.emplace_back(df, "inputs_from: the Dockerfile");
  for (std::string& file : DockerignoreFiles(context, dockerfile)) {
    derived.emplace_back(std::move(file), "inputs_from: where " + df + "'s .dockerignore can be");
  }
  Expected<std::optional<std::string>> text = read(df);
  if (!text.ok()) return MakeError(std::to_string(index) + ":0:" + text.error().message);
  const std::string whole = prefix + "**";
  if (!*text) {
    derived.emplace_back(whole, "inputs_from: " + df + " does not exist, so the whole context");
  } else {
    const DockerfileSources sources = ParseDockerfileSources(**text);
    if (sources.whole_context) {
      derived.emplace_back(whole, "inputs_from: " + df + ":" + sources.notes.front());
    } else {
      for (const DockerfileSource& s : sources.sources) {
        const std::string origin = fmt::format("inputs_from: {}:{} {}", df, s.line, s.instruction);
        // A literal path also matches what lies under it; a pattern may match directories too.
        derived.emplace_back(prefix + s.path, origin);
        if (s.path.find_first_of("*?[\\") != std::string::npos) {
          derived.emplace_back(prefix + s.path + "/**", origin);
        }
      }
    }
  }
  std::vector<Glob> out;
  for (auto& [pattern, origin] : derived) {
    Expected<Glob> glob = Glob::Compile(pattern);
    if (!glob.ok()) {
      // A source that is no pattern of ours (Go's filepath.Match differs at the edges): the
      // whole context stands in for it.
      glob = Glob::Compile(whole);
      origin += fmt::format(" ('{}' is not a pattern fanout reads, so the whole context)",
                            pattern.substr(prefix.size()));
      if (!glob.ok()) return MakeError(std::to_string(index) + ":" + glob.error().message);
    }
    glob->origin_ = std::move(origin);
    out.push_back(std::move(glob).value());
  }
  return out;
}

Expected<PathFilter> PathFilter::Compile(const std::vector<std::string>& patterns,
                                         const TreeFileReader& read) {
  PathFilter filter;
  std::optional<PythonAstReader> python;  // started by the first Python marker, if any
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    std::string_view pattern = patterns[i];
    if (IsPythonMarker(pattern)) {
      if (!read) {
        return MakeError(std::to_string(i) + ":0:'" + std::string(pattern) +
                         "' is fanout's own pattern for inputs_from and cannot be read here; "
                         "run 'fanout gen' again");
      }
      if (!python) python.emplace();
      Expected<std::vector<DerivedPattern>> derived =
          PythonImportInputs(pattern.substr(kPythonMagic.size()), read, &*python);
      if (!derived.ok()) return MakeError(std::to_string(i) + ":0:" + derived.error().message);
      FANOUT_TRY(filter.AddDerived(i, std::move(*derived)));
      continue;
    }
    if (IsGoMarker(pattern)) {
      if (!read || !read.can_list()) {
        return MakeError(std::to_string(i) + ":0:'" + std::string(pattern) +
                         "' is fanout's own pattern for inputs_from and cannot be read here; "
                         "run 'fanout gen' again");
      }
      Expected<std::vector<DerivedPattern>> derived =
          GoPackageInputs(pattern.substr(kGoMagic.size()), read);
      if (!derived.ok()) return MakeError(std::to_string(i) + ":0:" + derived.error().message);
      FANOUT_TRY(filter.AddDerived(i, std::move(*derived)));
      continue;
    }
    const bool dockerignore = IsDockerignoreMarker(pattern);
    if (dockerignore || IsDockerfileMarker(pattern)) {
      const std::string_view body =
          pattern.substr((dockerignore ? kDockerignoreMagic : kDockerfileMagic).size());
      const std::size_t sep = body.find("//");
      if (sep == std::string_view::npos || !read) {
        return MakeError(
            std::to_string(i) + ":0:'" + std::string(pattern) + "' is fanout's own pattern for " +
            (dockerignore ? "a .dockerignore " : "inputs_from ") +
            (read ? "and is malformed" : "and cannot be read here") + "; run 'fanout gen' again");
      }
      const std::string_view context = body.substr(0, sep), dockerfile = body.substr(sep + 2);
      if (!dockerignore) {
        Expected<std::vector<Glob>> globs = DockerfileIncludes(i, context, dockerfile, read);
        if (!globs.ok()) return globs.error();
        for (Glob& g : *globs) filter.includes_.push_back(std::move(g));
      }
      Expected<ContextIgnore> ignore = ReadIgnore(i, context, dockerfile, read);
      if (!ignore.ok()) return ignore.error();
      filter.ignores_.push_back(std::move(*ignore));
      continue;
    }
    const bool exclude = !pattern.empty() && pattern[0] == '!';
    if (exclude && pattern.size() == 1) {
      return MakeError(std::to_string(i) + ":1:expected a pattern after '!'");
    }
    Expected<Glob> glob =
        exclude ? Glob::CompileAt(pattern.substr(1), 1) : Glob::CompileAt(pattern, 0);
    if (!glob.ok()) return MakeError(std::to_string(i) + ":" + glob.error().message);
    (exclude ? filter.excludes_ : filter.includes_).push_back(std::move(glob).value());
  }
  return filter;
}

std::string EscapeGlob(std::string_view path) {
  std::string out;
  for (char c : path) {
    if (c == '*' || c == '?' || c == '[' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

Status PathFilter::AddDerived(std::size_t index, std::vector<DerivedPattern> derived) {
  for (DerivedPattern& d : derived) {
    Expected<Glob> glob = Glob::Compile(d.pattern);
    if (!glob.ok()) return MakeError(std::to_string(index) + ":" + glob.error().message);
    glob->origin_ = std::move(d.origin);
    includes_.push_back(std::move(glob).value());
  }
  return {};
}

Status TreeFileReader::List(const std::string& dir, const EachFile& each) const {
  if (!list_) return MakeError("this tree's files cannot be listed here");
  return list_(dir, each);
}

bool PathFilter::Matches(std::string_view path) const {
  bool included = false;
  for (const Glob& g : includes_) {
    if (g.Matches(path)) {
      included = true;
      break;
    }
  }
  if (!included) return false;
  for (const Glob& g : excludes_) {
    if (g.Matches(path)) return false;
  }
  return ignores_.empty() || !Ignored(path);
}

bool PathFilter::Ignored(std::string_view path) const {
  for (const ContextIgnore& ignore : ignores_) {
    std::string_view rel = path;
    if (!ignore.context.empty()) {
      if (path.size() <= ignore.context.size() || path[ignore.context.size()] != '/' ||
          path.substr(0, ignore.context.size()) != ignore.context) {
        continue;
      }
      rel.remove_prefix(ignore.context.size() + 1);
    }
    if (ignore.rules.Sends(rel)) continue;
    for (const Glob& g : includes_) {
      if (g.is_literal() && g.pattern() == path) return false;  // named on purpose: kept
    }
    return true;
  }
  return false;
}

}  // namespace fanout
