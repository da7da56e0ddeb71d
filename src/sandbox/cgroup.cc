#include "sandbox/cgroup.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "base/file_util.h"

namespace fanout::sandbox {

namespace {

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// fanout's own processes may sit in the v2 leaf it made; the cgroup it was given is the parent.
std::string WithoutLeaf(const std::string& path) {
  const std::string suffix = std::string("/") + kCgroupLeaf;
  if (path.size() < suffix.size() ||
      path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return path;
  }
  std::string parent = path.substr(0, path.size() - suffix.size());
  return parent.empty() ? "/" : parent;
}

bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

// Writes `value` to a cgroup file in one write(2); returns 0 or the errno.
int WriteValue(const std::string& path, const std::string& value) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return errno;
  if (write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size())) {
    return errno;
  }
  return 0;
}

Status WriteCgroupFile(const std::string& path, const std::string& value) {
  if (int err = WriteValue(path, value)) {
    return MakeError(fmt::format("cannot write '{}' to {}: {}", value, path, std::strerror(err)));
  }
  return {};
}

std::vector<pid_t> ReadPids(const std::string& procs) {
  std::vector<pid_t> pids;
  auto text = ReadFile(procs);
  if (!text.ok()) return pids;
  for (const std::string& line : SplitFields(*text, '\n')) pids.push_back(std::atoi(line.c_str()));
  return pids;
}

// The value of `key` in a flat keyed file ("oom_kill 2\n"), when present.
std::optional<std::uint64_t> ReadKey(const std::string& path, const std::string& key) {
  auto text = ReadFile(path);
  if (!text.ok()) return std::nullopt;
  for (const std::string& line : SplitFields(*text, '\n')) {
    if (line.size() > key.size() && line.compare(0, key.size(), key) == 0 &&
        line[key.size()] == ' ') {
      return std::strtoull(line.c_str() + key.size() + 1, nullptr, 10);
    }
  }
  return std::nullopt;
}

void ReapChildren() {
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

void SleepMs(int ms) {
  struct timespec ts = {0, ms * 1000000L};
  nanosleep(&ts, nullptr);
}

// Kills every process in the cgroup at `dir`, waits until it is empty and removes it.
Status KillAndRemove(const std::string& dir, bool v2) {
  const std::string procs = dir + "/cgroup.procs";
  const bool kill_file = v2 && Exists(dir + "/cgroup.kill");
  if (kill_file) (void)WriteCgroupFile(dir + "/cgroup.kill", "1");
  constexpr int kRounds = 10000;  // 1 ms each: a process in uninterruptible sleep may take a while
  for (int round = 0;; ++round) {
    const std::vector<pid_t> pids = ReadPids(procs);
    if (pids.empty()) break;
    if (round == kRounds) {
      return MakeError(fmt::format(
          "cannot empty cgroup {}: {} process(es) still inside after SIGKILL", dir, pids.size()));
    }
    if (!kill_file) {
      for (pid_t p : pids) kill(p, SIGKILL);
    }
    ReapChildren();
    SleepMs(1);
  }
  for (int round = 0; rmdir(dir.c_str()) != 0; ++round) {
    if (errno == ENOENT) break;
    if (errno != EBUSY || round == 1000) {
      return MakeError(fmt::format("cannot remove cgroup {}: {}", dir, std::strerror(errno)));
    }
    ReapChildren();
    SleepMs(1);
  }
  return {};
}

Status MakeCgroup(const std::string& dir) {
  if (mkdir(dir.c_str(), 0755) != 0) {
    return MakeError(fmt::format("cannot create cgroup {}: {}", dir, std::strerror(errno)));
  }
  return {};
}

// Whether a child cgroup can be made in `dir` (made and removed again).
Status TryCreateChild(const std::string& dir) {
  const std::string child = fmt::format("{}/fanout-probe-{}", dir, getpid());
  FANOUT_TRY(MakeCgroup(child));
  if (rmdir(child.c_str()) != 0) {
    return MakeError(fmt::format("cannot remove cgroup {}: {}", child, std::strerror(errno)));
  }
  return {};
}

// Whether the v2 cgroup `dir` (at `path` in our view) is ours to subdivide: the root of what
// we can see (a container's cgroup namespace, or the real root), or delegated to us, which
// systemd marks with a "delegate" xattr. Ownership alone is not enough: the scopes a user's
// systemd creates for terminals and apps belong to the user but are systemd's to manage, and
// moving their processes into sub-cgroups would fight it.
bool Delegated(const std::string& dir, const std::string& path, std::string* why) {
  if (path == "/") return true;
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) {
    *why = fmt::format("cannot stat {}: {}", dir, std::strerror(errno));
    return false;
  }
  for (const char* attr : {"trusted.delegate", "user.delegate"}) {
    if (getxattr(dir.c_str(), attr, nullptr, 0) >= 0) return true;
  }
  *why = fmt::format(
      "cgroup not delegated: {} belongs to uid {} and has no delegate mark; run the build in a "
      "delegated scope, e.g. 'systemd-run --user --scope -p Delegate=yes fanout build'",
      dir, st.st_uid);
  return false;
}

// Probes cgroup v2: our cgroup must be ours to subdivide and offer memory or pids.
std::optional<CgroupSupport> ProbeV2(const std::vector<ProcCgroupEntry>& entries,
                                     const std::vector<CgroupMount>& mounts, std::string* why) {
  const ProcCgroupEntry* entry = nullptr;
  for (const ProcCgroupEntry& e : entries) {
    if (e.hierarchy == 0 && e.controllers.empty()) entry = &e;
  }
  if (!entry) return std::nullopt;
  const std::string path = WithoutLeaf(entry->path);
  std::string dir;
  for (const CgroupMount& m : mounts) {
    if (m.v2 && dir.empty()) dir = CgroupDir(m, path);
  }
  if (dir.empty()) {
    *why = fmt::format("cgroup v2: our cgroup {} is not visible under any cgroup2 mount", path);
    return std::nullopt;
  }
  auto controllers = ReadFile(dir + "/cgroup.controllers");
  const std::vector<std::string> available =
      controllers.ok() ? SplitFields(*controllers, ' ') : std::vector<std::string>();
  std::vector<std::string> have;
  for (std::string c : available) {
    c.erase(c.find_last_not_of('\n') + 1);
    if (c == "memory" || c == "pids") have.push_back(c);
  }
  if (have.empty()) {
    *why = fmt::format("cgroup v2 at {} offers neither the memory nor the pids controller", dir);
    return std::nullopt;
  }
  if (!Delegated(dir, path, why)) return std::nullopt;
  for (const char* file : {"cgroup.procs", "cgroup.subtree_control"}) {
    if (access((dir + "/" + file).c_str(), W_OK) != 0) {
      *why = fmt::format("cgroup not writable: {}/{}: {}", dir, file, std::strerror(errno));
      return std::nullopt;
    }
  }
  if (Status st = TryCreateChild(dir); !st.ok()) {
    *why = "cgroup not writable: " + st.error().message;
    return std::nullopt;
  }
  CgroupSupport s;
  s.version = CgroupVersion::kV2;
  if (Contains(have, "memory")) s.memory_parent = dir;
  if (Contains(have, "pids")) s.pids_parent = dir;
  if (have.size() == 1) {
    s.unavailable = fmt::format("no {} controller in {}/cgroup.controllers",
                                have[0] == "memory" ? "pids" : "memory", dir);
  }
  return s;
}

// Probes the v1 hierarchy of `controller`: our cgroup in it must take a child. Returns the
// parent directory for edge cgroups, or "" with the reason in *why.
std::string ProbeV1(const std::vector<ProcCgroupEntry>& entries,
                    const std::vector<CgroupMount>& mounts, const std::string& controller,
                    std::string* why) {
  const ProcCgroupEntry* entry = nullptr;
  for (const ProcCgroupEntry& e : entries) {
    if (Contains(e.controllers, controller)) entry = &e;
  }
  if (!entry) {
    *why = fmt::format("no cgroup v1 {} hierarchy", controller);
    return "";
  }
  std::string dir;
  for (const CgroupMount& m : mounts) {
    if (!m.v2 && Contains(m.controllers, controller) && dir.empty()) {
      dir = CgroupDir(m, entry->path);
    }
  }
  if (dir.empty()) {
    *why = fmt::format("our {} cgroup {} is not visible under any cgroup v1 mount", controller,
                       entry->path);
    return "";
  }
  if (Status st = TryCreateChild(dir); !st.ok()) {
    *why = "cgroup not writable: " + st.error().message;
    return "";
  }
  return dir;
}

// cgroup v2 refuses to enable controllers for the children of a cgroup that holds processes
// (except at the root): move every process of `dir` into its leaf first.
Status EnableControllers(const std::string& dir, bool memory, bool pids) {
  auto enabled_text = ReadFile(dir + "/cgroup.subtree_control");
  if (!enabled_text.ok()) return enabled_text.error();
  std::vector<std::string> enabled = SplitFields(*enabled_text, ' ');
  for (std::string& c : enabled) c.erase(c.find_last_not_of('\n') + 1);
  std::string want;
  if (memory && !Contains(enabled, "memory")) want += "+memory ";
  if (pids && !Contains(enabled, "pids")) want += "+pids ";
  if (want.empty()) return {};
  want.pop_back();
  const bool root = !Exists(dir + "/cgroup.type");  // the root cgroup may hold processes
  const std::string leaf = dir + "/" + kCgroupLeaf;
  if (!root && mkdir(leaf.c_str(), 0755) != 0 && errno != EEXIST) {
    return MakeError(fmt::format("cannot create cgroup {}: {}", leaf, std::strerror(errno)));
  }
  UniqueFd leaf_procs(root ? -1 : open((leaf + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC));
  if (!root && !leaf_procs) {
    return MakeError(fmt::format("cannot open {}/cgroup.procs: {}", leaf, std::strerror(errno)));
  }
  for (int round = 0;; ++round) {
    // Processes keep appearing while ninja starts edges: move until none is left.
    for (pid_t p : root ? std::vector<pid_t>() : ReadPids(dir + "/cgroup.procs")) {
      const std::string s = std::to_string(p);
      if (write(leaf_procs.get(), s.data(), s.size()) < 0 && errno != ESRCH) {
        return MakeError(fmt::format("cannot move process {} from cgroup {} to {}: {}", p, dir,
                                     leaf, std::strerror(errno)));
      }
    }
    const int err = WriteValue(dir + "/cgroup.subtree_control", want);
    if (err == 0) return {};
    if (err != EBUSY || round == 100) {
      return MakeError(fmt::format("cannot write '{}' to {}/cgroup.subtree_control: {}", want, dir,
                                   std::strerror(err)));
    }
  }
}

}  // namespace

const char* CgroupVersionName(CgroupVersion version) {
  switch (version) {
    case CgroupVersion::kV1:
      return "cgroup v1";
    case CgroupVersion::kV2:
      return "cgroup v2";
    case CgroupVersion::kNone:
      break;
  }
  return "rlimit";
}

std::string DescribeCgroupSupport(const CgroupSupport& s) {
  if (s.version == CgroupVersion::kNone) return fmt::format("rlimits only ({})", s.unavailable);
  std::string controllers;
  if (!s.memory_parent.empty()) controllers = "memory";
  if (!s.pids_parent.empty()) controllers += controllers.empty() ? "pids" : ", pids";
  std::string text = fmt::format("{} ({})", CgroupVersionName(s.version), controllers);
  if (!s.unavailable.empty()) {
    text += fmt::format("; {} by rlimit: {}", s.memory_parent.empty() ? "memory" : "pids",
                        s.unavailable);
  }
  return text;
}

CgroupSupport ProbeCgroups() {
  auto cgroup = ReadFile("/proc/self/cgroup");
  auto mountinfo = ReadFile("/proc/self/mountinfo");
  CgroupSupport none;
  if (!cgroup.ok() || !mountinfo.ok()) {
    none.unavailable = !cgroup.ok() ? cgroup.error().message : mountinfo.error().message;
    return none;
  }
  const std::vector<ProcCgroupEntry> entries = ParseProcCgroup(*cgroup);
  const std::vector<CgroupMount> mounts = ParseCgroupMounts(*mountinfo);
  std::string why_v2;
  if (auto v2 = ProbeV2(entries, mounts, &why_v2)) return *v2;

  // v1 (legacy or hybrid): one hierarchy per controller.
  CgroupSupport v1;
  v1.version = CgroupVersion::kV1;
  std::string why_memory, why_pids;
  v1.memory_parent = ProbeV1(entries, mounts, "memory", &why_memory);
  v1.pids_parent = ProbeV1(entries, mounts, "pids", &why_pids);
  if (!v1.memory_parent.empty() || !v1.pids_parent.empty()) {
    v1.unavailable = v1.memory_parent.empty() ? why_memory : why_pids;
    if (!v1.memory_parent.empty() && !v1.pids_parent.empty()) v1.unavailable.clear();
    return v1;
  }
  // The reason that matters is where the controllers are: v1 hierarchies when there are any.
  bool v1_controllers = false;
  for (const CgroupMount& m : mounts) {
    v1_controllers |=
        !m.v2 && (Contains(m.controllers, "memory") || Contains(m.controllers, "pids"));
  }
  none.unavailable = v1_controllers ? why_memory : why_v2;
  if (none.unavailable.empty()) none.unavailable = "no cgroup file system is mounted";
  return none;
}

std::string CgroupIdentity() {
  auto text = ReadFile("/proc/self/cgroup");
  if (!text.ok()) return "";
  std::string out;
  for (const std::string& line : SplitFields(*text, '\n')) {
    if (!out.empty()) out += ' ';  // not (...) + WithoutLeaf(...): GCC 12 -O3 -Wrestrict
    out += WithoutLeaf(line);
  }
  return out;
}

std::string JoinCgroups(const std::vector<CgroupJoin>& joins) {
  for (const CgroupJoin& j : joins) {
    if (write(j.fd, "0", 1) != 1) {
      return fmt::format("cannot move the sandbox into cgroup {}: {}", j.path,
                         std::strerror(errno));
    }
  }
  return "";
}

Expected<std::unique_ptr<EdgeCgroup>> EdgeCgroup::Create(const CgroupSupport& support,
                                                         const Limits& limits) {
  // Pids repeat across PID namespaces that may share a parent cgroup; the namespace does not.
  struct stat ns {};
  (void)stat("/proc/self/ns/pid", &ns);
  const std::string name = fmt::format("fanout-{}-{}", ns.st_ino, getpid());
  const bool memory = limits.memory_bytes > 0 && !support.memory_parent.empty();
  const bool pids = limits.pids > 0 && !support.pids_parent.empty();
  if (!memory && !pids) return MakeError("no cgroup controller can enforce these limits");
  std::unique_ptr<EdgeCgroup> cg(new EdgeCgroup());
  cg->version_ = support.version;
  const std::string mem_bytes = std::to_string(limits.memory_bytes);
  if (support.version == CgroupVersion::kV2) {
    const std::string& parent = memory ? support.memory_parent : support.pids_parent;
    FANOUT_TRY(EnableControllers(parent, memory, pids));
    FANOUT_TRY(cg->AddGroup(parent, name));
    const std::string dir = cg->groups_[0].dir;
    if (memory) {
      cg->memory_ = 0;
      FANOUT_TRY(WriteCgroupFile(dir + "/memory.max", mem_bytes));
      // Without this the limit would push the overflow into swap instead of ending it.
      if (Exists(dir + "/memory.swap.max")) {
        FANOUT_TRY(WriteCgroupFile(dir + "/memory.swap.max", "0"));
      }
    }
    if (pids) {
      cg->pids_ = 0;
      FANOUT_TRY(WriteCgroupFile(dir + "/pids.max", std::to_string(limits.pids)));
    }
    return cg;
  }
  if (memory) {
    FANOUT_TRY(cg->AddGroup(support.memory_parent, name));
    cg->memory_ = static_cast<int>(cg->groups_.size()) - 1;
    const std::string dir = cg->groups_.back().dir;
    FANOUT_TRY(WriteCgroupFile(dir + "/memory.limit_in_bytes", mem_bytes));
    if (Exists(dir + "/memory.memsw.limit_in_bytes")) {  // memory + swap: no swapping past it
      FANOUT_TRY(WriteCgroupFile(dir + "/memory.memsw.limit_in_bytes", mem_bytes));
    }
  }
  if (pids) {
    FANOUT_TRY(cg->AddGroup(support.pids_parent, name));
    cg->pids_ = static_cast<int>(cg->groups_.size()) - 1;
    FANOUT_TRY(WriteCgroupFile(cg->groups_.back().dir + "/pids.max", std::to_string(limits.pids)));
  }
  return cg;
}

Status EdgeCgroup::AddGroup(const std::string& parent, const std::string& name) {
  const std::string dir = parent + "/" + name;
  if (mkdir(dir.c_str(), 0755) != 0) {
    if (errno != EEXIST) {
      return MakeError(fmt::format("cannot create cgroup {}: {}", dir, std::strerror(errno)));
    }
    // Left by an earlier fanout with our pid in our PID namespace, killed before it cleaned up.
    FANOUT_TRY(KillAndRemove(dir, version_ == CgroupVersion::kV2));
    FANOUT_TRY(MakeCgroup(dir));
  }
  Group g{dir, UniqueFd(open((dir + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC))};
  if (!g.procs) {
    const int err = errno;
    (void)rmdir(dir.c_str());
    return MakeError(fmt::format("cannot open {}/cgroup.procs: {}", dir, std::strerror(err)));
  }
  groups_.push_back(std::move(g));
  return {};
}

EdgeCgroup::~EdgeCgroup() { (void)Destroy(); }

std::vector<std::string> EdgeCgroup::dirs() const {
  std::vector<std::string> out;
  for (const Group& g : groups_) out.push_back(g.dir);
  return out;
}

std::vector<CgroupJoin> EdgeCgroup::joins() const {
  std::vector<CgroupJoin> out;
  for (const Group& g : groups_) out.push_back({g.procs.get(), g.dir});
  return out;
}

bool EdgeCgroup::MemoryLimitHit() const {
  if (memory_ < 0) return false;
  const std::string& dir = groups_[static_cast<size_t>(memory_)].dir;
  if (version_ == CgroupVersion::kV2) {
    return ReadKey(dir + "/memory.events", "oom_kill").value_or(0) > 0;
  }
  if (auto kills = ReadKey(dir + "/memory.oom_control", "oom_kill")) return *kills > 0;
  auto failcnt = ReadFile(dir + "/memory.failcnt");  // kernels before 4.13
  return failcnt.ok() && std::strtoull(failcnt->c_str(), nullptr, 10) > 0;
}

bool EdgeCgroup::PidsLimitHit() const {
  if (pids_ < 0) return false;
  return ReadKey(groups_[static_cast<size_t>(pids_)].dir + "/pids.events", "max").value_or(0) > 0;
}

Status EdgeCgroup::Destroy() {
  Status result;
  while (!groups_.empty()) {
    Group g = std::move(groups_.back());
    groups_.pop_back();
    g.procs.reset();
    Status st = KillAndRemove(g.dir, version_ == CgroupVersion::kV2);
    if (!st.ok() && result.ok()) result = st;
  }
  memory_ = pids_ = -1;
  return result;
}

}  // namespace fanout::sandbox
