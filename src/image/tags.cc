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

ResolvedTags ResolveTags(const std::vector<std::string>& templates, const std::string& target,
                         const std::optional<std::string>& commit, bool dirty,
                         const std::string& manifest_digest) {
  ResolvedTags out;
  for (std::string tag : templates) {
    const bool needs_commit =
        tag.find("{commit}") != std::string::npos || tag.find("{short}") != std::string::npos;
    if (needs_commit && (!commit || dirty)) {
      out.dropped.push_back(std::move(tag));
      continue;
    }
    ReplaceAll(tag, "{target}", target);
    if (commit) {
      ReplaceAll(tag, "{commit}", *commit);
      ReplaceAll(tag, "{short}", commit->substr(0, 12));
    }
    ReplaceAll(tag, "{digest}", DigestHex(manifest_digest));
    out.tags.push_back(std::move(tag));
  }
  return out;
}

}  // namespace fanout::image
