// Which image engines this machine has (`fanout doctor`): the programs an image target's build
// runs (image/docker_build.h), found on PATH, with their versions.
#pragma once

#include <string>

namespace fanout::image {

struct EngineFacts {
  std::string docker;   ///< `docker --version`'s line; "" when there is no docker CLI
  bool buildx = false;  ///< `docker buildx` works
  std::string skopeo;   ///< `skopeo --version`'s line; ""
  std::string buildah;  ///< `buildah --version`'s line; ""

  /// Whether the docker engine can build here, and if not, why (for doctor's row).
  bool DockerUsable(std::string* why) const;
  /// Whether the buildah engine can build here, in the sandbox BuildahRunsIn describes, and if
  /// not, why (for doctor's row).
  bool BuildahUsable(bool namespaces_tier, bool root, const std::string& subordinate_problem,
                     std::string* why) const;
};

/// Whether buildah can build inside a sandbox of the namespaces tier (else the process tier),
/// with fanout running as root (else unprivileged, where `subordinate_problem` is why the
/// user's subordinate ids cannot be mapped, empty when they can); if not, why. It needs a user
/// namespace that maps a range of ids: as root, the build range (identity.h in sandbox/);
/// unprivileged, the user's /etc/subuid and /etc/subgid ranges, mapped by newuidmap and
/// newgidmap (subordinate_ids.h in sandbox/). In the process tier the build uid has no
/// namespace of its own and no_new_privs stops newuidmap.
bool BuildahRunsIn(bool namespaces_tier, bool root, const std::string& subordinate_problem,
                   std::string* why);

/// Runs each program's version command (no daemon is contacted).
EngineFacts ProbeEngines();

}  // namespace fanout::image
