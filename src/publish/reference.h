// Image references as registries name them ("registry.example:5000/team/app:v1"), the grammar
// of the Docker and OCI distribution tools, for `fanout publish`.
#pragma once

#include <string>
#include <string_view>

#include "base/expected.h"

namespace fanout::publish {

/// A parsed tag reference.
struct ImageReference {
  std::string repository;  ///< "registry.example:5000/team/app" (domain included as written)
  std::string tag;         ///< "v1"; "latest" when the reference names none
  /// "repository:tag"
  std::string Tagged() const { return repository + ":" + tag; }
  /// "repository@digest"
  std::string ByDigest(std::string_view digest) const {
    return repository + "@" + std::string(digest);
  }
};

/// Parses `text` as a tag reference: [domain[:port]/]path[:tag], path components lowercase
/// letters and digits joined by '.', '_', '__' or runs of '-', a tag of at most 128 characters
/// from [A-Za-z0-9_.-] not starting with '.' or '-'. A digest ('@') is refused: fanout pushes
/// by digest itself. The error says what is wrong, without naming where `text` came from.
Expected<ImageReference> ParseReference(std::string_view text);

}  // namespace fanout::publish
