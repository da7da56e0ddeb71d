// The sandbox capability probe: which isolation tier this machine supports, found by trying
// it (a helper process creates the namespaces, mounts a tmpfs, an overlay and /proc), as Nix
// and Bazel do, and which cgroups can hold limits (cgroup.h). It runs once per build directory and
// boot; `fanout doctor` prints it.
#pragma once

#include <string>
#include <vector>

#include "base/expected.h"
#include "sandbox/cgroup.h"

namespace fanout::sandbox {

/// How a target is isolated.
enum class Tier {
  kNamespaces,  ///< mount, PID, IPC, UTS (and network) namespaces; read-only file system
  kProcess,     ///< own session and process group, subreaper, Landlock where available
};

/// "namespaces" or "process".
const char* TierName(Tier tier);

/// What the probe found.
struct ProbeResult {
  bool root = false;              ///< euid 0 with CAP_SYS_ADMIN: no user namespace needed
  bool user_ns = false;           ///< a user namespace could be created (needed when not root)
  bool namespaces = false;        ///< mount+PID+IPC+UTS namespaces work, with tmpfs mounts
  bool net_ns = false;            ///< a network namespace can be created as well
  bool overlay = false;           ///< overlayfs mounts on the build directory's file system
  bool proc = false;              ///< a fresh /proc mounts in the new PID namespace
  bool detached_mounts = false;   ///< open_tree/move_mount work (keeping the build dir visible)
  bool nested_user_ns = false;    ///< root only: the command can run in a nested user namespace
  bool readonly_remount = false;  ///< bind mounts can be remounted read-only
  int landlock_abi = 0;           ///< 0: no Landlock
  bool seccomp = false;
  std::string kernel;  ///< uname release
  /// Why the namespaces tier is not available; empty when it is.
  std::string namespaces_unavailable;
  /// Where `limits: {memory, pids}` can be enforced with cgroups (else rlimits).
  CgroupSupport cgroups;
};

/// Runs the probe now, using `scratch_dir` (created and removed) on the file system where
/// workspaces will live.
ProbeResult RunProbe(const std::string& scratch_dir);

/// Where the probe result is cached for this user, never inside a build directory (a checkout
/// could plant it there): `$XDG_RUNTIME_DIR/fanout/sandbox-probe.json` when that directory is
/// this user's, else `${XDG_CACHE_HOME:-$HOME/.cache}/fanout/sandbox-probe-<euid>.json`, else
/// `/tmp/fanout-<euid>/sandbox-probe.json` (a 0700 directory of this user). Creates the
/// directory; empty when none is usable (then nothing is cached).
std::string ProbeCachePath();

/// The probe result cached in `cache_path` (ProbeCachePath() when empty) when the file is
/// trustworthy (a regular file of this user, not group- or other-writable, in a directory of
/// this user or root that is not group- or other-writable) and was written on this boot by
/// this user in the same cgroups, by this fanout binary, for the file system of `scratch_dir`;
/// otherwise runs the probe (in `scratch_dir`) and rewrites the cache. The file keeps an
/// entry for each of the last few such stamps of this boot, the newest first.
ProbeResult CachedProbe(const std::string& scratch_dir, const std::string& cache_path = {});

/// Runs CachedProbe for `scratch_dir` now and keeps its result in this process, for the
/// processes it forks: the exec server does it once for its build directory, and each worker's
/// CachedProbe for a scratch directory on the same file system, with the same cache path,
/// returns it without reading the cache again while the cache file is the one it was read
/// from (a worker whose sandbox failed to start removes it, ForgetCachedProbe, and the next
/// probes again); the rest of the stamp, the boot, the user, the cgroups and the binary, is
/// the server's. See docs/exec-server.md.
void KeepProbeForChildren(const std::string& scratch_dir);

/// Drops the cached probe (ProbeCachePath() when `cache_path` is empty), so that the next
/// CachedProbe probes again: the machine changed since.
void ForgetCachedProbe(const std::string& cache_path = {});

std::string ProbeToJson(const ProbeResult& probe);
Expected<ProbeResult> ProbeFromJson(const std::string& text);

/// The tier a target runs in and why it is not the best one.
struct TierChoice {
  Tier tier = Tier::kProcess;
  std::string fallback_reason;  ///< empty when running in the namespaces tier
  bool overlay = false;         ///< namespaces tier: overlay workspace (else a private copy)
};

/// Chooses the tier from the probe and the FANOUT_SANDBOX setting (`forced`: "", "auto",
/// "namespaces" or "process"). Falling below the namespaces tier is an error when `required`
/// (`--require-sandbox`, `sandbox: required`) or when forced to "namespaces".
Expected<TierChoice> ChooseTier(const ProbeResult& probe, const std::string& forced, bool required);

}  // namespace fanout::sandbox
