// The glob dialect (docs/format.md): paths relative to the repository root with '/', `*` and `?`
// within one segment, `[...]` classes, `**` any number of segments, a literal pattern naming a
// directory matches everything under it, a leading '!' excludes. The meaning is git's
// `:(glob)` pathspec (with `:(glob,exclude)` for '!'), and the tests check it against git.
//
// Git's rules that a reader might not guess, all kept here because git keeps them:
// - A pattern with none of `*?[\` names a path: it matches that path and everything under it
//   (`pkg` matches `pkg` and `pkg/a.go`, not `pkgs/a.go`); with a trailing '/' (`pkg/`) only
//   what is under it.
// - Any pattern also matches, character for character, the path spelled exactly like it and
//   everything under that path: `foo[1].txt` matches the file `foo[1].txt` as well as
//   `foo1.txt`.
// - A backslash escape makes the pattern a glob: `pkg\.go` matches the file `pkg.go` but not
//   `pkg.go/x`.
// - Matching is by bytes: `?` matches one byte, so `caf?` does not match `café` (two bytes
//   for 'é'); `[...]` classes are ASCII (`[:alpha:]` and friends included).
// Patterns whose git meaning is surprising or empty are errors instead (see Compile).
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "base/dockerfile_sources.h"
#include "base/dockerignore.h"
#include "base/expected.h"

namespace fanout {

/// One compiled pattern (without the leading '!'). Cheap to match: no allocation per match.
class Glob {
 public:
  /// Compiles `pattern`. On error the message says what is wrong and the Error's message
  /// starts with the 0-based column within `pattern` as "COL:" so callers can point at it.
  /// Errors: an empty pattern; a leading '/' (absolute path); an empty segment ("a//b"); a
  /// '.' or '..' segment; a trailing '/' after a wildcard (git matches no file there); a run
  /// of '*' that is not exactly a whole segment "**" ("a**b", "***"); an unclosed '['; an
  /// unknown "[:class:]"; a reversed range ("[z-a]"); a trailing '\'; an escaped '/'; a NUL.
  static Expected<Glob> Compile(std::string_view pattern);

  /// Whether `path` (a file path relative to the root, no leading '/') matches.
  bool Matches(std::string_view path) const;

  /// The longest leading run of whole literal directory segments ("docker/base" for
  /// "docker/base/**", "pkg" for "pkg/a.go"), empty when the pattern starts with a wildcard
  /// or names a single top-level path. When it is not empty, every matching path starts with
  /// literal_prefix() + "/", so callers can skip every other subtree.
  const std::string& literal_prefix() const { return literal_prefix_; }

  /// The pattern as written (without the leading '!').
  const std::string& pattern() const { return pattern_; }

  /// Whether the pattern has none of `*?[\`: it then matches exactly the path it names and
  /// everything under it.
  bool is_literal() const { return literal_; }

  /// Where a pattern derived for the input list comes from ("inputs_from: app/Dockerfile:4
  /// COPY"), empty for one written in the description (PathFilter::Compile sets it).
  const std::string& origin() const { return origin_; }

  /// Where every match lies: the path a literal pattern names (it matches that path and
  /// everything under it), else literal_prefix() (everything under it; "" is the whole tree).
  const std::string& walk_root() const { return literal_ ? pattern_ : literal_prefix_; }

 private:
  enum class SegmentKind : std::uint8_t {
    kLiteral,       ///< the segment equals `a`
    kAny,           ///< `*`: any one segment
    kPrefixSuffix,  ///< `a*b`: starts with `a`, ends with `b`
    kWild,          ///< general: tokens [tok_begin, tok_end)
    kGlobStar,      ///< `**`: any number of segments
  };
  struct Segment {
    SegmentKind kind = SegmentKind::kLiteral;
    std::uint32_t a_begin = 0, a_len = 0;  ///< into text_
    std::uint32_t b_begin = 0, b_len = 0;  ///< into text_
    std::uint32_t tok_begin = 0, tok_end = 0;
  };
  enum class TokenKind : std::uint8_t { kChar, kAnyChar, kStar, kClass };
  struct Token {
    TokenKind kind = TokenKind::kChar;
    unsigned char ch = 0;
    std::uint16_t cls = 0;  ///< index into classes_
  };
  using CharSet = std::array<std::uint64_t, 4>;

  static Expected<Glob> CompileAt(std::string_view pattern, std::size_t column_base);
  bool MatchSegments(std::size_t pi, std::string_view path, std::size_t cur) const;
  bool MatchSegment(const Segment& seg, std::string_view text) const;
  bool MatchTokens(const Segment& seg, std::string_view text) const;

  std::string pattern_;
  std::string origin_;
  std::string literal_prefix_;
  bool literal_ = false;  ///< no glob characters: matches the path itself or anything under it
  std::size_t prefix_segments_ = 0;  ///< how many leading segments literal_prefix_ covers
  std::size_t tail_count_ = 0;       ///< segments after the last "**" (0 without one)
  std::size_t first_special_ = 0;    ///< index in pattern_ of the first of `*?[\`
  std::vector<Segment> segments_;
  std::vector<Token> tokens_;
  std::vector<CharSet> classes_;
  std::string text_;  ///< literal pieces of segments, unescaped

  friend class PathFilter;
};

/// Reads the tree the paths come from: one file's text (nullopt when it does not exist) and,
/// where the reader was given a way to, the files under a directory (for `inputs_from: {go:}`,
/// base/go_imports.h, which hands a module's files to the Go toolchain).
class TreeFileReader {
 public:
  using ReadFn = std::function<Expected<std::optional<std::string>>(const std::string& path)>;
  /// Called with each file's path (relative to the root) and, when the tree knows it without
  /// reading the file, an identity of its content (a git blob id in hex), else "".
  using EachFile = std::function<void(const std::string& path, std::string_view id)>;
  /// Lists every file under the directory `dir` ("" is the root), in any order.
  using ListFn = std::function<Status(const std::string& dir, const EachFile& each)>;

  TreeFileReader() = default;
  TreeFileReader(std::nullptr_t) {}  // NOLINT(google-explicit-constructor): "no reader"
  /// From any callable that reads one file: a reader that cannot list.
  template <class F>
  requires(!std::same_as<std::remove_cvref_t<F>, TreeFileReader> &&
           std::is_invocable_r_v<Expected<std::optional<std::string>>, F&, const std::string&>)
      TreeFileReader(F read)
      : read_(std::move(read)) {}  // NOLINT(google-explicit-constructor)
  TreeFileReader(ReadFn read, ListFn list) : read_(std::move(read)), list_(std::move(list)) {}

  explicit operator bool() const { return static_cast<bool>(read_); }
  Expected<std::optional<std::string>> operator()(const std::string& path) const {
    return read_(path);
  }
  bool can_list() const { return static_cast<bool>(list_); }
  /// The files under `dir`; an error when this reader cannot list.
  Status List(const std::string& dir, const EachFile& each) const;

 private:
  ReadFn read_;
  ListFn list_;
};

/// One pattern derived for an input list (escaped: a path with '*' in it names that path),
/// and why ("inputs_from: app/main.py:3 import lib.util").
struct DerivedPattern {
  std::string pattern;
  std::string origin;
};

/// `path` as a glob that matches that path only (and what is under it): `*?[\` escaped.
std::string EscapeGlob(std::string_view path);

/// A set of include and exclude patterns: a path matches when it matches some include and no
/// exclude. Unlike git, a filter with excludes only matches nothing (see empty()).
///
/// An image target's default inputs also hold a dockerignore marker (dockerignore.h, never
/// written by users): the files under its context that the engine would not send do not
/// match either, unless an include names them exactly (the Dockerfile, the .dockerignore).
/// A Dockerfile marker (dockerfile_sources.h, from `inputs_from`) stands for includes derived
/// from the Dockerfile as the tree holds it, and brings its context's .dockerignore the same
/// way.
class PathFilter {
 public:
  /// Compiles every pattern; a leading '!' makes it an exclude. A dockerignore or Dockerfile
  /// marker reads its files with `read` (an error without one). On error, the Error's message
  /// starts with "INDEX:COL:" (index into `patterns`, column within it, counting the '!').
  static Expected<PathFilter> Compile(const std::vector<std::string>& patterns,
                                      const TreeFileReader& read = nullptr);

  /// Whether `path` matches some include and no exclude (and the engine sends it).
  bool Matches(std::string_view path) const;

  /// Whether no include pattern exists (the filter matches nothing).
  bool empty() const { return includes_.empty(); }

  const std::vector<Glob>& includes() const { return includes_; }
  const std::vector<Glob>& excludes() const { return excludes_; }

 private:
  /// The rules of one dockerignore marker, for the files under `context` ("" is the root).
  struct ContextIgnore {
    std::string context;
    DockerIgnore rules;
  };
  bool Ignored(std::string_view path) const;
  /// Adds the includes an inputs_from marker at `index` stands for; errors start with
  /// "INDEX:COL:".
  Status AddDerived(std::size_t index, std::vector<DerivedPattern> derived);
  /// The .dockerignore rules for `context` and `dockerfile`, read with `read`; errors start
  /// with "INDEX:0:".
  static Expected<ContextIgnore> ReadIgnore(std::size_t index, std::string_view context,
                                            std::string_view dockerfile,
                                            const TreeFileReader& read);
  /// The includes a Dockerfile marker stands for (the Dockerfile, its .dockerignore files,
  /// and what the Dockerfile takes from the context), each with its origin.
  static Expected<std::vector<Glob>> DockerfileIncludes(std::size_t index, std::string_view context,
                                                        std::string_view dockerfile,
                                                        const TreeFileReader& read);

  std::vector<Glob> includes_;
  std::vector<Glob> excludes_;
  std::vector<ContextIgnore> ignores_;
};

/// Whether `pattern` is a dockerignore marker (dockerignore.h) rather than a glob.
inline bool IsDockerignoreMarker(std::string_view pattern) {
  return pattern.substr(0, kDockerignoreMagic.size()) == kDockerignoreMagic;
}

}  // namespace fanout
