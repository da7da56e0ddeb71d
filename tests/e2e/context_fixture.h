// What the build-context tests share (tests/e2e/dockerignore_e2e_test.cc,
// tests/e2e/inputs_from_e2e_test.cc): a daemon of the tests' own for the suite, a repository
// whose context the engine and fanout both build, fanout run against that daemon, the paths
// `fanout affected` reports, and the files in an image's layers.
#pragma once

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "docker_daemon.h"
#include "test_util.h"

namespace fanout::testing {

class ContextE2E : public ::testing::Test {
 protected:
  using Paths = std::set<std::string>;

  static void SetUpTestSuite();
  static void TearDownTestSuite();

  /// Skips unless root (CI, where every tool must be present: a missing one fails).
  void SetUp() override;

  /// fanout with `args` in the repository, against the daemon.
  RunResult Fanout(const std::vector<std::string>& args);

  /// The paths (relative to `ctx/`) whose change since `base` affects `target`, by `fanout
  /// affected --format json`; `rules` (when given) gets each one's rule ("" when written).
  Paths AffectedPaths(const std::string& base, const std::string& target,
                      std::vector<std::string>* rules = nullptr);

  /// The files under /ctx in the layers an image holds, from `tar_command`'s output (one tar
  /// of a layer, or several one after another).
  static Paths LayerFiles(const std::string& tar_command);

  /// The files under /ctx of the image fanout built for `target`, from its OCI layout.
  Paths BuiltFiles(const std::string& target);

  /// The files under /ctx of the image the engine builds itself from the context `ctx`.
  Paths EngineFiles(const std::string& tag);

  /// The daemon's socket, for a target's `sockets`.
  static std::string Socket() { return daemon_->socket(); }

  GitRepo repo_;

 private:
  static inline std::string missing_;
  static inline DockerDaemon* daemon_ = nullptr;
};

}  // namespace fanout::testing
