#include "publish/push_plan.h"

#include <algorithm>

#include <fmt/format.h>

namespace fanout::publish {

Expected<std::vector<ImagePush>> PlanPushes(const records::Manifest& manifest,
                                            const std::string& manifest_path,
                                            const std::string& build_dir,
                                            std::vector<std::string>* untagged) {
  std::vector<ImagePush> pushes;
  for (const records::ManifestTarget& t : manifest.targets) {
    if (!t.image || !t.Succeeded()) continue;
    if (t.image->tags.empty()) {
      untagged->push_back(t.name);
      continue;
    }
    ImagePush push;
    push.target = t.name;
    push.layout = build_dir + "/" + t.image->layout;
    push.digest = t.image->manifest_digest;
    for (const std::string& tag : t.image->tags) {
      auto ref = ParseReference(tag);
      if (!ref.ok()) {
        return MakeError(
            fmt::format("{}: target '{}': tag '{}' is not an image reference: {}; "
                        "fix 'tags' in the target's 'image' and build again",
                        manifest_path, t.name, tag, ref.error().message));
      }
      if (std::find(push.repositories.begin(), push.repositories.end(), ref->repository) ==
          push.repositories.end()) {
        push.repositories.push_back(ref->repository);
      }
      push.tags.push_back(std::move(*ref));
    }
    pushes.push_back(std::move(push));
  }
  return pushes;
}

}  // namespace fanout::publish
