// A Docker daemon of the tests' own: its own socket, data root and exec root under a short
// temporary directory, no bridge and no iptables rules, started once and stopped (and its
// state removed) when the owner goes. Used by tests/e2e/image_e2e_test.cc.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace fanout::testing {

class DockerDaemon {
 public:
  /// Starts dockerd; on failure error() says why (with the end of its log).
  DockerDaemon();
  ~DockerDaemon();
  DockerDaemon(const DockerDaemon&) = delete;
  DockerDaemon& operator=(const DockerDaemon&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  /// The socket's path, and DOCKER_HOST for it.
  const std::string& socket() const { return socket_; }
  std::string host() const { return "unix://" + socket_; }

  /// Why this daemon cannot build an image on a local base with a RUN step ("" when it can),
  /// found once by trying: in a chroot (fresh-check's minimal root) runc cannot set up a
  /// container's root ("mount /, flags: 0x84000: invalid argument") and BuildKit does not see
  /// loaded images. A test that needs such builds skips with this reason; CI's machine can.
  const std::string& BuildProblem();

 private:
  std::string dir_, socket_, error_;
  std::optional<std::string> build_problem_;
  pid_t pid_ = -1;
};

/// Why images cannot be tested here ("" when they can): dockerd and skopeo must be installed
/// (scripts/setup installs them) and the tests must run as root, as CI does.
std::string ImageToolsMissing();

}  // namespace fanout::testing
