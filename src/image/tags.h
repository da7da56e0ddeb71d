// An image target's tags: templates in the description (`image.tags`, docs/format.md),
// resolved once the image and the commit it was built from are known.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace fanout::image {

/// An image's tags, and the templates that were left out.
struct ResolvedTags {
  std::vector<std::string> tags;
  /// The templates naming the commit ({commit}, {short}) that were left out, as written.
  std::vector<std::string> dropped;
  bool operator==(const ResolvedTags&) const = default;
};

/// Each template with {target}, {commit}, {short} (the commit's first 12 digits) and {digest}
/// (the manifest digest's hex) filled in. A template that names the commit is left out (and
/// listed in `dropped`) when the image was built from no commit (an unborn branch) or from
/// uncommitted changes (`dirty`, SourceState::dirty): its name would claim a commit the image
/// was not built from, and a push would overwrite that commit's clean image (docs/images.md,
/// "Tags").
ResolvedTags ResolveTags(const std::vector<std::string>& templates, const std::string& target,
                         const std::optional<std::string>& commit, bool dirty,
                         const std::string& manifest_digest);

}  // namespace fanout::image
