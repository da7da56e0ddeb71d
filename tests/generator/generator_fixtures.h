// Plans and a stand-in fanout binary shared by the generator tests.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "plan/plan.h"
#include "test_util.h"

namespace fanout::testing {

/// A planned target with a command, the given deps and pool.
PlanTarget MakeTarget(const std::string& name, std::vector<std::string> deps = {},
                      std::string pool = "", std::map<std::string, std::string> env = {});

/// (a) base, publish, runtime; pools docker (2) and push (1); runtime depends on base,
/// publish on base and runtime; runtime has env. Binary /usr/local/bin/fanout.
Plan ThreeTargetPlan();
/// (b) one target `app` and a post-submit command.
Plan PostSubmitPlan();
/// (c) `runtime` built, its deps `base` and `tools` skipped.
Plan SkippedPlan();
/// (d) a fanout binary path and gen args that need shell quoting and `$` escaping.
Plan EscapingPlan();

/// A build directory run by the fake fanout (WriteFakeFanout): under a temporary root it
/// holds the fake at "it's tools #1 $x/fanout" (a path that needs quoting and escaping), an
/// old description file at `description_rel` and the build directory repo/build, prepared
/// with PrepareFakeBuildDir. The plan's build_dir, description_path, fanout_binary and
/// gen_args (-f DESC -B BUILD --source "$REV it's") point there.
class FakeBuildDir {
 public:
  FakeBuildDir(Plan plan, const std::string& description_rel);
  const Plan& plan() const { return plan_; }
  const std::string& dir() const { return build_; }
  /// dir() + "/" + rel
  std::string operator/(const std::string& rel) const { return build_ + "/" + rel; }
  /// Runs argv in the build directory.
  RunResult Run(const std::vector<std::string>& argv,
                const std::vector<std::string>& env = {}) const;
  /// The fake's calls so far (see FakeCalls), and forgetting them.
  std::vector<std::string> Calls() const;
  void ClearCalls() const;

 private:
  TempDir root_;
  Plan plan_;
  std::string build_;
};

/// Writes an executable shell script at `path` that stands in for fanout when run by Ninja or
/// Make in the build directory. Each call appends its arguments, each as `[arg]`, as one line
/// to calls.log. `snapshot` writes .fanout/stamps/<t>.stamp for each name in
/// .fanout/targets.txt from src/<t> (only when the content changed), writes .fanout/snapshot.d
/// naming those src files, and always touches .fanout/snapshot.stamp. `exec ... T` counts how
/// many targets of T's group (T without digits) run at once into conc-<group>.log, sleeps
/// $FAKE_SLEEP seconds when set, and writes targets/T/result.json. `gather` writes
/// manifest.json (or .fanout/post_submit.stamp with --post-submit); `gen` touches
/// .fanout/build.ninja.stamp and Makefile.
void WriteFakeFanout(const std::string& path);

/// Prepares `build_dir` for the fake: .fanout/targets.txt and src/<t> for each target name.
void PrepareFakeBuildDir(const std::string& build_dir, const std::vector<std::string>& targets);

/// The lines of calls.log in `build_dir`.
std::vector<std::string> FakeCalls(const std::string& build_dir);

/// The largest number in conc-<group>.log (0 when missing).
int MaxConcurrency(const std::string& build_dir, const std::string& group);

/// Sets the modification time of `path` to the year 2000, so anything written now is newer.
void MakeOld(const std::string& path);

}  // namespace fanout::testing
