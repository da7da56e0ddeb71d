#include "sandbox/probe.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/file_util.h"
#include "base/unique_fd.h"
#include "base/user_state.h"
#include "sandbox/fs_util.h"
#include "sandbox/landlock.h"
#include "sandbox/mounts.h"

namespace fanout::sandbox {

namespace {

// Result bits of the probe child (its exit status).
enum : int {
  kTmpfs = 1,
  kOverlay = 2,
  kDetached = 4,
  kReadOnly = 8,
  kProc = 16,
  kNestedUserNs = 32,
  kFatal = 100,  // exit statuses >= this: nothing worked
};

struct ProbeCtx {
  std::string scratch;
  bool user_ns;
  uid_t uid;
  gid_t gid;
};

std::string ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  return s;
}

bool HasCapSysAdmin() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("CapEff:", 0) == 0) {
      unsigned long long caps = std::stoull(line.substr(7), nullptr, 16);
      return (caps >> 21) & 1;  // CAP_SYS_ADMIN
    }
  }
  return false;
}

// Whether a nested user namespace gets a full identity map from its parent (root's way to run
// the command without real capabilities).
bool NestedUserNsWorks() {
  int to_parent[2], to_child[2];
  if (pipe2(to_parent, O_CLOEXEC) != 0) return false;
  if (pipe2(to_child, O_CLOEXEC) != 0) return false;
  pid_t pid = fork();
  if (pid == 0) {
    char c = unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0 ? 'u' : 'x';
    if (write(to_parent[1], &c, 1) != 1 || c != 'u') _exit(1);
    if (read(to_child[0], &c, 1) != 1 || c != 'k') _exit(1);
    _exit(getuid() == 0 ? 0 : 1);
  }
  close(to_parent[1]);
  close(to_child[0]);
  char c = 0;
  bool ok = read(to_parent[0], &c, 1) == 1 && c == 'u' && WriteIdMaps(pid, true, 0, 0).empty();
  c = ok ? 'k' : 'x';
  if (write(to_child[1], &c, 1) != 1) ok = false;
  close(to_parent[0]);
  close(to_child[1]);
  int status = 0;
  waitpid(pid, &status, 0);
  return ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int ProbeChild(void* arg) {
  auto* ctx = static_cast<ProbeCtx*>(arg);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  prctl(PR_SET_DUMPABLE, 1);  // fanout is not (main.cc); /proc/self/uid_map must be ours
  if (ctx->user_ns && !WriteIdMaps(0, false, ctx->uid, ctx->gid).empty()) return kFatal;
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return kFatal + 1;
  int bits = 0;
  const std::string s = ctx->scratch;
  for (const char* d : {"/t", "/l", "/u", "/w", "/m", "/r"}) mkdir((s + d).c_str(), 0755);
  if (mount("tmpfs", (s + "/t").c_str(), "tmpfs", 0, "mode=0755") == 0) bits |= kTmpfs;
  const std::string opts = OverlayOptions(s + "/l", s + "/u", s + "/w", ctx->user_ns);
  if (mount("overlay", (s + "/m").c_str(), "overlay", 0, opts.c_str()) == 0) bits |= kOverlay;
  UniqueFd tree(open_tree(AT_FDCWD, s.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
  if (tree) bits |= kDetached;
  if (mount((s + "/r").c_str(), (s + "/r").c_str(), nullptr, MS_BIND, nullptr) == 0 &&
      mount(nullptr, (s + "/r").c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) == 0) {
    bits |= kReadOnly;
  }
  if (MountProc()) bits |= kProc;
  if (!ctx->user_ns && NestedUserNsWorks()) bits |= kNestedUserNs;
  return bits;
}

std::string BootId() { return ReadSmallFile("/proc/sys/kernel/random/boot_id"); }

}  // namespace

const char* TierName(Tier tier) { return tier == Tier::kNamespaces ? "namespaces" : "process"; }

ProbeResult RunProbe(const std::string& scratch_dir) {
  ProbeResult r;
  struct utsname u;
  if (uname(&u) == 0) r.kernel = u.release;
  r.root = geteuid() == 0 && HasCapSysAdmin();
  r.cgroups = ProbeCgroups();
  r.landlock_abi = LandlockAbi();
  r.seccomp = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0;

  if (!MakeDirs(scratch_dir).ok()) {
    r.namespaces_unavailable = "cannot create the probe directory " + scratch_dir;
    return r;
  }
  ProbeCtx ctx{scratch_dir, !r.root, getuid(), getgid()};
  int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
  if (!r.root) flags |= CLONE_NEWUSER;
  pid_t pid = CloneProcess(ProbeChild, &ctx, flags | CLONE_NEWNET);
  if (pid > 0) {
    r.net_ns = true;
  } else {
    pid = CloneProcess(ProbeChild, &ctx, flags);
  }
  if (pid < 0) {
    const int err = errno;
    std::string why =
        fmt::format("creating {}namespaces failed: {}", r.root ? "" : "user ", std::strerror(err));
    if (!r.root) {
      if (ReadSmallFile("/proc/sys/kernel/unprivileged_userns_clone") == "0") {
        why += " (kernel.unprivileged_userns_clone=0)";
      } else if (ReadSmallFile("/proc/sys/user/max_user_namespaces") == "0") {
        why += " (user.max_user_namespaces=0)";
      } else if (ReadSmallFile("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == "1") {
        why += " (AppArmor restricts unprivileged user namespaces)";
      }
    } else if (err == EPERM) {
      why += " (a container's seccomp profile?)";
    }
    r.namespaces_unavailable = why;
    (void)RemoveTree(scratch_dir);
    return r;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  (void)RemoveTree(scratch_dir);
  const int bits = WIFEXITED(status) ? WEXITSTATUS(status) : kFatal;
  r.user_ns = !r.root && bits < kFatal;
  if (bits >= kFatal) {
    r.namespaces_unavailable = r.root ? "making the new mount namespace private failed"
                                      : "setting up the user namespace's id maps failed";
    return r;
  }
  r.overlay = bits & kOverlay;
  r.proc = bits & kProc;
  r.detached_mounts = bits & kDetached;
  r.readonly_remount = bits & kReadOnly;
  r.nested_user_ns = bits & kNestedUserNs;
  if (!(bits & kTmpfs)) {
    r.namespaces_unavailable = "mounting a tmpfs in a new mount namespace failed";
  } else if (!r.readonly_remount) {
    r.namespaces_unavailable = "remounting a bind mount read-only failed";
  } else if (!r.detached_mounts) {
    r.namespaces_unavailable = "open_tree/move_mount are not available (Linux < 5.2)";
  } else if (r.root && !r.nested_user_ns) {
    r.namespaces_unavailable = "a nested user namespace (to drop root's capabilities) failed";
  } else {
    r.namespaces = true;
  }
  return r;
}

std::string ProbeToJson(const ProbeResult& p) {
  nlohmann::json j = {{"root", p.root},
                      {"user_ns", p.user_ns},
                      {"namespaces", p.namespaces},
                      {"net_ns", p.net_ns},
                      {"overlay", p.overlay},
                      {"proc", p.proc},
                      {"detached_mounts", p.detached_mounts},
                      {"nested_user_ns", p.nested_user_ns},
                      {"readonly_remount", p.readonly_remount},
                      {"landlock_abi", p.landlock_abi},
                      {"seccomp", p.seccomp},
                      {"kernel", p.kernel},
                      {"namespaces_unavailable", p.namespaces_unavailable},
                      {"cgroups",
                       {{"version", static_cast<int>(p.cgroups.version)},
                        {"memory_parent", p.cgroups.memory_parent},
                        {"pids_parent", p.cgroups.pids_parent},
                        {"unavailable", p.cgroups.unavailable}}}};
  return j.dump(2) + "\n";
}

Expected<ProbeResult> ProbeFromJson(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return MakeError("malformed probe result");
  ProbeResult p;
  auto b = [&](const char* k) { return j.contains(k) && j[k].is_boolean() && j[k].get<bool>(); };
  p.root = b("root");
  p.user_ns = b("user_ns");
  p.namespaces = b("namespaces");
  p.net_ns = b("net_ns");
  p.overlay = b("overlay");
  p.proc = b("proc");
  p.detached_mounts = b("detached_mounts");
  p.nested_user_ns = b("nested_user_ns");
  p.readonly_remount = b("readonly_remount");
  if (j.contains("landlock_abi") && j["landlock_abi"].is_number_integer()) {
    p.landlock_abi = j["landlock_abi"].get<int>();
  }
  if (!j.contains("namespaces") || !j.contains("kernel") || !j["kernel"].is_string()) {
    return MakeError("malformed probe result");
  }
  p.seccomp = b("seccomp");
  p.kernel = j["kernel"].get<std::string>();
  if (j.contains("namespaces_unavailable") && j["namespaces_unavailable"].is_string()) {
    p.namespaces_unavailable = j["namespaces_unavailable"].get<std::string>();
  }
  if (!j.contains("cgroups") || !j["cgroups"].is_object()) {
    return MakeError("malformed probe result");
  }
  const nlohmann::json& cg = j["cgroups"];
  auto s = [&](const char* k) {
    return cg.contains(k) && cg[k].is_string() ? cg[k].get<std::string>() : "";
  };
  const int version =
      cg.contains("version") && cg["version"].is_number_integer() ? cg["version"].get<int>() : 0;
  p.cgroups.version = version == 1   ? CgroupVersion::kV1
                      : version == 2 ? CgroupVersion::kV2
                                     : CgroupVersion::kNone;
  p.cgroups.memory_parent = s("memory_parent");
  p.cgroups.pids_parent = s("pids_parent");
  p.cgroups.unavailable = s("unavailable");
  return p;
}

namespace {

std::string Dirname(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string Basename(const std::string& path) { return path.substr(path.find_last_of('/') + 1); }

// What the cache is valid for: this boot, user and cgroups, this fanout binary (a new build
// probes again) and the file system the workspaces live on (overlay support differs).
std::string ProbeStamp(const std::string& scratch_dir) {
  struct stat exe = {};
  struct stat fs = {};
  stat("/proc/self/exe", &exe);
  stat(Dirname(scratch_dir).c_str(), &fs);
  return fmt::format("{} {} {} exe={}:{}:{}.{} fs={}", BootId(), geteuid(), CgroupIdentity(),
                     exe.st_dev, exe.st_ino, exe.st_mtim.tv_sec, exe.st_mtim.tv_nsec, fs.st_dev);
}

// The cache holds the entries of up to kProbeEntries stamps, the newest first, each a stamp
// line then the result as ProbeToJson writes it. Two fanout binaries used in turn (two
// checkouts of different versions on one CI runner), or workspaces on two file systems, then
// each find their own entry instead of probing again on every edge.
constexpr size_t kProbeEntries = 4;

struct ProbeEntry {
  std::string stamp;
  std::string json;
};

// ProbeToJson's lines all start with '{', '}' or an indent; a stamp starts with the boot id.
bool IsJsonLine(std::string_view line) {
  return !line.empty() && (line[0] == '{' || line[0] == '}' || line[0] == ' ');
}

std::vector<ProbeEntry> ParseProbeEntries(std::string_view text) {
  std::vector<ProbeEntry> entries;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!IsJsonLine(line)) {
      if (!line.empty()) entries.push_back({std::string(line), ""});
    } else if (!entries.empty()) {
      entries.back().json.append(line).push_back('\n');
    }
  }
  return entries;
}

}  // namespace

std::string ProbeCachePath() {
  const uid_t euid = geteuid();
  if (const char* run = getenv("XDG_RUNTIME_DIR"); run && run[0] == '/') {
    struct stat st;
    if (stat(run, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == euid) {
      const std::string dir = std::string(run) + "/fanout";
      if (OpenStateDir(dir, false)) return dir + "/sandbox-probe.json";
    }
  }
  if (const std::string dir = UserCacheDir(); !dir.empty()) {
    if (OpenStateDir(dir, false) && access(dir.c_str(), W_OK) == 0) {
      return fmt::format("{}/sandbox-probe-{}.json", dir, euid);
    }
  }
  const std::string dir = fmt::format("/tmp/fanout-{}", euid);
  if (OpenStateDir(dir, true)) return dir + "/sandbox-probe.json";
  return "";
}

namespace {

/// The cache file as it was when read: a rewrite (a new probe, by rename) or its removal
/// (ForgetCachedProbe, after a sandbox failed to start) changes it.
struct FileVersion {
  dev_t dev = 0;
  ino_t ino = 0;
  struct timespec mtime = {};
  bool operator==(const FileVersion& o) const {
    return dev == o.dev && ino == o.ino && mtime.tv_sec == o.mtime.tv_sec &&
           mtime.tv_nsec == o.mtime.tv_nsec;
  }
};

std::optional<FileVersion> VersionOf(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileVersion{st.st_dev, st.st_ino, st.st_mtim};
}

/// What KeepProbeForChildren kept: the cache path, the version of the file it was read from,
/// the scratch directory's file system it was read for, and the result.
struct KeptProbe {
  std::string cache_path;
  FileVersion file;
  dev_t fs = 0;
  ProbeResult probe;
};

std::optional<KeptProbe>& Kept() {
  static std::optional<KeptProbe> kept;
  return kept;
}

std::optional<dev_t> FileSystemOf(const std::string& scratch_dir) {
  struct stat st;
  if (stat(Dirname(scratch_dir).c_str(), &st) != 0) return std::nullopt;
  return st.st_dev;
}

}  // namespace

void KeepProbeForChildren(const std::string& scratch_dir) {
  const std::string path = ProbeCachePath();
  const std::optional<dev_t> fs = FileSystemOf(scratch_dir);
  if (path.empty() || !fs) return;
  ProbeResult probe = CachedProbe(scratch_dir, path);
  const std::optional<FileVersion> file = VersionOf(path);
  if (file) Kept() = KeptProbe{path, *file, *fs, std::move(probe)};
}

ProbeResult CachedProbe(const std::string& scratch_dir, const std::string& cache_path) {
  const std::string path = cache_path.empty() ? ProbeCachePath() : cache_path;
  if (path.empty()) return RunProbe(scratch_dir);
  if (const auto& kept = Kept(); kept && kept->cache_path == path) {
    if (FileSystemOf(scratch_dir) == kept->fs && VersionOf(path) == kept->file) {
      return kept->probe;
    }
  }
  UniqueFd dir(open(Dirname(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir || !TrustedDir(dir.get(), false)) return RunProbe(scratch_dir);
  const std::string name = Basename(path);
  const std::string stamp = ProbeStamp(scratch_dir);
  const std::vector<ProbeEntry> entries = ParseProbeEntries(ReadTrusted(dir.get(), name, 1 << 20));
  for (const ProbeEntry& e : entries) {
    if (e.stamp != stamp) continue;
    if (auto p = ProbeFromJson(e.json); p.ok()) return *p;
  }
  ProbeResult p = RunProbe(scratch_dir);
  // This entry first, then the others of this boot (an earlier boot's can never match).
  std::string text = stamp + "\n" + ProbeToJson(p);
  const std::string boot = stamp.substr(0, stamp.find(' ') + 1);
  size_t kept = 1;
  for (const ProbeEntry& e : entries) {
    if (kept == kProbeEntries) break;
    if (e.stamp == stamp || e.stamp.compare(0, boot.size(), boot) != 0 || e.json.empty()) continue;
    text += e.stamp + "\n" + e.json;
    ++kept;
  }
  WriteTrusted(dir.get(), name, text);
  return p;
}

void ForgetCachedProbe(const std::string& cache_path) {
  const std::string path = cache_path.empty() ? ProbeCachePath() : cache_path;
  if (!path.empty()) unlink(path.c_str());
}

Expected<TierChoice> ChooseTier(const ProbeResult& probe, const std::string& forced,
                                bool required) {
  TierChoice c;
  if (!forced.empty() && forced != "auto" && forced != "namespaces" && forced != "process") {
    return MakeError(
        fmt::format("FANOUT_SANDBOX='{}' is not one of auto, namespaces, process", forced));
  }
  const bool want_ns = forced != "process";
  if (want_ns && probe.namespaces) {
    c.tier = Tier::kNamespaces;
    c.overlay = probe.overlay;
    return c;
  }
  c.tier = Tier::kProcess;
  c.fallback_reason = want_ns ? probe.namespaces_unavailable : "forced by FANOUT_SANDBOX=process";
  if (required || forced == "namespaces") {
    return MakeError(
        fmt::format(
            "the namespaces sandbox is required ({}) but not available: {}; run 'fanout doctor' "
            "for details",
            required ? "--require-sandbox or 'sandbox: required'" : "FANOUT_SANDBOX=namespaces",
            c.fallback_reason),
        kExitTargetFailed);
  }
  return c;
}

}  // namespace fanout::sandbox
