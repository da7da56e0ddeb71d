#include "sandbox/mounts.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "base/unique_fd.h"
#include "sandbox/fs_util.h"
#include "sandbox/spawn.h"
#include "sandbox/weaken.h"

namespace fanout::sandbox {

namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      int v = 0;
      bool ok = true;
      for (size_t k = 1; k <= 3; ++k) {
        char c = s[i + k];
        if (c < '0' || c > '7') ok = false;
        v = v * 8 + (c - '0');
      }
      if (ok) {
        out.push_back(static_cast<char>(v));
        i += 3;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::vector<std::string> MountPoints() {
  std::vector<std::string> out;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, point;
    if (fields >> id >> parent >> dev >> root >> point) out.push_back(Unescape(point));
  }
  return out;
}

// The flags a read-only remount must keep: in a user namespace they are locked, and dropping
// one fails with EPERM.
unsigned long KeptFlags(const std::string& path) {
  struct statvfs sv;
  if (statvfs(path.c_str(), &sv) != 0) return 0;
  unsigned long flags = 0;
  if (sv.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  return flags;
}

bool IsReadOnly(const std::string& path) {
  struct statvfs sv;
  return statvfs(path.c_str(), &sv) == 0 && (sv.f_flag & ST_RDONLY);
}

// Every mount point read-only but `writable`: mount_setattr on the whole tree where the kernel
// has it, else (and in the test build with "mount-setattr" weakened) one remount per point.
// Mounts the kernel will not remount (shadowed, special) are skipped by the second way; the
// caller checks what matters.
std::string MakeTreeReadOnly(const std::set<std::string>& writable) {
  struct mount_attr ro {};
  ro.attr_set = MOUNT_ATTR_RDONLY;
  if (!Weakened("mount-setattr") &&
      mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &ro, sizeof ro) == 0) {
    struct mount_attr rw {};
    rw.attr_clr = MOUNT_ATTR_RDONLY;
    for (const std::string& w : writable) {
      if (mount_setattr(AT_FDCWD, w.c_str(), AT_SYMLINK_NOFOLLOW, &rw, sizeof rw) != 0) {
        return Errno("make writable again " + w);
      }
    }
    return "";
  }
  for (const std::string& point : MountPoints()) {
    if (writable.count(point)) continue;
    if (mount(nullptr, point.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | KeptFlags(point),
              nullptr) != 0) {
      if (errno == EACCES || errno == EPERM || errno == EINVAL || errno == ENOENT ||
          errno == ESTALE || errno == ENODEV) {
        continue;
      }
      return Errno("remount read-only " + point);
    }
  }
  return "";
}

}  // namespace

std::string EscapeOverlayPath(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == ',' || c == ':' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::string OverlayOptions(const std::string& lower, const std::string& upper,
                           const std::string& work, bool userxattr) {
  std::string opts = "lowerdir=" + EscapeOverlayPath(lower) +
                     ",upperdir=" + EscapeOverlayPath(upper) +
                     ",workdir=" + EscapeOverlayPath(work) + ",index=off,xino=off,metacopy=off";
  // In a user namespace the kernel refuses redirect_dir=off next to userxattr.
  opts += userxattr ? ",userxattr" : ",redirect_dir=off";
  return opts;
}

std::string SetUpMounts(const MountPlan& plan) {
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return Errno("make / private");
  }
  // 1. Writable directories become mount points of their own, so the read-only pass below can
  //    tell them apart and they travel with the build directory when it is moved.
  //    Nothing written there is ever setuid or a device to the host or to the command.
  const unsigned long nosuid = Weakened("nosuid") ? 0 : MS_NOSUID | MS_NODEV;
  auto bind_writable = [&](const std::string& w) -> std::string {
    if (mount(w.c_str(), w.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
      return Errno("bind " + w);
    }
    if (nosuid && mount(nullptr, w.c_str(), nullptr, MS_BIND | MS_REMOUNT | nosuid | KeptFlags(w),
                        nullptr) != 0) {
      return Errno("remount nosuid,nodev " + w);
    }
    return "";
  };
  for (const std::string& w : plan.writable) {
    if (std::string e = bind_writable(w); !e.empty()) return e;
  }
  if (plan.overlay) {
    // `volatile` (Linux 5.10): overlayfs never syncs the upper layer, not even when it is
    // unmounted. Without it the end of every sandbox syncs the whole file system the build
    // directory is on, waiting for its disk to write every other edge's files too. The upper
    // layer is scratch (PrepareWorkspace empties it before each run), so nothing needs it on
    // disk. A kernel that does not know the option refuses it: mounted without it.
    const std::string opts = OverlayOptions(plan.lower, plan.upper, plan.work, plan.userxattr);
    const std::string volatile_opts = opts + ",volatile";
    if (mount("overlay", plan.workspace.c_str(), "overlay", nosuid, volatile_opts.c_str()) != 0 &&
        (errno != EINVAL ||
         mount("overlay", plan.workspace.c_str(), "overlay", nosuid, opts.c_str()) != 0)) {
      return Errno("mount overlay on " + plan.workspace);
    }
  } else if (std::string e = bind_writable(plan.workspace); !e.empty()) {
    return e;
  }

  // 2. Hide the repository and the build directory, and give the sandbox its own /tmp and
  //    /dev/shm. What the command needs (its workspace, home, tmp, out and dependencies) is
  //    cloned first and put back at the same paths.
  std::vector<std::string> keep = plan.keep;
  std::sort(keep.begin(), keep.end());
  keep.erase(
      std::unique(keep.begin(), keep.end(),
                  [](const std::string& a, const std::string& b) { return PathIsUnder(b, a); }),
      keep.end());
  std::vector<std::string> hide = plan.hide;
  hide.push_back("/tmp");
  hide.push_back("/dev/shm");
  std::sort(hide.begin(), hide.end());
  std::vector<std::string> covered;
  auto is_tmp = [](const std::string& h) { return h == "/tmp" || h == "/dev/shm"; };
  for (const std::string& h : hide) {
    // Under a read-only cover it is hidden already; under the private /tmp it still gets its
    // own read-only cover (a build directory in /tmp must not turn writable).
    if (std::any_of(covered.begin(), covered.end(),
                    [&](const std::string& c) { return !is_tmp(c) && PathIsUnder(h, c); })) {
      continue;
    }
    if (std::any_of(keep.begin(), keep.end(),
                    [&](const std::string& k) { return PathIsUnder(h, k); })) {
      continue;  // inside what we keep
    }
    covered.push_back(h);
  }
  std::vector<std::pair<std::string, UniqueFd>> clones;
  for (const std::string& k : keep) {
    if (std::none_of(covered.begin(), covered.end(),
                     [&](const std::string& h) { return PathIsUnder(k, h); })) {
      continue;  // stays visible anyway
    }
    UniqueFd tree(
        open_tree(AT_FDCWD, k.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
    if (!tree) return Errno("open_tree " + k);
    clones.emplace_back(k, std::move(tree));
  }
  std::set<std::string> writable_points(plan.writable.begin(), plan.writable.end());
  writable_points.insert(plan.workspace);
  for (const std::string& h : covered) {  // sorted: /tmp before what lies under it
    struct stat st;
    if (stat(h.c_str(), &st) != 0) {
      if (!MakeDirs(h).ok()) continue;  // under a cover mounted just before
    } else if (!S_ISDIR(st.st_mode)) {
      continue;
    }
    std::string opts = is_tmp(h) ? "mode=1777" : "mode=0755";
    if (is_tmp(h) && plan.tmp_bytes && !Weakened("tmp")) {
      // Inodes bounded too (one per 4 KiB, at least 1024): a bound on bytes alone still lets
      // millions of empty files through.
      opts += fmt::format(",size={},nr_inodes={}", plan.tmp_bytes,
                          std::max<std::uint64_t>(1024, plan.tmp_bytes / 4096));
    }
    if (mount("tmpfs", h.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, opts.c_str()) != 0) {
      return Errno("mount tmpfs on " + h);
    }
    if (is_tmp(h)) writable_points.insert(h);
  }
  for (auto& [path, tree] : clones) {
    struct stat st;
    if (fstat(tree.get(), &st) != 0) return Errno("stat " + path);
    if (S_ISDIR(st.st_mode)) {
      if (!MakeDirs(path).ok()) return Errno("recreate " + path);
    } else {
      // A single file (a socket, resolv.conf): its mount point is an empty file.
      const size_t slash = path.find_last_of('/');
      if (slash > 0 && !MakeDirs(path.substr(0, slash)).ok()) return Errno("recreate " + path);
      UniqueFd point(open(path.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644));
      if (!point && errno != EEXIST && errno != ENXIO && errno != ELOOP) {
        return Errno("recreate " + path);
      }
    }
    if (move_mount(tree.get(), "", AT_FDCWD, path.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0) {
      return Errno("move_mount " + path);
    }
  }
  // $TMPDIR is the private /tmp: bounded, and gone with the sandbox.
  if (!plan.tmpdir.empty() && !Weakened("tmp")) {
    if (mount("/tmp", plan.tmpdir.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      return Errno("bind /tmp on " + plan.tmpdir);
    }
    writable_points.insert(plan.tmpdir);
  }

  // 3. Everything else read-only (Bazel's "mostly read-only" pass), in one pass as bubblewrap
  //    does: one recursive mount_setattr over the whole tree, then the writable points made
  //    writable again. Where the kernel has no mount_setattr (before 5.12) or refuses it, each
  //    mount is remounted in turn. Either way, what matters is checked afterwards.
  if (Weakened("readonly")) return "";
  if (std::string e = MakeTreeReadOnly(writable_points); !e.empty()) return e;
  std::vector<std::string> must_be_ro = {"/", "/etc"};
  for (const std::string& k : plan.keep) {
    if (!writable_points.count(k)) must_be_ro.push_back(k);
  }
  for (const std::string& h : covered) {
    if (!is_tmp(h)) must_be_ro.push_back(h);
  }
  for (const std::string& p : must_be_ro) {
    if (access(p.c_str(), F_OK) == 0 && !IsReadOnly(p)) {
      return "could not make " + p + " read-only";
    }
  }
  return "";
}

bool MountProc() {
  return mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) == 0;
}

std::string CoverProc() {
  if (Weakened("proc")) return "";
  const unsigned long ro = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  for (const char* p : {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs"}) {
    if (mount(p, p, nullptr, MS_BIND | MS_REC, nullptr) != 0) {
      if (errno == ENOENT) continue;
      return Errno(std::string("bind ") + p);
    }
    if (mount(nullptr, p, nullptr, ro, nullptr) != 0) {
      return Errno(std::string("remount read-only ") + p);
    }
  }
  // Kernel state no build needs: files masked by /dev/null, directories by an empty tmpfs.
  for (const char* p : {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug",
                        "/proc/latency_stats", "/proc/timer_stats"}) {
    if (access(p, F_OK) == 0 && mount("/dev/null", p, nullptr, MS_BIND, nullptr) != 0) {
      return Errno(std::string("mask ") + p);
    }
  }
  for (const char* p : {"/proc/acpi", "/proc/scsi", "/sys/firmware"}) {
    struct stat st;
    // Best effort: some container runtimes lock these already.
    if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
      (void)mount("tmpfs", p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  "size=4k,nr_inodes=1");
    }
  }
  struct statvfs sv;
  if (statvfs("/proc/sys", &sv) == 0 && !(sv.f_flag & ST_RDONLY)) {
    return "could not make /proc/sys read-only";
  }
  return "";
}

std::string WriteIdMaps(pid_t pid, bool full, uid_t uid, gid_t gid) {
  const std::string dir = pid == 0 ? std::string("/proc/self") : "/proc/" + std::to_string(pid);
  auto write_file = [](const std::string& path, const std::string& text) -> std::string {
    UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) return Errno("open " + path);
    if (write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      return Errno("write " + path);
    }
    return "";
  };
  std::string err;
  if (full) {
    err = write_file(dir + "/uid_map", "0 0 4294967295\n");
    if (err.empty()) err = write_file(dir + "/gid_map", "0 0 4294967295\n");
    return err;
  }
  err = write_file(dir + "/setgroups", "deny");
  if (err.empty())
    err = write_file(dir + "/uid_map", std::to_string(uid) + " " + std::to_string(uid) + " 1\n");
  if (err.empty())
    err = write_file(dir + "/gid_map", std::to_string(gid) + " " + std::to_string(gid) + " 1\n");
  return err;
}

std::string WriteIdentityIdMaps(pid_t pid, std::uint32_t count) {
  const std::string dir = "/proc/" + std::to_string(pid);
  // One line for each line of the parent's map (subordinate_ids.h: the caller at 0, the range
  // from 1): the kernel wants each line's ids to lie within one line of the parent's.
  const std::string map = fmt::format("0 0 1\n1 1 {}\n", count - 1);
  for (const char* file : {"/uid_map", "/gid_map"}) {
    UniqueFd fd(open((dir + file).c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) return Errno("open " + dir + file);
    if (write(fd.get(), map.data(), map.size()) != static_cast<ssize_t>(map.size())) {
      return Errno("write " + dir + file);
    }
  }
  return "";
}

pid_t CloneProcess(int (*fn)(void*), void* arg, int flags) {
  // The child runs on a copy of this stack (no CLONE_VM), so it can be freed right after.
  const SpawnStack stack;
  if (!stack.ok()) return -1;
  return clone(fn, stack.top(), flags | SIGCHLD, arg);
}

std::string LoopbackUp() {
  UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return Errno("socket");
  struct ifreq ifr {};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(fd.get(), SIOCGIFFLAGS, &ifr) != 0) return Errno("SIOCGIFFLAGS lo");
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
  if (ioctl(fd.get(), SIOCSIFFLAGS, &ifr) != 0) return Errno("SIOCSIFFLAGS lo");
  return "";
}

}  // namespace fanout::sandbox
