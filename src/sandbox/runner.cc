#include "sandbox/runner.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/build_layout.h"
#include "base/edge_wire.h"
#include "base/file_util.h"
#include "base/unique_fd.h"
#include "git/source_state.h"
#include "plan/plan.h"
#include "records/build_events.h"
#include "sandbox/environment.h"
#include "sandbox/exec.h"
#include "sandbox/exec_profile.h"
#include "sandbox/fs_util.h"
#include "sandbox/isolate_tiers.h"
#include "sandbox/pool_slot.h"
#include "sandbox/weaken.h"

namespace fanout::sandbox {

namespace {

// The first directory on the way to `path` (itself included) that others cannot search.
std::optional<std::string> UnsearchableAncestor(const std::string& path) {
  for (size_t end = 1; end != std::string::npos && end <= path.size();) {
    const size_t slash = path.find('/', end);
    const std::string dir = path.substr(0, slash);
    struct stat st;
    if (stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && !(st.st_mode & S_IXOTH)) return dir;
    end = slash == std::string::npos ? slash : slash + 1;
  }
  return std::nullopt;
}

/// Best effort: fanout's own message on stderr.
void PrintError(const std::string& msg) {
  if (write(2, msg.data(), msg.size()) < 0) {
  }
}

struct Source {
  std::optional<std::string> commit;
  std::string tree;
  git_oid tree_oid;
  bool dirty = false;  ///< built from uncommitted changes
};

Expected<Source> ReadSource(const std::string& build_dir) {
  auto state = ReadSourceState(build_dir);
  if (!state.ok()) return state.error();
  return Source{std::move(state->commit), state->tree, SourceTree(*state), state->dirty};
}

}  // namespace

int Exec::Run() {
  started_wall_ = WallNow();
  target_ = opts_.target;
  if (auto rc = LoadPlan()) return *rc;
  profile::Mark("read_plan");
  // The target's lock comes before any of its files is touched: a second run of the same
  // target leaves the first one's log and records alone.
  if (Status st = LockWorkspace(); !st.ok()) {
    PrintError("fanout: error: " + st.error().message + "\n");
    return kExitTargetFailed;
  }
  records::AppendEvent(
      build_dir_, {target_, started_wall_, def_->pool, std::nullopt, std::nullopt, std::nullopt});
  // The action of the result this run replaces: the log says what changed since.
  std::optional<records::ActionRecord> previous;
  if (auto old = records::ReadSuccess(build_dir_ + "/" + layout::ResultPath(target_)); old.ok()) {
    previous = old->action;
  }
  profile::Mark("lock_and_previous_result");
  if (Status st = PrepareTargetDir(); !st.ok()) return SetupError(st.error());
  auto source = ReadSource(build_dir_);
  if (!source.ok()) return SetupError(source.error());
  if (Status st = ReadInputDigest(); !st.ok()) return SetupError(st.error());
  host_env_ = HostEnvironment();
  profile::Mark("target_dir_source_and_stamp");
  const records::SourceRecord source_record{source->commit, source->tree, source->dirty};
  auto restored = RestoreFromCache(previous, source_record);
  if (!restored.ok()) return SetupError(restored.error());
  if (*restored) return kExitSuccess;
  profile::Mark("action_key_and_cache");
  if (Status st = TakeSlotOfPool(); !st.ok()) return SetupError(st.error());
  if (Status st = ChooseSandbox(); !st.ok()) return SetupError(st.error());
  profile::Mark("pool_slot_and_tier_choice");
  if (Status st = AcquireBase(source->tree_oid); !st.ok()) return SetupError(st.error());
  profile::Mark("workspace_base");

  for (const std::string& d : def_->deps) dep_outs_[d] = build_dir_ + "/" + layout::OutDir(d);
  if (Status st = ReadDependencyImages(); !st.ok()) return SetupError(st.error());
  if (Status st = PrepareImageEngine(); !st.ok()) return SetupError(st.error());
  if (Status st = OpenImageSecrets(); !st.ok()) return SetupError(st.error());
  if (def_->image) AppendLog(log_.get(), "fanout: the image build runs:\n" + Command());
  profile::Mark("deps_images_secrets");
  const int max_attempts = 1 + std::max(0, def_->retries);
  int attempt = 0;
  std::optional<CollectOutcome> collected;
  for (attempt = 1; attempt <= max_attempts; ++attempt) {
    auto outcome = Attempt(attempt, max_attempts);
    if (!outcome.ok()) return SetupError(outcome.error());
    if (*outcome) {
      collected = std::move(**outcome);
      break;
    }
  }
  if (!collected) {
    return Fail(last_status_, last_exit_, last_signal_, last_message_,
                std::min(attempt, max_attempts));
  }

  ReportUndeclaredWrites(*collected);
  Status written = WriteResult(*collected, attempt, source_record);
  if (!written.ok()) return SetupError(written.error());
  profile::Mark("write_result_and_cache");
  const double finished = WallNow();
  records::AppendEvent(build_dir_, {target_, finished, def_->pool,
                                    attempt > 1 ? TargetStatus::kFlaky : TargetStatus::kSucceeded,
                                    finished - started_wall_, std::nullopt});

  // Housekeeping after the result is safe: keep the bases the targets last used.
  if (cache_->CountExceeds(plan_->target_count + 8)) {
    std::set<std::string> keep = {base_->key()};
    cache_->CollectGarbage(keep, plan_->target_count + 4);
  }
  profile::Mark("event_and_housekeeping");
  return kExitSuccess;
}

std::optional<int> Exec::LoadPlan() {
  char real[PATH_MAX];
  if (!realpath(opts_.build_dir.c_str(), real)) {
    PrintError(
        fmt::format("fanout: build directory '{}': {}\n", opts_.build_dir, std::strerror(errno)));
    return kExitUsage;
  }
  build_dir_ = real;
  auto plan = ReadPlan(build_dir_, &target_);
  if (!plan.ok()) {
    PrintError("fanout: " + plan.error().message + "\n");
    return plan.error().exit_code;
  }
  plan_ = std::move(*plan);
  const PlanTarget* pt = plan_->FindTarget(target_);
  if (!pt) {
    PrintError(
        fmt::format("fanout: unknown target '{}' in {}/{}\n", target_, build_dir_, layout::kPlan));
    return kExitUsage;
  }
  def_ = &pt->def;
  return std::nullopt;
}

Status Exec::PrepareTargetDir() {
  // Nothing stale may be taken as this run's outcome: the earlier result leaves its name at
  // once, renamed into the target's workspace, and is removed once this run's records are
  // written (~Exec). Removing a file frees its blocks, which on a file system mounted with
  // `discard` and without a journal waits for the disk (docs/edge-cost.md).
  const std::string result = build_dir_ + "/" + layout::ResultPath(target_);
  superseded_result_ = build_dir_ + "/" + layout::SupersededResultPath(target_);
  if (rename(result.c_str(), superseded_result_.c_str()) != 0) unlink(result.c_str());
  unlink((build_dir_ + "/" + layout::FailurePath(target_)).c_str());
  log_path_ = build_dir_ + "/" + layout::LogPath(target_);
  out_dir_ = build_dir_ + "/" + layout::OutDir(target_);
  FANOUT_TRY(MakeDirs(build_dir_ + "/" + layout::TargetDir(target_)));
  log_.reset(open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644));
  if (!log_) return MakeError(fmt::format("cannot open '{}': {}", log_path_, std::strerror(errno)));
  return {};
}

Status Exec::ReadInputDigest() {
  auto stamp = fanout::ReadFile(build_dir_ + "/" + layout::StampPath(target_));
  if (!stamp.ok()) return MakeError(stamp.error().message + "; run 'fanout gen' again");
  digest_ = *stamp;
  while (!digest_.empty() && (digest_.back() == '\n' || digest_.back() == ' ')) digest_.pop_back();
  return {};
}

Status Exec::LockWorkspace() {
  ws_ = WorkspacePaths::For(build_dir_, target_);
  const std::string path = ws_.root + ".lock";
  lock_.reset(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!lock_ && errno == ENOENT) {  // the first run in this build directory
    FANOUT_TRY(MakeDirs(build_dir_ + "/.fanout/ws"));
    lock_.reset(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  }
  if (!lock_) {
    return MakeError(fmt::format("cannot open '{}.lock': {}", ws_.root, std::strerror(errno)));
  }
  if (flock(lock_.get(), LOCK_EX | LOCK_NB) != 0) {
    return MakeError(fmt::format(
        "target '{}' is already being built by another 'fanout exec' in {}; nothing of it was "
        "touched: wait for that build, or run one build at a time in a build directory",
        target_, build_dir_));
  }
  return {};
}

Status Exec::TakeSlotOfPool() {
  // Test-only: `pool-slots` runs the target without a slot.
  if (!opts_.pool_slots || def_->pool.empty() || Weakened("pool-slots")) return {};
  const std::string& pool = def_->pool;
  int depth = 1;  // Ninja's `console` pool has depth 1
  if (auto it = plan_->pools.find(pool); it != plan_->pools.end()) depth = it->second;
  auto slot = TakePoolSlot(build_dir_ + "/.fanout/pools", pool, depth, signal_fd_, [&] {
    AppendLog(log_.get(), fmt::format("fanout: waiting for a slot of pool '{}': all {} are taken",
                                      pool, depth));
  });
  if (!slot.ok()) return slot.error();
  if (slot->signal != 0) Interrupted(slot->signal, 0);
  if (slot->waited_seconds >= 0.02) {
    AppendLog(log_.get(), fmt::format("fanout: took slot {} of pool '{}' after {:.1f} s",
                                      slot->index + 1, pool, slot->waited_seconds));
  }
  pool_slot_ = std::move(slot->lock);
  return {};
}

Status Exec::ChooseSandbox() {
  // Cached per user outside the build directory, which a checkout could plant state in.
  probe_ = CachedProbe(layout::ProbeScratchPath(build_dir_, getpid()));
  std::string mode = opts_.sandbox_mode;
  if (mode.empty() && getenv("FANOUT_SANDBOX")) mode = getenv("FANOUT_SANDBOX");
  auto choice = ChooseTier(
      probe_, mode, opts_.require_sandbox || plan_->sandbox == SandboxRequirement::kRequired);
  if (!choice.ok()) return choice.error();
  choice_ = *choice;
  if (choice_.tier != Tier::kNamespaces) {
    // Once per build directory on the console (Ninja shows it), not once per edge.
    Warn(fmt::format("fanout: warning: running '{}' in the process sandbox tier (no "
                     "namespaces): {}",
                     target_, choice_.fallback_reason),
         mode == "process" ? "" : "sandbox-fallback-warned",
         "; pass --require-sandbox to make this an error");
  }
  // The process tier restricts reads and writes with Landlock where the kernel has it.
  landlock_ = choice_.tier == Tier::kProcess && probe_.landlock_abi > 0 && !Weakened("landlock");
  // As root, the command runs as the unprivileged build uid, which owns what it may write.
  auto identity = ResolveBuildIdentity();
  if (!identity.ok()) return identity.error();
  identity_ = *identity;
  owner_ = Owner{identity_.active, identity_.uid, identity_.gid};
  // The command may reopen its output (/dev/stdout is the log): the build uid owns it while
  // the command runs, and the runner again after.
  if (owner_.active && fchown(log_.get(), owner_.uid, owner_.gid) != 0) {
    return MakeError(
        fmt::format("cannot give '{}' to the build uid: {}", log_path_, std::strerror(errno)));
  }
  if (identity_.active && choice_.tier == Tier::kProcess) {
    // Without a mount namespace the build uid reaches its workspace through the host's
    // directories: each must be searchable by others.
    for (const std::string& p : {ws_.root, out_dir_}) {
      if (auto blocked = UnsearchableAncestor(p)) {
        return MakeError(fmt::format(
            "the process sandbox tier runs commands as the unprivileged uid {} (fanout runs as "
            "root), which cannot reach '{}': '{}' is not searchable by others; put the build "
            "directory where every parent directory has the x bit for others (chmod o+x), or "
            "run fanout as an unprivileged user",
            identity_.uid, p, *blocked));
      }
    }
  }
  sandbox_ = records::SandboxRecord{};
  sandbox_->tier = TierName(choice_.tier);
  if (!choice_.fallback_reason.empty()) sandbox_->fallback_reason = choice_.fallback_reason;
  // What Landlock restricts in the process tier: reads (the repository and the rest of the
  // build directory are hidden) and writes (only the workspace and its directories).
  if (landlock_)
    sandbox_->landlock = records::LandlockRecord{probe_.landlock_abi, {"read", "write"}};
  // Memory and pids limits go to a cgroup per edge where one is usable; falling back to
  // rlimits is a warning, never an error. Edges without them never touch cgroups.
  const Limits& limits = def_->limits;
  memory_by_rlimit_ = limits.memory_bytes && probe_.cgroups.memory_parent.empty();
  pids_by_rlimit_ = limits.pids && probe_.cgroups.pids_parent.empty();
  use_cgroup_ = (limits.memory_bytes && !memory_by_rlimit_) || (limits.pids && !pids_by_rlimit_);
  if (memory_by_rlimit_ || pids_by_rlimit_) {
    WarnRlimits(memory_by_rlimit_, pids_by_rlimit_, probe_.cgroups.unavailable);
  }
  ws_mode_ = choice_.tier == Tier::kNamespaces && choice_.overlay ? WorkspaceMode::kOverlay
                                                                  : WorkspaceMode::kCopy;
  return {};
}

Status Exec::AcquireBase(const git_oid& tree) {
  InputSelection selection{def_->inputs, plan_->global_inputs, def_->checkout == Checkout::kFull};
  // The overlay shows the base's owners to the command: as root, bases are the build uid's (a
  // cache of their own); a private copy is given to it file by file instead.
  const bool owned_bases = owner_.active && ws_mode_ == WorkspaceMode::kOverlay;
  cache_ = std::make_unique<BaseCache>(
      build_dir_ + "/.fanout/" +
          (owned_bases ? fmt::format("bases-{}", owner_.uid) : std::string("bases")),
      owned_bases ? owner_ : Owner{});
  auto base =
      cache_->Acquire({plan_->repo_root, layout::ObjectStorePath(build_dir_)}, tree, selection);
  if (!base.ok()) return base.error();
  base_ = std::move(*base);
  return {};
}

namespace {
RecordedHook g_recorded_hook = nullptr;
}  // namespace

void SetRecordedHook(RecordedHook hook) { g_recorded_hook = hook; }

int RunExec(const ExecOptions& options) {
  profile::Begin();
  // The exec server's socket and secret are for edges' clients (base/edge_wire.h): never a
  // host variable a target's `pass_env` could name. A client removes them before it hands an
  // edge to the server or runs fanout; this covers a build.ninja that starts fanout itself
  // under `fanout build`.
  if (!Weakened("exec-server-env")) {
    unsetenv(edge::kServerVariable);
    unsetenv(edge::kTokenVariable);
  }
  // Signals are read from a signalfd from the start: an interrupt during setup still records
  // the interruption and re-raises.
  UniqueFd sigfd = BecomeSupervisor();
  // When whatever started us dies (Ninja or `fanout build` killed with SIGKILL), we are
  // interrupted as by SIGTERM (read from the signalfd): the command is stopped and the target
  // recorded as interrupted, instead of running on unseen. A parent gone already counts too.
  if (!Weakened("reaper")) {
    const pid_t parent = getppid();
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) kill(getpid(), SIGTERM);
  }
  // The git configuration is read as by every other command: owner validation needs the
  // user's and the system's safe.directory, and a configuration file that cannot be examined
  // (sudo -u keeps HOME=/root) is skipped (git/libgit2_init.cc).
  EnsureLibgit2();
  profile::Mark("libgit2_init");
  int rc;
  {
    Exec exec(options, sigfd.get());
    rc = exec.Run();
    profile::Point("recorded", MonotonicSeconds());
    if (g_recorded_hook) g_recorded_hook(rc);
  }
  profile::Mark("teardown");
  profile::Write(options.target);
  return rc;
}

}  // namespace fanout::sandbox
