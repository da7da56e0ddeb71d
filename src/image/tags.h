// An image target's tags: templates in the description (`image.tags`, docs/format.md),
// resolved once the image and the commit it was built from are known.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace fanout::image {

/// Each template with {target}, {commit}, {short} (the commit's first 12 digits) and {digest}
/// (the manifest digest's hex) filled in. A template that needs the commit is left out when
/// the build has none (a work-tree build): its name would claim a commit it was not built from.
std::vector<std::string> ResolveTags(const std::vector<std::string>& templates,
                                     const std::string& target,
                                     const std::optional<std::string>& commit,
                                     const std::string& manifest_digest);

}  // namespace fanout::image
