#include "sandbox/runner.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/build_layout.h"
#include "base/file_util.h"
#include "base/unique_fd.h"
#include "description/values.h"
#include "plan/plan.h"
#include "report/report.h"
#include "sandbox/artifacts.h"
#include "sandbox/base_cache.h"
#include "sandbox/cgroup.h"
#include "sandbox/environment.h"
#include "sandbox/fs_util.h"
#include "sandbox/identity.h"
#include "sandbox/isolate.h"
#include "sandbox/owner.h"
#include "sandbox/probe.h"
#include "sandbox/result.h"
#include "sandbox/weaken.h"
#include "sandbox/workspace.h"

namespace fanout::sandbox {

namespace {

// Inside Exec::Run: a failed setup step records the failure and ends the run.
#define FANOUT_TRY_OR(expr)                                              \
  do {                                                                   \
    auto fanout_try_or_ = (expr);                                        \
    if (!fanout_try_or_.ok()) return SetupError(fanout_try_or_.error()); \
  } while (0)

double WallNow() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

void AppendLog(int fd, const std::string& text) {
  if (fd < 0) return;
  std::string line = text;
  if (line.empty() || line.back() != '\n') line.push_back('\n');
  if (write(fd, line.data(), line.size()) < 0) {
    // the log is best effort for fanout's own lines
  }
}

std::string ListSome(const std::vector<std::string>& items, size_t max) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < max; ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > max) out += fmt::format(" (and {} more)", items.size() - max);
  return out;
}

// The private /tmp's size when the target sets no `limits.tmp`.
constexpr std::uint64_t kDefaultTmpBytes = 1ull << 30;

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

// Identity of every file under the dependencies' out dirs: the process tier cannot make them
// read-only, so it checks that the command left them alone.
std::map<std::string, std::string> Fingerprint(const std::map<std::string, std::string>& dirs) {
  std::map<std::string, std::string> fp;
  for (const auto& [dep, dir] : dirs) {
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

struct Source {
  std::optional<std::string> commit;
  std::string tree;
  git_oid tree_oid;
};

Expected<Source> ReadSource(const std::string& build_dir) {
  const std::string path = build_dir + "/" + layout::kSource;
  auto text = fanout::ReadFile(path);
  if (!text.ok()) {
    return MakeError(
        fmt::format("{}; the snapshot edge writes it (run the build through ninja "
                    "or 'fanout build')",
                    text.error().message));
  }
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object() || !j.contains("tree") || !j["tree"].is_string()) {
    return MakeError(fmt::format("{}: not a valid source record", path));
  }
  Source s;
  s.tree = j["tree"].get<std::string>();
  auto oid = ParseOid(s.tree);
  if (!oid) return MakeError(fmt::format("{}: bad tree id '{}'", path, s.tree));
  s.tree_oid = *oid;
  if (j.contains("commit") && j["commit"].is_string()) s.commit = j["commit"].get<std::string>();
  return s;
}

// Everything one run needs, gathered by Setup.
class Exec {
 public:
  Exec(const ExecOptions& opts, int signal_fd) : opts_(opts), signal_fd_(signal_fd) {}
  int Run();

 private:
  int Fail(const std::string& status, int exit_code, int signal, const std::string& message,
           int attempts);
  int SetupError(const Error& e) {
    Fail("failed", 1, 0, e.message, 0);
    return e.exit_code == kExitSuccess ? kExitTargetFailed : e.exit_code;
  }
  [[noreturn]] void Interrupted(int sig, int attempts);
  int PendingInterrupt();
  /// Writes `warning` to the log, and to the console once per build directory (`marker`).
  void Warn(const std::string& warning, const std::string& marker, const std::string& hint);

  ExecOptions opts_;
  int signal_fd_;
  std::string build_dir_;
  std::string target_;
  std::string log_path_, out_dir_;
  UniqueFd log_;
  double started_wall_ = 0;
  std::optional<SandboxRecord> sandbox_;  ///< known once the tier is chosen
};

int Exec::Fail(const std::string& status, int exit_code, int signal, const std::string& message,
               int attempts) {
  FailureRecord f;
  f.target = target_;
  f.status = status;
  f.exit_code = exit_code;
  f.signal = signal;
  f.attempts = attempts;
  f.duration_seconds = WallNow() - started_wall_;
  f.message = message;
  f.log_tail = ReadLogTail(log_path_, 40);
  f.sandbox = sandbox_;
  if (!build_dir_.empty()) {
    (void)WriteFileAtomically(build_dir_ + "/" + layout::FailurePath(target_), FailureJson(f));
  }
  std::string msg =
      fmt::format("fanout: target '{}' {} ({}); log: {}\n", target_,
                  status == "interrupted" ? "was interrupted" : "failed", message, log_path_);
  if (!f.log_tail.empty()) msg += f.log_tail + "\n";
  if (write(2, msg.data(), msg.size()) < 0) {
  }
  return kExitTargetFailed;
}

void Exec::Interrupted(int sig, int attempts) {
  Fail("interrupted", 128 + sig, sig, fmt::format("interrupted by SIG{}", sigabbrev_np(sig)),
       attempts);
  // Die from the same signal, so Ninja reports an interruption rather than a failure.
  signal(sig, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(SIG_UNBLOCK, &set, nullptr);
  kill(getpid(), sig);
  _exit(128 + sig);
}

void Exec::Warn(const std::string& warning, const std::string& marker, const std::string& hint) {
  AppendLog(log_.get(), warning);
  UniqueFd once(marker.empty() ? -1
                               : open((build_dir_ + "/.fanout/" + marker).c_str(),
                                      O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (once) {
    std::string line = warning + hint + "\n";
    if (write(2, line.data(), line.size()) < 0) {
    }
  }
}

int Exec::PendingInterrupt() {
  struct signalfd_siginfo si;
  while (read(signal_fd_, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
    int sig = static_cast<int>(si.ssi_signo);
    if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) return sig;
  }
  return 0;
}

int Exec::Run() {
  started_wall_ = WallNow();
  target_ = opts_.target;
  char real[PATH_MAX];
  if (!realpath(opts_.build_dir.c_str(), real)) {
    std::string msg =
        fmt::format("fanout: build directory '{}': {}\n", opts_.build_dir, std::strerror(errno));
    if (write(2, msg.data(), msg.size()) < 0) {
    }
    return kExitUsage;
  }
  build_dir_ = real;
  auto plan = ReadPlan(build_dir_, &target_);
  if (!plan.ok()) {
    std::string msg = "fanout: " + plan.error().message + "\n";
    if (write(2, msg.data(), msg.size()) < 0) {
    }
    return plan.error().exit_code;
  }
  const PlanTarget* pt = plan->FindTarget(target_);
  if (!pt) {
    std::string msg =
        fmt::format("fanout: unknown target '{}' in {}/{}\n", target_, build_dir_, layout::kPlan);
    if (write(2, msg.data(), msg.size()) < 0) {
    }
    return kExitUsage;
  }
  const Target& def = pt->def;
  // Nothing stale may be taken as this run's outcome.
  unlink((build_dir_ + "/" + layout::ResultPath(target_)).c_str());
  unlink((build_dir_ + "/" + layout::FailurePath(target_)).c_str());
  log_path_ = build_dir_ + "/" + layout::LogPath(target_);
  out_dir_ = build_dir_ + "/" + layout::OutDir(target_);
  FANOUT_TRY_OR(MakeDirs(build_dir_ + "/" + layout::TargetDir(target_)));
  log_.reset(open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644));
  if (!log_)
    return SetupError(
        MakeError(fmt::format("cannot open '{}': {}", log_path_, std::strerror(errno))));

  auto source = ReadSource(build_dir_);
  if (!source.ok()) return SetupError(source.error());
  auto stamp = fanout::ReadFile(build_dir_ + "/" + layout::StampPath(target_));
  if (!stamp.ok()) return SetupError(MakeError(stamp.error().message + "; run 'fanout gen' again"));
  std::string digest = *stamp;
  while (!digest.empty() && (digest.back() == '\n' || digest.back() == ' ')) digest.pop_back();

  // One exec per target at a time: the workspace is private to it.
  const WorkspacePaths ws = WorkspacePaths::For(build_dir_, target_);
  FANOUT_TRY_OR(MakeDirs(build_dir_ + "/.fanout/ws"));
  UniqueFd lock(open((ws.root + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!lock || flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    return SetupError(MakeError(fmt::format(
        "target '{}' is already being built by another 'fanout exec' in {}", target_, build_dir_)));
  }

  // Cached per user outside the build directory, which a checkout could plant state in.
  const ProbeResult probe = CachedProbe(fmt::format("{}/.fanout/probe-{}", build_dir_, getpid()));
  std::string mode = opts_.sandbox_mode;
  if (mode.empty() && getenv("FANOUT_SANDBOX")) mode = getenv("FANOUT_SANDBOX");
  auto choice = ChooseTier(probe, mode,
                           opts_.require_sandbox || plan->sandbox == SandboxRequirement::kRequired);
  if (!choice.ok()) return SetupError(choice.error());
  if (choice->tier != Tier::kNamespaces) {
    // Once per build directory on the console (Ninja shows it), not once per edge.
    Warn(fmt::format("fanout: warning: running '{}' in the process sandbox tier (no "
                     "namespaces): {}",
                     target_, choice->fallback_reason),
         mode == "process" ? "" : "sandbox-fallback-warned",
         "; pass --require-sandbox to make this an error");
  }
  // The process tier restricts reads and writes with Landlock where the kernel has it.
  const bool landlock =
      choice->tier == Tier::kProcess && probe.landlock_abi > 0 && !Weakened("landlock");
  // As root, the command runs as the unprivileged build uid, which owns what it may write.
  auto identity = ResolveBuildIdentity();
  if (!identity.ok()) return SetupError(identity.error());
  const Owner owner{identity->active, identity->uid, identity->gid};
  // The command may reopen its output (/dev/stdout is the log): the build uid owns it while
  // the command runs, and the runner again after.
  if (owner.active && fchown(log_.get(), owner.uid, owner.gid) != 0) {
    return SetupError(MakeError(
        fmt::format("cannot give '{}' to the build uid: {}", log_path_, std::strerror(errno))));
  }
  if (identity->active && choice->tier == Tier::kProcess) {
    // Without a mount namespace the build uid reaches its workspace through the host's
    // directories: each must be searchable by others.
    for (const std::string& p : {ws.root, out_dir_}) {
      if (auto blocked = UnsearchableAncestor(p)) {
        return SetupError(MakeError(fmt::format(
            "the process sandbox tier runs commands as the unprivileged uid {} (fanout runs as "
            "root), which cannot reach '{}': '{}' is not searchable by others; put the build "
            "directory where every parent directory has the x bit for others (chmod o+x), or "
            "run fanout as an unprivileged user",
            identity->uid, p, *blocked)));
      }
    }
  }
  sandbox_ = SandboxRecord{
      TierName(choice->tier), choice->fallback_reason, {}, "", landlock ? probe.landlock_abi : 0};
  // Memory and pids limits go to a cgroup per edge where one is usable; falling back to
  // rlimits is a warning, never an error. Edges without them never touch cgroups.
  const Limits& limits = def.limits;
  const bool memory_by_rlimit = limits.memory_bytes && probe.cgroups.memory_parent.empty();
  const bool pids_by_rlimit = limits.pids && probe.cgroups.pids_parent.empty();
  bool use_cgroup = (limits.memory_bytes && !memory_by_rlimit) || (limits.pids && !pids_by_rlimit);
  auto warn_rlimits = [&](bool memory, bool pids, const std::string& why) {
    sandbox_->limits_fallback_reason = why;
    Warn(fmt::format("fanout: warning: limits of '{}' ({}) are enforced by rlimits, not a "
                     "cgroup: {}",
                     target_,
                     memory && pids ? "memory, pids"
                     : memory       ? "memory"
                                    : "pids",
                     why),
         "limits-fallback-warned", "; run 'fanout doctor' for details");
  };
  if (memory_by_rlimit || pids_by_rlimit) {
    warn_rlimits(memory_by_rlimit, pids_by_rlimit, probe.cgroups.unavailable);
  }
  const WorkspaceMode ws_mode = choice->tier == Tier::kNamespaces && choice->overlay
                                    ? WorkspaceMode::kOverlay
                                    : WorkspaceMode::kCopy;

  InputSelection selection{def.inputs, plan->global_inputs, def.checkout == Checkout::kFull};
  // The overlay shows the base's owners to the command: as root, bases are the build uid's (a
  // cache of their own); a private copy is given to it file by file instead.
  const bool owned_bases = owner.active && ws_mode == WorkspaceMode::kOverlay;
  BaseCache cache(build_dir_ + "/.fanout/" +
                      (owned_bases ? fmt::format("bases-{}", owner.uid) : std::string("bases")),
                  owned_bases ? owner : Owner{});
  auto base = cache.Acquire(plan->repo_root, source->tree_oid, selection);
  if (!base.ok()) return SetupError(base.error());

  std::map<std::string, std::string> dep_outs;
  for (const std::string& d : def.deps) dep_outs[d] = build_dir_ + "/" + layout::OutDir(d);
  const auto host_env = HostEnvironment();
  const int max_attempts = 1 + std::max(0, def.retries);
  std::string last_message;
  std::string last_status = "failed";
  int last_exit = 1, last_signal = 0, attempt = 0;
  bool succeeded = false;
  CollectOutcome collected;
  for (attempt = 1; attempt <= max_attempts; ++attempt) {
    if (int sig = PendingInterrupt()) Interrupted(sig, attempt - 1);
    if (attempt > 1) {
      AppendLog(log_.get(), fmt::format("fanout: attempt {} of {} ({}), in a fresh workspace",
                                        attempt, max_attempts, last_message));
    }
    auto prepared = PrepareWorkspace(ws, *base, ws_mode, owner);
    if (!prepared.ok()) return SetupError(prepared.error());
    FANOUT_TRY_OR(LinkDeps(ws, dep_outs));
    FANOUT_TRY_OR(EmptyDir(out_dir_));
    FANOUT_TRY_OR(owner.Apply(out_dir_));
    for (const auto& [dep, dir] : dep_outs) (void)MakeDirs(dir);

    SandboxSpec spec;
    spec.tier = choice->tier;
    spec.command = def.command;
    std::vector<std::string> env_warnings;
    spec.env = BuildEnvironment(
        def, host_env,
        EnvironmentPaths{ws.home, ws.tmp, out_dir_, ws.deps, ws.src, attempt, ws.root},
        &env_warnings);
    if (attempt == 1) {
      for (const std::string& w : env_warnings) AppendLog(log_.get(), w);
    }
    spec.output_fd = log_.get();
    spec.network = def.network;
    std::unique_ptr<EdgeCgroup> cgroup;
    if (use_cgroup) {
      auto made = EdgeCgroup::Create(probe.cgroups, limits);
      if (made.ok()) {
        cgroup = std::move(*made);
        spec.cgroups = cgroup->joins();
      } else {
        use_cgroup = false;   // for the remaining attempts too
        ForgetCachedProbe();  // the machine changed since the probe: probe again
        warn_rlimits(limits.memory_bytes && !memory_by_rlimit, limits.pids && !pids_by_rlimit,
                     made.error().message);
      }
    }
    spec.limits = RlimitsLeft(limits, cgroup.get());
    sandbox_->limits = LimitsEnforcement(limits, cgroup.get());
    spec.mounts.workspace = ws.src;
    spec.mounts.overlay = ws_mode == WorkspaceMode::kOverlay;
    spec.mounts.lower = base->dir();
    spec.mounts.upper = ws.upper;
    spec.mounts.work = ws.work;
    spec.mounts.userxattr = geteuid() != 0;
    spec.mounts.writable = {ws.home, ws.tmp, out_dir_};
    // Only what the command needs stays visible: not the sources (the work tree and the git
    // directory), not other targets' bases or outputs.
    spec.mounts.hide = {build_dir_};
    if (!plan->repo_root.empty()) {
      for (std::string& dir : RepositoryDirs(plan->repo_root)) {
        spec.mounts.hide.push_back(std::move(dir));
      }
    }
    spec.mounts.keep = {ws.src, ws.home, ws.tmp, ws.deps, out_dir_};
    for (const auto& [dep, dir] : dep_outs) spec.mounts.keep.push_back(dir);
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
      if (owner.active && st.st_gid != 0) spec.extra_gids.push_back(st.st_gid);
    }
    if (owner.active) {
      // Ancestors the build uid could not search are hidden too; what lies under them and is
      // kept is put back beneath a searchable cover.
      for (const std::string& k : spec.mounts.keep) {
        for (std::string a = k; a.size() > 1;) {
          a = a.substr(0, std::max<size_t>(1, a.find_last_of('/')));
          struct stat st;
          if (stat(a.c_str(), &st) == 0 && !(st.st_mode & S_IXOTH)) spec.mounts.hide.push_back(a);
        }
      }
    }
    spec.mounts.tmp_bytes = limits.tmp_bytes ? limits.tmp_bytes : kDefaultTmpBytes;
    spec.mounts.tmpdir = ws.tmp;
    spec.identity = *identity;
    spec.landlock = landlock;
    const std::vector<std::string> patterns = def.artifacts;
    const std::string src = ws.src, out = out_dir_;
    spec.after = [src, out, patterns] {
      return CollectOutcomeToJson(CollectArtifacts(src, out, patterns));
    };
    const auto deps_before = choice->tier == Tier::kProcess ? Fingerprint(dep_outs)
                                                            : std::map<std::string, std::string>();

    auto sandbox = Sandbox::Start(spec);
    if (!sandbox.ok()) {
      ForgetCachedProbe();  // the machine changed since the probe: probe again next time
      return SetupError(sandbox.error());
    }
    const double timeout = def.timeout_seconds ? static_cast<double>(*def.timeout_seconds) : 0;
    Supervision sv = Supervise(**sandbox, signal_fd_, timeout, opts_.kill_grace_seconds);
    if (owner.active) (void)fchown(log_.get(), geteuid(), getegid());
    // Nothing the command left in $TMPDIR (a secret a build step wrote) outlives the edge.
    if (!Weakened("tmp")) (void)EmptyDir(ws.tmp);
    // Read what the limits did before the cgroup goes; it must go before an interrupt re-raises.
    const bool memory_hit = cgroup && cgroup->MemoryLimitHit();
    const bool pids_hit = cgroup && cgroup->PidsLimitHit();
    if (cgroup) {
      if (Status st = cgroup->Destroy(); !st.ok()) {
        AppendLog(log_.get(), "fanout: warning: " + st.error().message);
      }
      cgroup.reset();
    }
    if (sv.interrupted_by) Interrupted(sv.interrupted_by, attempt);
    if (!sv.exit.setup_error.empty()) {
      ForgetCachedProbe();
      AppendLog(log_.get(), "fanout: sandbox setup failed: " + sv.exit.setup_error);
      return SetupError(MakeError("sandbox setup failed: " + sv.exit.setup_error));
    }
    last_exit = sv.exit.exit_code;
    last_signal = sv.exit.signal;
    if (sv.timed_out) {
      last_status = "timed_out";
      last_message = "timed out after " + FormatDuration(*def.timeout_seconds);
      AppendLog(log_.get(), "fanout: " + last_message + "; the sandbox was killed");
      continue;
    }
    last_status = "failed";
    if (sv.exit.exit_code != 0 || sv.exit.signal != 0) {
      last_message = DescribeExit(sv.exit.exit_code, sv.exit.signal);
      const char* via = CgroupVersionName(probe.cgroups.version);
      if (memory_hit) {
        const std::string how = last_message;
        last_message =
            fmt::format("killed: memory limit {} exceeded", FormatByteSize(limits.memory_bytes));
        AppendLog(log_.get(), fmt::format("fanout: {} ({}: the kernel killed a process of the "
                                          "sandbox; the command {})",
                                          last_message, via, how));
      } else if (pids_hit) {
        last_message += fmt::format("; pids limit {} reached", limits.pids);
        AppendLog(log_.get(), fmt::format("fanout: the pids limit {} was reached ({}): a fork or "
                                          "clone in the sandbox failed",
                                          limits.pids, via));
      }
      continue;
    }
    if (choice->tier == Tier::kProcess && Fingerprint(dep_outs) != deps_before) {
      last_message = "the command modified its dependencies' artifacts in $FANOUT_DEPS";
      AppendLog(log_.get(), "fanout: error: " + last_message);
      last_exit = 1;
      continue;
    }
    auto outcome = CollectOutcomeFromJson(sv.exit.after_output);
    if (!outcome.ok()) {
      last_message = "artifact collection did not report";
      last_exit = 1;
      continue;
    }
    if (!outcome->errors.empty()) {
      for (const std::string& e : outcome->errors) AppendLog(log_.get(), "fanout: error: " + e);
      last_message = outcome->errors.size() == 1
                         ? outcome->errors[0]
                         : fmt::format("{} (and {} more artifact errors)", outcome->errors[0],
                                       outcome->errors.size() - 1);
      last_exit = 1;
      continue;
    }
    collected = std::move(*outcome);
    succeeded = true;
    break;
  }
  if (!succeeded) {
    return Fail(last_status, last_exit, last_signal, last_message, std::min(attempt, max_attempts));
  }

  // Undeclared writes are allowed but reported: they are what a declared artifact forgot.
  if (!collected.removed.empty()) {
    AppendLog(log_.get(), fmt::format("fanout: warning: removed {} undeclared file(s) from "
                                      "$FANOUT_OUT: {}",
                                      collected.removed.size(), ListSome(collected.removed, 10)));
  }
  auto changes = ScanChanges(ws, *base, ws_mode);
  if (changes.ok()) {
    std::set<std::string> declared(collected.paths.begin(), collected.paths.end());
    std::vector<std::string> undeclared;
    for (const std::string& p : changes->written) {
      if (!declared.count(p)) undeclared.push_back(p);
    }
    if (!undeclared.empty()) {
      AppendLog(log_.get(), fmt::format("fanout: warning: {} undeclared file(s) written in the "
                                        "workspace were not collected: {}",
                                        undeclared.size(), ListSome(undeclared, 10)));
    }
  }

  // The artifacts become the runner's again: no later command (a dependent's, running as the
  // same build uid) can change them.
  if (owner.active && !Weakened("deps")) {
    const Owner runner{true, geteuid(), getegid()};
    FANOUT_TRY_OR(runner.ApplyTree(out_dir_));
  }
  auto artifacts = HashArtifacts(out_dir_, collected.paths);
  if (!artifacts.ok()) return SetupError(artifacts.error());
  SuccessRecord r;
  r.target = target_;
  r.attempts = attempt;
  r.started_at = started_wall_;
  r.finished_at = WallNow();
  r.commit = source->commit;
  r.tree = source->tree;
  r.input_digest = digest;
  r.sandbox = *sandbox_;
  r.artifacts = std::move(*artifacts);
  r.log = layout::LogPath(target_);
  Status written =
      WriteFileAtomically(build_dir_ + "/" + layout::ResultPath(target_), SuccessJson(r));
  if (!written.ok()) return SetupError(written.error());

  // Housekeeping after the result is safe: keep the bases the targets last used.
  if (cache.Count() > plan->target_count + 8) {
    std::set<std::string> keep = {base->key()};
    cache.CollectGarbage(keep, plan->target_count + 4);
  }
  return kExitSuccess;
}

}  // namespace

int RunExec(const ExecOptions& options) {
  // Signals are read from a signalfd from the start: an interrupt during setup still records
  // the interruption and re-raises.
  UniqueFd sigfd = BecomeSupervisor();
  // The git configuration is read as by every other command: owner validation needs the
  // user's and the system's safe.directory, and a configuration file that cannot be examined
  // (sudo -u keeps HOME=/root) is skipped (git/libgit2_init.cc).
  EnsureLibgit2();
  Exec exec(options, sigfd.get());
  return exec.Run();
}

}  // namespace fanout::sandbox
