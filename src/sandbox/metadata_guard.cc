#include "sandbox/metadata_guard.h"
#include "sandbox/fs_util.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "sandbox/confine.h"
#include "sandbox/metadata_call.h"

namespace fanout::sandbox {

namespace {

// The relative path of `path` beneath `root` ("." for the root itself), if it is beneath.
std::optional<std::string> RelativeTo(std::string_view root, std::string_view path) {
  if (path.empty() || path[0] != '/') return std::nullopt;
  if (root == "/") return path.size() == 1 ? "." : std::string(path.substr(1));
  if (path == root) return ".";
  if (path.size() > root.size() && path.substr(0, root.size()) == root && path[root.size()] == '/')
    return std::string(path.substr(root.size() + 1));
  return std::nullopt;
}

// The command's file-system credentials, for a root supervisor: while alive, this thread has
// the command's fsuid, fsgid and groups and no effective capability. Only this thread changes
// (raw system calls; glibc's setgroups would change every thread).
class CommandCredentials {
 public:
  CommandCredentials() = default;
  CommandCredentials(const CommandCredentials&) = delete;
  CommandCredentials& operator=(const CommandCredentials&) = delete;
  ~CommandCredentials() {
    if (!entered_) return;
    // Restoring cannot fail for a thread whose real uid is 0; if it did, the supervisor
    // would go on with the wrong credentials.
    if (syscall(SYS_capset, &header_, saved_caps_) != 0) std::abort();
    syscall(SYS_setfsuid, saved_fsuid_);
    syscall(SYS_setfsgid, saved_fsgid_);
    if (syscall(SYS_setgroups, saved_groups_.size(), saved_groups_.data()) != 0) std::abort();
    if (static_cast<uid_t>(syscall(SYS_setfsuid, -1)) != saved_fsuid_) std::abort();
  }

  // Switches to the credentials in /proc/<pid>/status. Returns 0 or an errno.
  int Enter(int proc) {
    uid_t uid = static_cast<uid_t>(-1);
    gid_t gid = static_cast<gid_t>(-1);
    std::vector<gid_t> groups;
    if (!ReadStatus(proc, &uid, &gid, &groups)) return EPERM;
    header_.version = _LINUX_CAPABILITY_VERSION_3;
    header_.pid = 0;
    if (syscall(SYS_capget, &header_, saved_caps_) != 0) return errno;
    long n = syscall(SYS_getgroups, 0, nullptr);
    if (n < 0) return errno;
    saved_groups_.resize(static_cast<std::size_t>(n));
    if (syscall(SYS_getgroups, n, saved_groups_.data()) != n) return EPERM;
    saved_fsuid_ = static_cast<uid_t>(syscall(SYS_setfsuid, -1));
    saved_fsgid_ = static_cast<gid_t>(syscall(SYS_setfsgid, -1));
    if (syscall(SYS_setgroups, groups.size(), groups.data()) != 0) return errno;
    entered_ = true;  // from here on the destructor restores
    syscall(SYS_setfsgid, gid);
    syscall(SYS_setfsuid, uid);
    struct __user_cap_data_struct caps[_LINUX_CAPABILITY_U32S_3];
    std::memcpy(caps, saved_caps_, sizeof caps);
    for (auto& c : caps) c.effective = 0;
    if (syscall(SYS_capset, &header_, caps) != 0) return errno;
    if (static_cast<uid_t>(syscall(SYS_setfsuid, -1)) != uid ||
        static_cast<gid_t>(syscall(SYS_setfsgid, -1)) != gid)
      return EPERM;
    return 0;
  }

 private:
  static bool ReadStatus(int proc, uid_t* uid, gid_t* gid, std::vector<gid_t>* groups) {
    UniqueFd fd(openat(proc, "status", O_RDONLY | O_CLOEXEC));
    if (!fd) return false;
    std::string text;
    char buf[4096];
    for (ssize_t n; (n = read(fd.get(), buf, sizeof buf)) > 0;) text.append(buf, n);
    // "Uid:\treal\teffective\tsaved\tfs": the fs ids are what permission checks use.
    auto field = [&text](const char* key, int index, unsigned long* out) {
      std::size_t at = text.find(key);
      if (at == std::string::npos) return false;
      const char* p = text.c_str() + at + std::strlen(key);
      for (int i = 0; i <= index; ++i) {
        char* end;
        *out = std::strtoul(p, &end, 10);
        if (end == p) return false;
        p = end;
      }
      return true;
    };
    unsigned long u, g;
    if (!field("\nUid:", 3, &u) || !field("\nGid:", 3, &g)) return false;
    *uid = static_cast<uid_t>(u);
    *gid = static_cast<gid_t>(g);
    std::size_t at = text.find("\nGroups:");
    if (at == std::string::npos) return false;
    const char* p = text.c_str() + at + 8;
    for (;;) {
      char* end;
      unsigned long v = std::strtoul(p, &end, 10);
      if (end == p) break;
      groups->push_back(static_cast<gid_t>(v));
      p = end;
    }
    return true;
  }

  bool entered_ = false;
  struct __user_cap_header_struct header_ {};
  struct __user_cap_data_struct saved_caps_[_LINUX_CAPABILITY_U32S_3] = {};
  std::vector<gid_t> saved_groups_;
  uid_t saved_fsuid_ = 0;
  gid_t saved_fsgid_ = 0;
};

}  // namespace

Expected<UniqueFd> InstallMetadataFilter() {
  std::vector<struct sock_filter> f = SeccompPrologue(EPERM);
  for (long nr : GuardedMetadataCalls()) {
    f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<__u32>(nr), 0, 1));
    f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF));
  }
  for (long nr : TooNewMetadataCalls()) {
    f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<__u32>(nr), 0, 1));
    f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)));
  }
  f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  struct sock_fprog prog = {static_cast<unsigned short>(f.size()), f.data()};
  // Once the supervisor has received a call, only a fatal signal interrupts the wait (Linux
  // 5.19): a restarted call would otherwise be performed twice.
  long fd =
      syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
              SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &prog);
  if (fd < 0 && errno == EINVAL)
    fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  if (fd < 0) return MakeError(Errno("seccomp(SECCOMP_FILTER_FLAG_NEW_LISTENER)"));
  return UniqueFd(static_cast<int>(fd));
}

struct MetadataGuard::Answer {
  int error = EPERM;
  enum Kind { kPerformed, kRefused, kFailed } kind = kRefused;
};

MetadataGuard::MetadataGuard(UniqueFd listener, const std::vector<std::string>& writable_roots)
    : listener_(std::move(listener)), as_root_(geteuid() == 0) {
  for (const std::string& root : writable_roots) {
    if (root.empty() || root[0] != '/') continue;
    char resolved[PATH_MAX];
    if (!realpath(root.c_str(), resolved)) continue;
    UniqueFd fd(open(resolved, O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd) continue;
    root_paths_.emplace_back(resolved);
    root_fds_.push_back(std::move(fd));
  }
  struct seccomp_notif_sizes sizes {};
  syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes);
  notif_size_ = std::max<std::size_t>(sizes.seccomp_notif, sizeof(struct seccomp_notif));
  resp_size_ = std::max<std::size_t>(sizes.seccomp_notif_resp, sizeof(struct seccomp_notif_resp));
}

void MetadataGuard::HandleOne() {
  // Sized as the kernel asks (it may be newer than the headers), zeroed as RECV requires.
  std::vector<__u64> notif_buf((notif_size_ + 7) / 8, 0);
  auto* notif = reinterpret_cast<struct seccomp_notif*>(notif_buf.data());
  if (ioctl(listener_.get(), SECCOMP_IOCTL_NOTIF_RECV, notif) != 0) {
    if (errno == ENOENT) ++stats_.lost;  // the caller was interrupted or died
    return;
  }
  Answer answer = Decide(notif);
  std::vector<__u64> resp_buf((resp_size_ + 7) / 8, 0);
  auto* resp = reinterpret_cast<struct seccomp_notif_resp*>(resp_buf.data());
  resp->id = notif->id;
  resp->error = answer.error == 0 ? 0 : -answer.error;
  resp->val = 0;
  resp->flags = 0;  // never SECCOMP_USER_NOTIF_FLAG_CONTINUE: the call is done or refused here
  if (ioctl(listener_.get(), SECCOMP_IOCTL_NOTIF_SEND, resp) != 0) {
    ++stats_.lost;
    return;
  }
  switch (answer.kind) {
    case Answer::kPerformed:
      ++stats_.performed;
      break;
    case Answer::kRefused:
      ++stats_.refused;
      break;
    case Answer::kFailed:
      ++stats_.failed;
      break;
  }
}

MetadataGuard::Answer MetadataGuard::Decide(const void* notif_ptr) {
  const auto* notif = static_cast<const struct seccomp_notif*>(notif_ptr);
  const Answer refuse{EPERM, Answer::kRefused};
  auto fail = [](int e) { return Answer{e, Answer::kFailed}; };
  // Pin the caller: a /proc/<pid> directory opened while the notification is still pending
  // names that process for good, even if the pid is reused after it dies.
  UniqueFd proc(
      open(("/proc/" + std::to_string(notif->pid)).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!proc) return refuse;
  __u64 id = notif->id;
  if (ioctl(listener_.get(), SECCOMP_IOCTL_NOTIF_ID_VALID, &id) != 0) return refuse;
  UniqueFd mem(openat(proc.get(), "mem", O_RDONLY | O_CLOEXEC));
  if (!mem) return refuse;  // not readable (e.g. not dumpable): nothing can be checked

  MetadataCall call;
  if (int e = DecodeMetadataCall(notif->data, mem.get(), &call); e != 0) return fail(e);
  MapSelfFdPath(&call);
  if (ioctl(listener_.get(), SECCOMP_IOCTL_NOTIF_ID_VALID, &id) != 0) return refuse;
  UniqueFd start;
  if (int e = OpenCallStart(proc.get(), call, &start); e != 0) return fail(e);

  // From here on, path lookups and the call itself are the command's (a root supervisor takes
  // the command's credentials; otherwise they are the same uid).
  CommandCredentials creds;
  if (as_root_) {
    if (creds.Enter(proc.get()) != 0) return refuse;
    if (call.name.rfind("trusted.", 0) == 0 || call.name.rfind("security.", 0) == 0)
      return refuse;  // would need privileges that the supervisor has and the command lacks
  }
  UniqueFd object;
  if (call.by_fd) {
    object = std::move(start);
  } else {
    // As the kernel would resolve it, except that magic links (/proc/self/...) would name the
    // supervisor's own files: those are refused.
    object.reset(OpenAt2(start ? start.get() : AT_FDCWD, call.path.c_str(),
                         O_PATH | (call.follow ? 0 : O_NOFOLLOW), RESOLVE_NO_MAGICLINKS));
    if (!object) return fail(errno);
  }
  UniqueFd rooted;
  if (Beneath(object.get(), &rooted) != 0) return refuse;
  struct stat st;
  if (fstat(rooted.get(), &st) != 0) return refuse;
  return Answer{PerformMetadataCall(call, rooted.get(), st), Answer::kPerformed};
}

// Finds `object` beneath a writable root: its current path must lie beneath the root, and
// opening that path from the root's fd with RESOLVE_BENEATH (no symlink out, no magic link,
// no ".." above it) must reach the same inode. Returns 0 and that fd, or EPERM.
int MetadataGuard::Beneath(int object, UniqueFd* rooted) const {
  char text[PATH_MAX + 1];
  ssize_t n = readlink(FdPath(object).c_str(), text, PATH_MAX);
  if (n <= 0) return EPERM;
  std::string_view path(text, static_cast<std::size_t>(n));
  struct stat want;
  if (fstat(object, &want) != 0) return EPERM;
  for (std::size_t i = 0; i < root_paths_.size(); ++i) {
    std::optional<std::string> rel = RelativeTo(root_paths_[i], path);
    if (!rel) continue;
    UniqueFd fd(OpenAt2(root_fds_[i].get(), rel->c_str(), O_PATH | O_NOFOLLOW,
                        RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS));
    struct stat got;
    if (!fd || fstat(fd.get(), &got) != 0) continue;
    if (got.st_dev != want.st_dev || got.st_ino != want.st_ino) continue;
    *rooted = std::move(fd);
    return 0;
  }
  return EPERM;
}

}  // namespace fanout::sandbox
