#include "base/glob.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

namespace fanout {

namespace {

// git's is_glob_special(): a pattern without these is a literal path (pathspec.c
// simple_length()), and matches that path and everything under it.
bool IsGlobSpecial(char c) { return c == '*' || c == '?' || c == '[' || c == '\\'; }

bool IsAsciiAlpha(unsigned c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAsciiDigit(unsigned c) { return c >= '0' && c <= '9'; }

// The POSIX classes as git's wildmatch sees them: ASCII only, through git's own ctype table
// (ctype.c), where space is only "\t\n\r " and nothing at or above 0x80 is in any class.
bool InNamedClass(std::string_view name, unsigned c, bool* known) {
  *known = true;
  if (name == "alnum") return IsAsciiAlpha(c) || IsAsciiDigit(c);
  if (name == "alpha") return IsAsciiAlpha(c);
  if (name == "blank") return c == ' ' || c == '\t';
  if (name == "cntrl") return c < 0x20 || c == 0x7f;
  if (name == "digit") return IsAsciiDigit(c);
  if (name == "graph") return c > 0x20 && c < 0x7f;
  if (name == "lower") return c >= 'a' && c <= 'z';
  if (name == "print") return c >= 0x20 && c < 0x7f;
  if (name == "punct") return c > 0x20 && c < 0x7f && !IsAsciiAlpha(c) && !IsAsciiDigit(c);
  if (name == "space") return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  if (name == "upper") return c >= 'A' && c <= 'Z';
  if (name == "xdigit") {
    return IsAsciiDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }
  *known = false;
  return false;
}

// Byte equality for the short strings of path segments, where a call to memcmp costs more
// than the compare.
inline bool SameBytes(const char* a, const char* b, std::size_t n) {
  if (n > 16) return std::memcmp(a, b, n) == 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

Error ColumnError(std::size_t column, std::string_view message) {
  return MakeError(std::to_string(column) + ":" + std::string(message));
}

// Parses the character class opening at pattern[open] == '[' exactly as git's wildmatch walks
// it (']' first is literal, '!' or '^' negates, "a-z" ranges, "[:alpha:]" names, '\' escapes;
// a "[:" without a closing ":]" is a literal '['), so the class ends where git's ends. On
// success sets *set (never containing '/', which a class cannot match under WM_PATHNAME) and
// *close to the index of the closing ']'.
Status ParseClass(std::string_view pattern, std::size_t open, std::size_t column_base,
                  std::array<std::uint64_t, 4>* set, std::size_t* close) {
  auto at = [&](std::size_t i) -> unsigned char {
    return i < pattern.size() ? static_cast<unsigned char>(pattern[i]) : 0;
  };
  auto unclosed = [&] {
    return ColumnError(column_base + open, "unclosed '[' (write '\\[' for a literal '[')");
  };
  bool members[256] = {};
  std::size_t p = open + 1;
  unsigned char p_ch = at(p);
  if (p_ch == '^') p_ch = '!';
  const bool negated = p_ch == '!';
  if (negated) p_ch = at(++p);
  unsigned char prev_ch = 0;
  std::size_t item = p;       // where the current item starts
  std::size_t prev_item = p;  // where the previous item started
  do {
    if (!p_ch) return unclosed();
    if (p_ch == '\\') {
      p_ch = at(++p);
      if (!p_ch) return unclosed();
      members[p_ch] = true;
    } else if (p_ch == '-' && prev_ch && at(p + 1) && at(p + 1) != ']') {
      p_ch = at(++p);
      if (p_ch == '\\') {
        p_ch = at(++p);
        if (!p_ch) return unclosed();
      }
      if (prev_ch > p_ch) {
        std::string range(pattern.substr(prev_item, p + 1 - prev_item));
        return ColumnError(column_base + prev_item,
                           "reversed range '" + range + "' in '[...]' matches nothing");
      }
      for (unsigned c = prev_ch; c <= p_ch; ++c) members[c] = true;
      p_ch = 0;  // a range cannot start where one ended
    } else if (p_ch == '[' && at(p + 1) == ':') {
      const std::size_t name_begin = p += 2;
      while ((p_ch = at(p)) && p_ch != ']') ++p;
      if (!p_ch) return unclosed();
      if (p < name_begin + 1 || at(p - 1) != ':') {
        // No ":]": git takes the '[' as an ordinary member and goes on after it.
        p = name_begin - 2;
        p_ch = '[';
        members['['] = true;
        prev_item = item;
        item = p + 1;
        continue;
      }
      const std::string_view name = pattern.substr(name_begin, p - 1 - name_begin);
      bool known = false;
      InNamedClass(name, 'a', &known);
      if (!known) {
        return ColumnError(column_base + name_begin - 2,
                           "unknown character class '[:" + std::string(name) +
                               ":]' (known: alnum alpha blank cntrl digit graph lower print "
                               "punct space upper xdigit)");
      }
      for (unsigned c = 0; c < 256; ++c) {
        if (InNamedClass(name, c, &known)) members[c] = true;
      }
      p_ch = 0;
    } else {
      members[p_ch] = true;
    }
    prev_item = item;
    item = p + 1;
  } while (prev_ch = p_ch, (p_ch = at(++p)) != ']');

  set->fill(0);
  for (unsigned c = 1; c < 256; ++c) {
    if (members[c] != negated && c != '/') (*set)[c >> 6] |= std::uint64_t{1} << (c & 63);
  }
  *close = p;
  return {};
}

}  // namespace

Expected<Glob> Glob::Compile(std::string_view pattern) { return CompileAt(pattern, 0); }

Expected<Glob> Glob::CompileAt(std::string_view pattern, std::size_t column_base) {
  auto error = [&](std::size_t column, std::string_view message) {
    return ColumnError(column_base + column, message);
  };
  const std::size_t n = pattern.size();
  if (n == 0) return error(0, "empty pattern");
  if (n > std::numeric_limits<std::uint32_t>::max() / 2) return error(0, "pattern too long");
  if (const std::size_t nul = pattern.find('\0'); nul != std::string_view::npos) {
    return error(nul, "NUL character in pattern");
  }
  if (pattern[0] == '/') {
    return error(0,
                 "absolute path: patterns are relative to the repository root; drop the "
                 "leading '/'");
  }

  Glob glob;
  glob.pattern_ = std::string(pattern);
  glob.literal_ = true;
  for (std::size_t i = n; i-- > 0;) {
    if (IsGlobSpecial(pattern[i])) {
      glob.literal_ = false;
      glob.first_special_ = i;
    }
  }

  // Split into segments at every '/' outside a class, checking each as it ends.
  // The current segment's tokens, in a buffer kept across calls: a description compiles
  // thousands of short patterns.
  static thread_local std::vector<Token> toks;
  toks.clear();
  glob.segments_.reserve(static_cast<std::size_t>(std::count(pattern.begin(), pattern.end(), '/')) +
                         2);
  std::size_t seg_start = 0;
  bool seg_special = false;  // the segment's raw text has a glob character
  bool seg_globstar = false;
  bool prefix_open = true;  // every segment so far is plain literal text
  auto finish_segment = [&](std::size_t end) -> Status {
    if (end == seg_start) return error(end, "empty path segment ('//')");
    Segment seg;
    if (seg_globstar) {
      seg.kind = SegmentKind::kGlobStar;
      glob.segments_.push_back(seg);
      prefix_open = false;
      return {};
    }
    std::size_t stars = 0, specials = 0;
    for (const Token& t : toks) {
      if (t.kind == TokenKind::kStar) ++stars;
      if (t.kind != TokenKind::kChar) ++specials;
    }
    auto append_text = [&](std::size_t from, std::size_t to, std::uint32_t* begin,
                           std::uint32_t* len) {
      *begin = static_cast<std::uint32_t>(glob.text_.size());
      for (std::size_t i = from; i < to; ++i) glob.text_.push_back(static_cast<char>(toks[i].ch));
      *len = static_cast<std::uint32_t>(to - from);
    };
    if (specials == 0) {
      seg.kind = SegmentKind::kLiteral;
      append_text(0, toks.size(), &seg.a_begin, &seg.a_len);
      const std::string_view text(glob.text_.data() + seg.a_begin, seg.a_len);
      if (text == ".") {
        return error(seg_start,
                     "'.' segment: patterns are relative to the repository root; "
                     "remove it");
      }
      if (text == "..") {
        return error(seg_start,
                     "'..' segment: patterns cannot leave the repository root; write the "
                     "path from the root");
      }
    } else if (specials == 1 && stars == 1) {
      std::size_t star = 0;
      while (toks[star].kind != TokenKind::kStar) ++star;
      seg.kind = toks.size() == 1 ? SegmentKind::kAny : SegmentKind::kPrefixSuffix;
      append_text(0, star, &seg.a_begin, &seg.a_len);
      append_text(star + 1, toks.size(), &seg.b_begin, &seg.b_len);
    } else {
      seg.kind = SegmentKind::kWild;
      seg.tok_begin = static_cast<std::uint32_t>(glob.tokens_.size());
      glob.tokens_.insert(glob.tokens_.end(), toks.begin(), toks.end());
      seg.tok_end = static_cast<std::uint32_t>(glob.tokens_.size());
    }
    glob.segments_.push_back(seg);
    if (prefix_open && !seg_special && end < n) {
      glob.prefix_segments_ = glob.segments_.size();
      glob.literal_prefix_ = std::string(pattern.substr(0, end));
    } else {
      prefix_open = false;
    }
    return {};
  };

  for (std::size_t i = 0; i < n;) {
    const char c = pattern[i];
    if (c == '/') {
      if (Status s = finish_segment(i); !s.ok()) return s.error();
      toks.clear();
      seg_start = ++i;
      seg_special = seg_globstar = false;
      continue;
    }
    if (IsGlobSpecial(c)) seg_special = true;
    Token tok;
    switch (c) {
      case '\\':
        if (i + 1 == n) return error(i, "trailing '\\' escapes nothing");
        if (pattern[i + 1] == '/') return error(i, "a '/' cannot be escaped; write '/'");
        tok.ch = static_cast<unsigned char>(pattern[i + 1]);
        i += 2;
        break;
      case '?':
        tok.kind = TokenKind::kAnyChar;
        ++i;
        break;
      case '*': {
        std::size_t run = 1;
        while (i + run < n && pattern[i + run] == '*') ++run;
        if (run == 1) {
          tok.kind = TokenKind::kStar;
          ++i;
          break;
        }
        const bool whole = i == seg_start && (i + run == n || pattern[i + run] == '/');
        if (run > 2) {
          return error(i, "'" + std::string(run, '*') +
                              "' is ambiguous; write '**' (any number of directories) or '*' "
                              "(within one segment)");
        }
        if (!whole) {
          return error(i,
                       "'**' must be a whole path segment, as in 'a/**/b'; use '*' to "
                       "match within one segment");
        }
        seg_globstar = true;
        i += 2;
        continue;
      }
      case '[': {
        std::size_t close = 0;
        CharSet set;
        if (Status s = ParseClass(pattern, i, column_base, &set, &close); !s.ok()) {
          return s.error();
        }
        tok.kind = TokenKind::kClass;
        tok.cls = static_cast<std::uint16_t>(glob.classes_.size());
        if (glob.classes_.size() == std::numeric_limits<std::uint16_t>::max()) {
          return error(i, "too many '[...]' classes in one pattern");
        }
        glob.classes_.push_back(set);
        i = close + 1;
        break;
      }
      default:
        tok.ch = static_cast<unsigned char>(c);
        ++i;
        break;
    }
    toks.push_back(tok);
  }

  if (seg_start == n) {
    // A trailing '/': git then matches only what is under the named directory. After a
    // wildcard that is never a file, so say so rather than match nothing.
    if (!glob.literal_) {
      return error(n - 1,
                   "a trailing '/' after a wildcard matches no file (git matches only "
                   "directories there); drop it, or end with '/**' for the files under them");
    }
  } else if (Status s = finish_segment(n); !s.ok()) {
    return s.error();
  }

  // A trailing "**" needs at least one segment (`a/**` does not match `a`): make it "*/**".
  if (glob.segments_.back().kind == SegmentKind::kGlobStar) {
    Segment any;
    any.kind = SegmentKind::kAny;
    glob.segments_.insert(glob.segments_.end() - 1, any);
  }
  for (std::size_t i = glob.segments_.size(); i-- > glob.prefix_segments_;) {
    if (glob.segments_[i].kind == SegmentKind::kGlobStar) {
      glob.tail_count_ = glob.segments_.size() - 1 - i;
      break;
    }
  }
  return glob;
}

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

Expected<PathFilter> PathFilter::Compile(const std::vector<std::string>& patterns) {
  PathFilter filter;
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    std::string_view pattern = patterns[i];
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
  return true;
}

}  // namespace fanout
