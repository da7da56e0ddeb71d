// A build directory set up by hand for `fanout exec`: a real git repository, plan.json from
// MakePlan, source.json and the input stamps, as `fanout gen` and the snapshot edge write them.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "description/description.h"
#include "test_util.h"

namespace fanout::testing {

class ExecFixture {
 public:
  /// `build_in_repo`: the build directory is REPO/build (untracked), as in a fresh clone.
  explicit ExecFixture(bool build_in_repo = false);

  GitRepo& repo() { return repo_; }
  const std::string& build_dir() const { return build_dir_; }
  std::string Build(const std::string& rel) const { return build_dir_ + "/" + rel; }

  /// Adds a target (before Write()).
  Target& AddTarget(const std::string& name, const std::string& command,
                    std::vector<std::string> inputs = {"src/**"});
  std::vector<std::string>& global_inputs() { return desc_.global_inputs; }
  Description& description() { return desc_; }

  /// Commits the repository and writes plan.json, source.json and every stamp.
  void Write();

  /// Runs `fanout exec -B BUILD target` with cwd = BUILD and extra environment entries.
  RunResult Exec(const std::string& target, std::vector<std::string> env = {},
                 const std::vector<std::string>& extra_args = {});

  /// The tree id source.json names.
  const std::string& tree() const { return tree_; }
  const std::string& commit() const { return commit_; }

 private:
  GitRepo repo_;
  TempDir build_;
  std::string build_dir_;
  Description desc_;
  std::string tree_, commit_;
};

/// Pids of processes whose command line contains `needle`.
std::vector<int> ProcessesMatching(const std::string& needle);

/// Whether the namespaces tier can run here; when not, `why` says why.
bool NamespacesAvailable(std::string* why);

/// Whether Landlock is available (the process tier's write restriction).
bool LandlockAvailable();

}  // namespace fanout::testing
