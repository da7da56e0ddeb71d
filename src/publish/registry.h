// What `fanout publish` asks of a registry, through skopeo (docs/images.md, "Publishing"):
// whether it already holds an image under a reference, and copying an OCI layout there.
#pragma once

#include <string>

#include "base/expected.h"

namespace fanout::publish {

/// How to reach registries: the same for every push of one run.
struct RegistryAccess {
  /// The credentials file (docker's config.json shape); "" lets skopeo find its own
  /// (REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json, ~/.docker/config.json).
  std::string authfile;
  bool tls_verify = true;  ///< false: plain HTTP or unverified TLS (a registry on loopback)
  std::string tmpdir;      ///< skopeo's scratch files go here
};

/// Whether the registry serves the manifest with `digest` under `reference` (a tag or
/// repo@digest). Any failure to ask (no such tag, no access) counts as "no": the push that
/// follows reports the registry's own message.
bool RegistryHas(const RegistryAccess& access, const std::string& reference,
                 const std::string& digest);

/// Copies the OCI layout at `layout` to `reference`, keeping the manifest byte for byte, and
/// checks that the registry stored it under `digest`. The error carries skopeo's message.
Status CopyToRegistry(const RegistryAccess& access, const std::string& layout,
                      const std::string& reference, const std::string& digest);

}  // namespace fanout::publish
