// What a Dockerfile takes from its build context: the sources of its COPY and ADD instructions
// and of its RUN --mount=type=bind mounts, so that `inputs_from: {dockerfile: ...}` derives a
// target's inputs from the Dockerfile itself (docs/format.md, "inputs_from").
//
// The reading follows BuildKit's Dockerfile frontend, as far as inputs are concerned:
// - parser directives (`# escape=`) before the first instruction, comments, line continuations
//   with the escape character, and here-documents (`<<EOF` ... `EOF`), whose text is not a
//   context file;
// - instruction names in any case; flags before the arguments (`--chown=`, `--link`, ...);
//   the JSON form `COPY ["a", "b", "/dst/"]`; the last argument is the destination;
// - `COPY --from=...` and `RUN --mount=...,from=...` read another stage, image or named
//   context, not this context; `ADD` of a URL or a git address reads the network;
// - a source is relative to the context (a leading '/' too), and is a file, a directory or a
//   Go filepath.Match pattern.
// Where a source cannot be resolved without building (it names a build argument or an
// environment variable, or a bind mount takes the whole context), the whole context is the
// input, with a note saying which line made it so.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace fanout {

/// One source a Dockerfile takes from its context, and where.
struct DockerfileSource {
  std::string path;         ///< cleaned, relative to the context, no leading '/'; may be a pattern
  int line = 0;             ///< 1-based line of the instruction
  std::string instruction;  ///< "COPY", "ADD" or "RUN" (a bind mount)
};

/// What a Dockerfile takes from its context.
struct DockerfileSources {
  std::vector<DockerfileSource> sources;
  /// The whole context is an input (a source that could not be resolved, or "."); `notes`
  /// says why.
  bool whole_context = false;
  std::vector<std::string> notes;  ///< "LINE: what" for each source that widened the inputs
};

/// Reads the text of a Dockerfile.
DockerfileSources ParseDockerfileSources(std::string_view text);

/// How an input list says "what the Dockerfile DF takes from the context CTX": the pattern
/// `:(dockerfile)CTX//DF`, written by the validator for `inputs_from` and expanded by
/// PathFilter (glob.h) from the tree the paths come from. Neither part holds "//".
inline constexpr std::string_view kDockerfileMagic = ":(dockerfile)";

/// The pattern kDockerfileMagic + context + "//" + dockerfile.
std::string DockerfileMarker(std::string_view context, std::string_view dockerfile);

/// Whether `pattern` is a Dockerfile marker rather than a glob.
inline bool IsDockerfileMarker(std::string_view pattern) {
  return pattern.substr(0, kDockerfileMagic.size()) == kDockerfileMagic;
}

}  // namespace fanout
