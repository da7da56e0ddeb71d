#include "image/tags.h"

#include "image/oci_layout.h"

namespace fanout::image {
namespace {

void ReplaceAll(std::string& s, const std::string& from, const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
}

}  // namespace

std::vector<std::string> ResolveTags(const std::vector<std::string>& templates,
                                     const std::string& target,
                                     const std::optional<std::string>& commit,
                                     const std::string& manifest_digest) {
  std::vector<std::string> tags;
  for (std::string tag : templates) {
    const bool needs_commit =
        tag.find("{commit}") != std::string::npos || tag.find("{short}") != std::string::npos;
    if (needs_commit && !commit) continue;
    ReplaceAll(tag, "{target}", target);
    if (commit) {
      ReplaceAll(tag, "{commit}", *commit);
      ReplaceAll(tag, "{short}", commit->substr(0, 12));
    }
    ReplaceAll(tag, "{digest}", DigestHex(manifest_digest));
    tags.push_back(std::move(tag));
  }
  return tags;
}

}  // namespace fanout::image
