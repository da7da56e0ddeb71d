// The glob dialect of DESIGN.md: paths relative to the repository root with '/', `*` and `?`
// within one segment, `[...]` classes, `**` any number of segments, a literal pattern naming a
// directory matches everything under it, a leading '!' excludes. The meaning is git's
// `:(glob)` pathspec (with `:(glob,exclude)` for '!'), and the tests check it against git.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "src/expected.h"

namespace fanout {

/// One compiled pattern (without the leading '!').
class Glob {
 public:
  /// Compiles `pattern`. On error the message says what is wrong and the Error's message
  /// starts with the 0-based column within `pattern` as "COL:" so callers can point at it.
  static Expected<Glob> Compile(std::string_view pattern);

  /// Whether `path` (a file path relative to the root, no leading '/') matches.
  bool Matches(std::string_view path) const;

  /// The longest leading run of whole literal directory segments ("docker/base" for
  /// "docker/base/**"), empty when the pattern starts with a wildcard. Every matching path
  /// lies under it.
  const std::string& literal_prefix() const { return literal_prefix_; }

  const std::string& pattern() const { return pattern_; }

 private:
  std::string pattern_;
  std::string literal_prefix_;
  std::vector<std::string> segments_;
  bool literal_ = false;  ///< no glob characters: matches the path itself or anything under it
};

/// A set of include and exclude patterns: a path matches when it matches some include and no
/// exclude.
class PathFilter {
 public:
  /// Compiles every pattern; a leading '!' makes it an exclude. On error, the Error's message
  /// starts with "INDEX:COL:" (index into `patterns`, column within it).
  static Expected<PathFilter> Compile(const std::vector<std::string>& patterns);

  bool Matches(std::string_view path) const;

  /// Whether no include pattern exists (the filter matches nothing).
  bool empty() const { return includes_.empty(); }

  const std::vector<Glob>& includes() const { return includes_; }
  const std::vector<Glob>& excludes() const { return excludes_; }

 private:
  std::vector<Glob> includes_;
  std::vector<Glob> excludes_;
};

}  // namespace fanout
