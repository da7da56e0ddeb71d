// A .dockerignore as the Docker engine applies it when it sends a build context, so that an
// image target's default inputs are exactly the files the engine sends (docs/images.md).
//
// The engine this follows is the one scripts/setup installs, Docker 20.10 with its built-in
// BuildKit, and tests/e2e/dockerignore_e2e_test.cc checks it against that engine. Its rules,
// some of them surprising:
// - Lines are read one by one; a line starting with '#' (in its first column) is a comment,
//   the rest are trimmed, blank ones skipped; a leading '!' makes a line an exception;
//   patterns are cleaned (`a/./b`, `a/../b`, `a//b`) and lose a leading '/'.
// - A pattern is a regular expression in disguise: `*` is `[^/]*`, `?` is `[^/]`, `**` any
//   run of characters (`**/` any run of whole directories), `.` and `$` are literal, `\`
//   escapes, and every other character keeps its regular-expression meaning (`a+b` matches
//   `aab`, `x|y` matches whatever starts with `x` or ends with `y`, `(` is an error).
// - A path matches a pattern when the pattern matches the path, or the path's first N
//   directories where N is the pattern's number of segments.
// - The last matching line wins ('!' lines re-include).
// - A directory that is excluded is skipped with all it holds, unless some exception's text
//   starts with the directory's path and a '/': `build` + `!build/keep` keeps build/keep,
//   but `gen/**` + `!gen/**/*.md` keeps nothing under gen/a/, and `**/tmp` + `!**/keep`
//   keeps nothing under any tmp directory.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"

namespace fanout {

/// The parsed rules of one .dockerignore file.
class DockerIgnore {
 public:
  /// Reads the text of a .dockerignore. An error (a pattern the engine also refuses) starts
  /// with "LINE:" (1-based) and says what is wrong.
  static Expected<DockerIgnore> Parse(std::string_view text);

  /// No rules: every file is sent.
  DockerIgnore();

  /// Whether the engine sends the file `path` (relative to the context, '/'-separated, no
  /// leading '/').
  bool Sends(std::string_view path) const;

  /// The patterns as the engine holds them: cleaned, exceptions with their '!'.
  std::vector<std::string> patterns() const;

 private:
  struct Rules;
  /// Whether the rules match `path` (a file or a directory), the last matching line winning.
  bool Excluded(std::string_view path) const;

  std::shared_ptr<const Rules> rules_;  ///< immutable once parsed, so copies share it
};

/// How an input list says "the files the engine sends": the pattern `:(dockerignore)CTX//DF`
/// (CTX the context, DF the Dockerfile; neither holds "//", description/validate_image.cc
/// checks). PathFilter (glob.h) drops the files under CTX that the engine would not send, by
/// the first of DockerignoreFiles(CTX, DF) that exists in the tree the paths come from.
inline constexpr std::string_view kDockerignoreMagic = ":(dockerignore)";

/// The pattern kDockerignoreMagic + context + "//" + dockerfile.
std::string DockerignoreMarker(std::string_view context, std::string_view dockerfile);

/// Where the engine looks for the rules, first match wins: `<dockerfile>.dockerignore`
/// (BuildKit's Dockerfile-specific file, which replaces the other), then
/// `<context>/.dockerignore`.
std::vector<std::string> DockerignoreFiles(std::string_view context, std::string_view dockerfile);

/// Go's filepath.Clean for '/'-separated paths: "" becomes ".", repeated '/' and "." segments
/// go, ".." removes the segment before it (and at the root, itself).
std::string CleanPath(std::string_view path);

}  // namespace fanout
