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
};

/// Runs each program's version command (no daemon is contacted).
EngineFacts ProbeEngines();

}  // namespace fanout::image
