// The files a Go package's build reads, for `inputs_from: {go: DIR}` (docs/format.md,
// "inputs_from"): the Go toolchain's own answer, `go list -e -deps -json`, run on the
// package's module as the tree being built or compared holds it, with no network.
//
// - The module is the nearest directory at or above DIR with a go.mod; modules nested in it
//   (a directory with its own go.mod) are not part of it, as for Go.
// - Go needs the module on disk: its go.mod, go.sum, vendor/modules.txt and every file of
//   each directory holding a .go file are written to a temporary directory, which is removed
//   afterwards. Nothing is written into the repository.
// - The inputs are go.mod, go.sum (and vendor/modules.txt) and, for every package of the
//   import closure that lies in the module (vendored packages included), every .go file of
//   its directory (those of other platforms and its tests too: a deleted file must still
//   match), its C, assembly and other sources, and its `//go:embed` patterns. Packages
//   outside the module (the standard library, other modules) count through go.mod and go.sum.
// - Where the imports cannot be known (a package go cannot read, go failing as a whole),
//   the whole module is the input, with a note saying why.
// - The answer is kept in this user's cache directory (base/user_state.h) under the SHA-256
//   of what `go list` is given (each file's path and blob id), the go binary and the GOOS,
//   GOARCH and CGO_ENABLED it sees, so a tree seen before costs a walk of the module and no
//   `go` run.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "base/glob.h"

namespace fanout {

/// How an input list says "what the Go package in DIR builds from, with the build tags TAGS":
/// `:(go)DIR` or `:(go)DIR//TAG,TAG`, written by the validator for `inputs_from` and expanded
/// by PathFilter (glob.h).
inline constexpr std::string_view kGoMagic = ":(go)";

/// The marker for the package directory `dir` (relative to the root, "" for the root) built
/// with `tags` (none: the default build).
inline std::string GoMarker(std::string_view dir, const std::vector<std::string>& tags = {}) {
  std::string marker = std::string(kGoMagic) + std::string(dir);
  for (std::size_t i = 0; i < tags.size(); ++i) marker += (i ? "," : "//") + tags[i];
  return marker;
}

/// Whether `pattern` is a Go marker rather than a glob.
inline bool IsGoMarker(std::string_view pattern) {
  return pattern.substr(0, kGoMagic.size()) == kGoMagic;
}

/// What the marker body (the package directory and its tags) stands for in the tree `read` reads,
/// which must be able to list. An error only when the tree cannot be read or listed, the temporary
/// module cannot be written, or `go` cannot be run.
Expected<std::vector<DerivedPattern>> GoPackageInputs(std::string_view body,
                                                      const TreeFileReader& read);

}  // namespace fanout
