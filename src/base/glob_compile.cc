// Glob::Compile: the pattern dialect of base/glob.h, parsed the way git's wildmatch reads it,
// into the segments that base/glob.cc matches.
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
        members[static_cast<unsigned char>('[')] = true;
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
          // Built by appending: GCC 12 at -O3 reports a -Wrestrict false positive on
          // "'" + std::string(...) (GCC bug 105329).
          std::string message(1, '\'');
          message.append(run, '*');
          message +=
              "' is ambiguous; write '**' (any number of directories) or '*' "
              "(within one segment)";
          return error(i, message);
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

}  // namespace fanout
