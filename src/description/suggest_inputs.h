// `fanout check --suggest-inputs`: for each target whose inputs are written by hand, the
// `inputs_from` that would derive them (docs/format.md, "inputs_from"), read from what the
// target builds: an image target's Dockerfile, a command that runs `docker build`,
// `docker buildx build`, `podman build` or `buildah build`/`bud`, one that runs a Python
// script or module, or one that builds a Go package by its directory (`go build ./cmd/app`). The
// command is split into words as a shell would for plain words and quotes; a command whose
// Dockerfile, context or program is computed (`$`, a backquote) gets no suggestion, since fanout
// cannot know it without running the command.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "description/description.h"

namespace fanout {

/// One proposal, for the target at `mark`.
struct InputSuggestion {
  std::string target;
  SourceMark mark;
  std::string inputs_from;  ///< the YAML flow mapping, e.g. "{dockerfile: app/Dockerfile}"
  std::string why;          ///< what it was read from, e.g. "the command runs 'docker build'"
};

/// Whether a repository path is a file (for `python -m M`: the module `M.py`, or the package
/// directory `M`).
using IsFile = std::function<bool(const std::string& path)>;

/// The suggestions for `desc`, in target order. A target that already has `inputs_from` gets
/// none.
std::vector<InputSuggestion> SuggestInputsFrom(const Description& desc, const IsFile& is_file);

/// The words of a shell command (quotes removed), for what the suggestions read. Operators
/// (`;`, `&&`, `||`, `|`, `&`, newlines) are words of their own.
std::vector<std::string> CommandWords(std::string_view command);

}  // namespace fanout
