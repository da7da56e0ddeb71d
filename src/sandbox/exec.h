// One `fanout exec` run (sandbox/runner.h), as named steps over the state they share. The
// steps are split by concept: setting the run up (sandbox/runner.cc), one attempt of the
// command (sandbox/exec_attempt.cc) and recording the outcome (sandbox/exec_record.cc).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/expected.h"
#include "base/unique_fd.h"
#include "description/description.h"
#include "image/docker_build.h"
#include "plan/plan.h"
#include "records/target_record.h"
#include "records/target_status.h"
#include "sandbox/action_cache.h"
#include "sandbox/artifacts.h"
#include "sandbox/base_cache.h"
#include "sandbox/identity.h"
#include "sandbox/isolate.h"
#include "sandbox/owner.h"
#include "sandbox/probe.h"
#include "sandbox/runner.h"
#include "sandbox/secrets.h"
#include "sandbox/subordinate_ids.h"
#include "sandbox/workspace.h"

namespace fanout::sandbox {

/// Unix seconds, now.
double WallNow();
/// Appends `text` as a line to the log at `fd` (best effort; nothing when fd < 0).
void AppendLog(int fd, const std::string& text);
/// "exited with status 2", "killed by signal 9 (SIGKILL)".
std::string DescribeExit(int exit_code, int signal);

/// Everything one run needs, gathered step by step by Run.
class Exec {
 public:
  Exec(const ExecOptions& opts, int signal_fd) : opts_(opts), signal_fd_(signal_fd) {}
  /// Waits for the last sandbox's end, then removes what the run replaced (the overlay's work
  /// directory, the earlier result), before the target's lock goes (sandbox/exec_attempt.cc).
  ~Exec();
  Exec(const Exec&) = delete;
  Exec& operator=(const Exec&) = delete;
  /// Runs the steps; returns the exit code (sandbox/runner.h).
  int Run();

 private:
  // ---- setting up (sandbox/runner.cc) ----
  /// Resolves the build directory and finds the target in the plan; an exit code when that
  /// fails (printed, no record written: there is nowhere to write it).
  std::optional<int> LoadPlan();
  /// Removes the target's earlier records and opens its log.
  Status PrepareTargetDir();
  /// The target's input digest, from its stamp.
  Status ReadInputDigest();
  /// One exec per target at a time: the workspace is private to it.
  Status LockWorkspace();
  /// Chooses the tier, the build identity and how the limits are enforced.
  Status ChooseSandbox();
  /// The base tree the workspace is made from.
  Status AcquireBase(const git_oid& tree);
  /// With --pool-slots, a slot of the target's pool (sandbox/pool_slot.h), held until the
  /// process ends; waiting for it is logged and comes before the timeout starts.
  Status TakeSlotOfPool();

  // ---- running the command (sandbox/exec_attempt.cc) ----
  /// Runs attempt `attempt`: the collected artifacts when it succeeded; nullopt when it
  /// failed (last_status_, last_exit_, last_signal_ and last_message_ say how); an error when
  /// the sandbox could not be set up.
  Expected<std::optional<CollectOutcome>> Attempt(int attempt, int max_attempts);
  /// What the sandbox of one attempt is given.
  SandboxSpec BuildSpec(int attempt);
  /// Warns that memory or pids limits fell back to rlimits, and why.
  void WarnRlimits(bool memory, bool pids, const std::string& why);

  // ---- an image target (sandbox/exec_image.cc) ----
  /// The images of the dependencies that are image targets, from their OCI layouts.
  Status ReadDependencyImages();
  /// For the buildah engine: checks that this sandbox tier can run it, and makes its store.
  Status PrepareImageEngine();
  /// Reads the image's secrets on the runner (sandbox/secrets.h) into secrets_.
  Status OpenImageSecrets();
  /// The descriptors of secrets_, which the command inherits.
  std::vector<int> SecretFds() const;
  /// What runs in the sandbox: the target's command, or its image build script.
  std::string Command() const;
  /// The declared artifacts, and an image target's image layout.
  std::vector<std::string> ArtifactPatterns() const;
  /// The image the build left in out/ (nullopt for other targets); an error when it is missing.
  Expected<std::optional<records::ImageRecord>> ReadBuiltImage() const;

  // ---- the action cache (sandbox/exec_cache.cc) ----
  /// Computes the action key and opens the cache stores this target may use; when one holds
  /// the key, restores the result and returns true (result.json written, status `cached`).
  /// `previous` is the action of the result this run replaces, to say in the log why it runs.
  Expected<bool> RestoreFromCache(const std::optional<records::ActionRecord>& previous,
                                  const records::SourceRecord& source);
  /// Stores the successful result `r` where the settings and the target allow.
  void StoreInCache(const records::SuccessRecord& r);
  /// Writes result.json for a result restored from a cache or an earlier tier.
  Status RecordRestored(ActionCache::Restored restored, const records::SourceRecord& source,
                        const std::string& how);

  // ---- taking a result from an earlier tier (sandbox/tier_import.cc) ----
  /// When `fanout build --from` named this target as one to take from an earlier tier
  /// ($FANOUT_IMPORT): restores it from those directories by its action key and returns true,
  /// or returns an error saying what differs; it never runs. False when it is not one.
  /// `no_key` is why the action key could not be computed (empty when action_ is set).
  Expected<bool> ImportFromEarlierTier(const records::SourceRecord& source,
                                       const std::string& no_key);

  // ---- recording the outcome (sandbox/exec_record.cc) ----
  /// Records failure.json; returns the exit code of a failed target.
  int Fail(TargetStatus status, int exit_code, int signal, const std::string& message,
           int attempts);
  /// A step that failed before the command ran (or the sandbox broke): a failure record.
  int SetupError(const Error& e);
  [[noreturn]] void Interrupted(int sig, int attempts);
  int PendingInterrupt();
  /// Writes `warning` to the log, and to the console once per build directory (`marker`).
  void Warn(const std::string& warning, const std::string& marker, const std::string& hint);
  /// Logs what the command wrote but did not declare.
  void ReportUndeclaredWrites(const CollectOutcome& collected);
  /// Hashes the artifacts and writes result.json, last and atomically.
  Status WriteResult(const CollectOutcome& collected, int attempts,
                     const records::SourceRecord& source);

  ExecOptions opts_;
  int signal_fd_;
  std::string build_dir_;
  std::string target_;
  std::string log_path_, out_dir_;
  std::string superseded_result_;  ///< the earlier result, removed after this run's records
  UniqueFd log_;
  double started_wall_ = 0;
  std::optional<records::SandboxRecord> sandbox_;  ///< known once the tier is chosen

  std::optional<Plan> plan_;
  const Target* def_ = nullptr;
  std::string digest_;
  WorkspacePaths ws_;
  UniqueFd lock_;
  UniqueFd pool_slot_;  ///< with --pool-slots: the held slot of the target's pool
  ProbeResult probe_;
  TierChoice choice_;
  bool landlock_ = false;
  BuildIdentity identity_;
  Owner owner_;
  bool memory_by_rlimit_ = false, pids_by_rlimit_ = false, use_cgroup_ = false;
  WorkspaceMode ws_mode_ = WorkspaceMode::kCopy;
  std::unique_ptr<BaseCache> cache_;
  std::optional<BaseLease> base_;
  std::map<std::string, std::string> dep_outs_;
  std::vector<image::DependencyImage> dep_images_;
  std::string buildah_store_;  ///< the buildah engine's store; "" for other targets
  /// Unprivileged buildah targets: the user's subordinate ids the sandbox maps.
  std::optional<SubordinateIds> subordinate_;
  std::vector<OpenSecret> secrets_;  ///< the image's secrets, inherited by the build script
  std::map<std::string, std::string> host_env_;
  std::optional<records::ActionRecord> action_;  ///< unset when it could not be computed
  std::unique_ptr<ActionCache> action_cache_;

  TargetStatus last_status_ = TargetStatus::kFailed;
  std::string last_message_;
  int last_exit_ = 1, last_signal_ = 0;
  /// The last attempt's sandbox, whose PID 1 may still be exiting: declared last, so that it
  /// is waited for before anything above goes (the lock, the base's lease).
  std::unique_ptr<Sandbox> ending_sandbox_;
};

}  // namespace fanout::sandbox
