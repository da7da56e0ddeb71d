// One attempt of a target's command in its sandbox (sandbox/exec.h): a fresh workspace, the
// sandbox's spec, supervision under the timeout, and what the outcome says.
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <set>
#include <string>

#include <fmt/format.h>

#include "base/build_layout.h"
#include "description/values.h"
#include "sandbox/cgroup.h"
#include "sandbox/command_size.h"
#include "sandbox/environment.h"
#include "sandbox/exec.h"
#include "sandbox/exec_profile.h"
#include "sandbox/fs_util.h"
#include "sandbox/log_relay.h"
#include "sandbox/weaken.h"

namespace fanout::sandbox {

namespace {

// The private /tmp's size when the target sets no `limits.tmp`.
constexpr std::uint64_t kDefaultTmpBytes = 1ull << 30;

// Identity of every file under the dependencies' out dirs: the process tier cannot make them
// read-only, so it checks that the command left them alone.
std::map<std::string, std::string> Fingerprint(const std::map<std::string, std::string>& dirs) {
  std::map<std::string, std::string> fp;
  for (const auto& [name, dir] : dirs) {
    const std::string& dep = name;  // clang 14 cannot capture a structured binding
    (void)WalkDir(dir, [&](const WalkEntry& e) {
      fp[dep + "/" + e.path] = fmt::format("{} {} {} {}.{}", e.st.st_ino, e.st.st_mode,
                                           e.st.st_size, e.st.st_ctim.tv_sec, e.st.st_ctim.tv_nsec);
      return WalkAction::kContinue;
    });
  }
  return fp;
}

// How each declared limit is enforced when `cgroup` (may be null) holds the edge.
std::map<std::string, std::string> LimitsEnforcement(const Limits& l, const EdgeCgroup* cgroup) {
  std::map<std::string, std::string> m;
  const std::string via = cgroup ? CgroupVersionName(cgroup->version()) : "rlimit";
  if (l.memory_bytes) m["memory"] = cgroup && cgroup->limits_memory() ? via : "rlimit";
  if (l.pids) m["pids"] = cgroup && cgroup->limits_pids() ? via : "rlimit";
  if (l.nofile) m["nofile"] = "rlimit";
  return m;
}

// The limits left to rlimits: all but what the edge's cgroup enforces.
Limits RlimitsLeft(Limits l, const EdgeCgroup* cgroup) {
  if (cgroup && cgroup->limits_memory()) l.memory_bytes = 0;
  if (cgroup && cgroup->limits_pids()) l.pids = 0;
  return l;
}

}  // namespace

void Exec::WarnRlimits(bool memory, bool pids, const std::string& why) {
  sandbox_->limits_fallback_reason = why;
  Warn(fmt::format("fanout: warning: limits of '{}' ({}) are enforced by rlimits, not a "
                   "cgroup: {}",
                   target_,
                   memory && pids ? "memory, pids"
                   : memory       ? "memory"
                                  : "pids",
                   why),
       "limits-fallback-warned", "; run 'fanout doctor' for details");
}

SandboxSpec Exec::BuildSpec(int attempt) {
  const Target& def = *def_;
  SandboxSpec spec;
  spec.tier = choice_.tier;
  spec.command = Command();
  std::vector<std::string> env_warnings;
  spec.env = BuildEnvironment(
      def, host_env_,
      EnvironmentPaths{ws_.home, ws_.tmp, out_dir_, ws_.deps, ws_.src, attempt, ws_.root},
      &env_warnings);
  if (attempt == 1) {
    for (const std::string& w : env_warnings) AppendLog(log_.get(), w);
  }
  spec.output_fd = log_.get();
  spec.inherit_fds = SecretFds();
  spec.network = def.network;
  spec.mounts.workspace = ws_.src;
  spec.mounts.overlay = ws_mode_ == WorkspaceMode::kOverlay;
  spec.mounts.lower = base_->dir();
  spec.mounts.upper = ws_.upper;
  spec.mounts.work = ws_.work;
  spec.mounts.userxattr = geteuid() != 0;
  spec.mounts.writable = {ws_.home, ws_.tmp, out_dir_};
  // Only what the command needs stays visible: not the sources (the work tree and the git
  // directory), not other targets' bases or outputs.
  spec.mounts.hide = {build_dir_};
  if (!plan_->repo_root.empty()) {
    for (std::string& dir : RepositoryDirs(plan_->repo_root)) {
      spec.mounts.hide.push_back(std::move(dir));
    }
  }
  spec.mounts.keep = {ws_.src, ws_.home, ws_.tmp, ws_.deps, out_dir_};
  // The buildah engine's layer store, shared with the build directory's other image targets.
  if (!buildah_store_.empty()) {
    spec.mounts.writable.push_back(buildah_store_);
    spec.mounts.keep.push_back(buildah_store_);
  }
  for (const auto& [dep, dir] : dep_outs_) spec.mounts.keep.push_back(dir);
  // Host sockets (a Docker daemon's among them) only when declared: the rest of /run and
  // /var/run is hidden. The resolver's configuration stays where it points into /run.
  if (!Weakened("run")) {
    for (const char* run : {"/run", "/var/run"}) {
      struct stat st;
      if (lstat(run, &st) == 0 && S_ISDIR(st.st_mode)) spec.mounts.hide.push_back(run);
    }
    char resolv[PATH_MAX];
    if (realpath("/etc/resolv.conf", resolv) && PathIsUnder(resolv, "/run")) {
      spec.mounts.keep.push_back(resolv);
    }
  }
  for (const std::string& sock : def.sockets) {
    char real[PATH_MAX];
    struct stat st;
    if (!realpath(sock.c_str(), real) || stat(real, &st) != 0 || !S_ISSOCK(st.st_mode)) {
      AppendLog(log_.get(), fmt::format("fanout: warning: declared socket '{}' of '{}' is not "
                                        "a Unix socket on this machine; not bound",
                                        sock, target_));
      continue;
    }
    spec.mounts.keep.push_back(real);
    if (real != sock) spec.mounts.keep.push_back(sock);
    // The build uid reaches it through the socket's group (docker's, podman's), never root's.
    if (owner_.active && st.st_gid != 0) spec.extra_gids.push_back(st.st_gid);
    // Connecting needs write permission: through the group (not root's), or for everyone.
    const bool reachable = (st.st_mode & S_IWOTH) || (st.st_gid != 0 && (st.st_mode & S_IWGRP));
    if (owner_.active && !reachable) {
      AppendLog(log_.get(),
                fmt::format("fanout: warning: declared socket '{}' of '{}' is mode {:04o}, "
                            "group {}: the build user cannot connect to it; give the socket a "
                            "group other than root's with write access (dockerd --group docker)",
                            sock, target_, st.st_mode & 07777, st.st_gid));
    }
  }
  if (owner_.active) {
    // Ancestors the build uid could not search are hidden too; what lies under them and is
    // kept is put back beneath a searchable cover. The kept paths share most ancestors: an
    // ancestor seen already had its own looked at.
    std::set<std::string> seen;
    for (const std::string& k : spec.mounts.keep) {
      for (std::string a = k; a.size() > 1;) {
        a = a.substr(0, std::max<size_t>(1, a.find_last_of('/')));
        if (!seen.insert(a).second) break;
        struct stat st;
        if (stat(a.c_str(), &st) == 0 && !(st.st_mode & S_IXOTH)) spec.mounts.hide.push_back(a);
      }
    }
  }
  spec.mounts.tmp_bytes = def.limits.tmp_bytes ? def.limits.tmp_bytes : kDefaultTmpBytes;
  spec.mounts.tmpdir = ws_.tmp;
  spec.identity = identity_;
  spec.subordinate = subordinate_;
  spec.landlock = landlock_;
  const std::vector<std::string> patterns = ArtifactPatterns();
  const std::string src = ws_.src, out = out_dir_;
  spec.after = [src, out, patterns] {
    return CollectOutcomeToJson(CollectArtifacts(src, out, patterns));
  };
  return spec;
}

Expected<std::optional<CollectOutcome>> Exec::Attempt(int attempt, int max_attempts) {
  const Target& def = *def_;
  const Limits& limits = def.limits;
  if (int sig = PendingInterrupt()) Interrupted(sig, attempt - 1);
  if (attempt > 1) {
    AppendLog(log_.get(), fmt::format("fanout: attempt {} of {} ({}), in a fresh workspace",
                                      attempt, max_attempts, last_message_));
  }
  ending_sandbox_.reset();  // an earlier attempt's, ended before its workspace is made again
  auto prepared = PrepareWorkspace(ws_, *base_, ws_mode_, owner_);
  if (!prepared.ok()) return prepared.error();
  FANOUT_TRY(LinkDeps(ws_, dep_outs_));
  FANOUT_TRY(EmptyDir(out_dir_));
  FANOUT_TRY(owner_.Apply(out_dir_));
  for (const auto& [dep, dir] : dep_outs_) (void)MakeDirs(dir);
  profile::Mark("workspace");

  SandboxSpec spec = BuildSpec(attempt);
  // execve's own refusal would only reach the log, as exit status 127.
  if (std::optional<std::string> too_long = CommandTooLong(spec.command, spec.env)) {
    AppendLog(log_.get(), "fanout: error: " + *too_long);
    return MakeError(*too_long);
  }
  std::unique_ptr<EdgeCgroup> cgroup;
  if (use_cgroup_) {
    auto made = EdgeCgroup::Create(probe_.cgroups, limits);
    if (made.ok()) {
      cgroup = std::move(*made);
      spec.cgroups = cgroup->joins();
    } else {
      use_cgroup_ = false;  // for the remaining attempts too
      ForgetCachedProbe();  // the machine changed since the probe: probe again
      WarnRlimits(limits.memory_bytes && !memory_by_rlimit_, limits.pids && !pids_by_rlimit_,
                  made.error().message);
    }
  }
  spec.limits = RlimitsLeft(limits, cgroup.get());
  sandbox_->limits = LimitsEnforcement(limits, cgroup.get());
  const auto deps_before = choice_.tier == Tier::kProcess ? Fingerprint(dep_outs_)
                                                          : std::map<std::string, std::string>();

  // The output goes through a pipe to the log, which keeps at most the target's log_limit.
  auto relay = LogRelay::Create(log_.get(), def.log_limit ? def.log_limit : kDefaultLogLimit);
  if (!relay.ok()) return relay.error();
  if (owner_.active) FANOUT_TRY((*relay)->Chown(owner_.uid, owner_.gid));
  spec.output_fd = (*relay)->write_fd();
  profile::Mark("sandbox_spec_and_log_relay");
  auto sandbox = Sandbox::Start(spec);
  (*relay)->CloseWriteEnd();
  if (!sandbox.ok()) {
    ForgetCachedProbe();  // the machine changed since the probe: probe again next time
    return sandbox.error();
  }
  const double timeout = def.timeout_seconds ? static_cast<double>(*def.timeout_seconds) : 0;
  Supervision sv =
      Supervise(**sandbox, signal_fd_, timeout, opts_.kill_grace_seconds, relay->get());
  // The sandbox's own points split the supervision: set-up, the command, collection, end.
  profile::Point("sandbox_setup_done", sv.exit.setup_done);
  profile::Point("command_done", sv.exit.command_done);
  profile::Point("collection_done", sv.exit.after_done);
  profile::Mark("sandbox");
  (*relay)->Finish();
  if (owner_.active) (void)fchown(log_.get(), geteuid(), getegid());
  // Nothing the command left in $TMPDIR (a secret a build step wrote) outlives the edge. In
  // the namespaces tier $TMPDIR is the sandbox's private /tmp (sandbox/mounts.cc), mounted over
  // this directory and gone with the sandbox: nothing reaches the disk there.
  if (!Weakened("tmp") && choice_.tier == Tier::kProcess) (void)EmptyDir(ws_.tmp);
  // Read what the limits did before the cgroup goes; it must go before an interrupt re-raises.
  const bool memory_hit = cgroup && cgroup->MemoryLimitHit();
  const bool pids_hit = cgroup && cgroup->PidsLimitHit();
  // The sandbox's PID 1 may still be exiting (Sandbox::WaitEnded). A cgroup can go only once
  // it is empty, and an interrupt re-raises; otherwise PID 1 is waited for after the records
  // are written, before the target's lock goes (ending_sandbox_).
  if (cgroup || sv.interrupted_by) (*sandbox)->WaitEnded();
  ending_sandbox_ = std::move(*sandbox);
  if (cgroup) {
    if (Status st = cgroup->Destroy(); !st.ok()) {
      AppendLog(log_.get(), "fanout: warning: " + st.error().message);
    }
    cgroup.reset();
  }
  profile::Mark("log_tmp_and_cgroup_cleanup");
  if (sv.interrupted_by) Interrupted(sv.interrupted_by, attempt);
  if (!sv.exit.setup_error.empty()) {
    ForgetCachedProbe();
    AppendLog(log_.get(), "fanout: sandbox setup failed: " + sv.exit.setup_error);
    return MakeError("sandbox setup failed: " + sv.exit.setup_error);
  }
  last_exit_ = sv.exit.exit_code;
  last_signal_ = sv.exit.signal;
  if (sv.timed_out) {
    last_status_ = TargetStatus::kTimedOut;
    last_message_ = "timed out after " + FormatDuration(*def.timeout_seconds);
    AppendLog(log_.get(), "fanout: " + last_message_ + "; the sandbox was killed");
    return std::optional<CollectOutcome>();
  }
  last_status_ = TargetStatus::kFailed;
  if (sv.exit.exit_code != 0 || sv.exit.signal != 0) {
    last_message_ = DescribeExit(sv.exit.exit_code, sv.exit.signal);
    const char* via = CgroupVersionName(probe_.cgroups.version);
    if (memory_hit) {
      const std::string how = last_message_;
      last_message_ =
          fmt::format("killed: memory limit {} exceeded", FormatByteSize(limits.memory_bytes));
      AppendLog(log_.get(), fmt::format("fanout: {} ({}: the kernel killed a process of the "
                                        "sandbox; the command {})",
                                        last_message_, via, how));
    } else if (pids_hit) {
      last_message_ += fmt::format("; pids limit {} reached", limits.pids);
      AppendLog(log_.get(), fmt::format("fanout: the pids limit {} was reached ({}): a fork or "
                                        "clone in the sandbox failed",
                                        limits.pids, via));
    }
    return std::optional<CollectOutcome>();
  }
  if (choice_.tier == Tier::kProcess && Fingerprint(dep_outs_) != deps_before) {
    last_message_ = "the command modified its dependencies' artifacts in $FANOUT_DEPS";
    AppendLog(log_.get(), "fanout: error: " + last_message_);
    last_exit_ = 1;
    return std::optional<CollectOutcome>();
  }
  auto outcome = CollectOutcomeFromJson(sv.exit.after_output);
  if (!outcome.ok()) {
    last_message_ = "artifact collection did not report";
    last_exit_ = 1;
    return std::optional<CollectOutcome>();
  }
  if (!outcome->errors.empty()) {
    for (const std::string& e : outcome->errors) AppendLog(log_.get(), "fanout: error: " + e);
    last_message_ = outcome->errors.size() == 1
                        ? outcome->errors[0]
                        : fmt::format("{} (and {} more artifact errors)", outcome->errors[0],
                                      outcome->errors.size() - 1);
    last_exit_ = 1;
    return std::optional<CollectOutcome>();
  }
  return std::optional<CollectOutcome>(std::move(*outcome));
}

Exec::~Exec() {
  const bool overlay = ending_sandbox_ && ws_mode_ == WorkspaceMode::kOverlay;
  ending_sandbox_.reset();  // PID 1 reaped: the overlay is unmounted with its namespace
  // The overlay's mount makes its work directory (work/work) afresh and removes any it finds
  // first. Removing a directory, as removing a file, frees blocks on the build directory's
  // disk, one of the dearer steps of an edge (docs/edge-cost.md): both are done here, once the
  // records are written, and not on the edge's path. A run killed before this leaves them to
  // the next run (PrepareWorkspace, PrepareTargetDir).
  if (overlay) (void)EmptyDir(ws_.work);
  if (!superseded_result_.empty()) unlink(superseded_result_.c_str());
}

}  // namespace fanout::sandbox
