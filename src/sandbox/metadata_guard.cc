#include "sandbox/metadata_guard.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <utime.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "sandbox/confine.h"

namespace fanout::sandbox {

namespace {

// Newer than the Debian 12 kernel headers. These calls were added after the generic table and
// x86_64's were unified, so the numbers are the same on both architectures.
#ifdef __NR_fchmodat2
constexpr long kNrFchmodat2 = __NR_fchmodat2;
#else
constexpr long kNrFchmodat2 = 452;  // Linux 6.6
#endif
constexpr long kNrSetxattrat = 463;     // Linux 6.13
constexpr long kNrRemovexattrat = 466;  // Linux 6.13
constexpr long kNrFileSetattr = 469;    // Linux 6.17

// The calls handed to the supervisor. aarch64 has only the *at and f* forms.
constexpr long kGuarded[] = {
#ifdef __NR_chmod
    __NR_chmod,
#endif
#ifdef __NR_chown
    __NR_chown,
#endif
#ifdef __NR_lchown
    __NR_lchown,
#endif
#ifdef __NR_utime
    __NR_utime,
#endif
#ifdef __NR_utimes
    __NR_utimes,
#endif
#ifdef __NR_futimesat
    __NR_futimesat,
#endif
    __NR_fchmod,      __NR_fchmodat,     __NR_fchown,       __NR_fchownat,
    __NR_utimensat,   __NR_setxattr,     __NR_lsetxattr,    __NR_fsetxattr,
    __NR_removexattr, __NR_lremovexattr, __NR_fremovexattr, kNrFchmodat2,
};
// Newer calls that change the same metadata: ENOSYS, so that callers fall back to the above.
constexpr long kTooNew[] = {kNrSetxattrat, kNrRemovexattrat, kNrFileSetattr};

constexpr std::size_t kChunk = 4096;  // a divisor of every page size

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

int OpenAt2(int dirfd, const char* path, int flags, unsigned long long resolve) {
  struct open_how how {};
  how.flags = static_cast<unsigned long long>(flags | O_CLOEXEC);
  how.resolve = resolve;
  return static_cast<int>(syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

std::string FdPath(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

// The target's memory, read through /proc/<pid>/mem of a pinned /proc/<pid> directory.
class Memory {
 public:
  explicit Memory(int fd) : fd_(fd) {}

  // 0, or EFAULT when any byte is unreadable.
  int Read(__u64 addr, void* buf, std::size_t len) const {
    auto* out = static_cast<char*>(buf);
    while (len > 0) {
      ssize_t n = pread(fd_, out, len, static_cast<off_t>(addr));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return EFAULT;
      out += n;
      addr += static_cast<__u64>(n);
      len -= static_cast<std::size_t>(n);
    }
    return 0;
  }

  // Reads a NUL-terminated string of fewer than `max` bytes: 0, EFAULT, or ENAMETOOLONG. Reads
  // never cross a page boundary beyond the terminator, which may end the mapping.
  int ReadString(__u64 addr, std::size_t max, std::string* out) const {
    if (addr == 0) return EFAULT;
    out->clear();
    char buf[kChunk];
    while (out->size() < max) {
      std::size_t n = kChunk - static_cast<std::size_t>(addr % kChunk);
      if (n > max - out->size()) n = max - out->size();
      if (int e = Read(addr, buf, n); e != 0) return e;
      if (const void* nul = std::memchr(buf, 0, n)) {
        out->append(buf, static_cast<const char*>(nul) - buf);
        return 0;
      }
      out->append(buf, n);
      addr += n;
    }
    return ENAMETOOLONG;
  }

 private:
  int fd_;
};

enum class Op { kChmod, kChown, kTimes, kSetXattr, kRemoveXattr };

// One decoded call: what it does, and how it names its object: the fd `fd` itself (`by_fd`;
// AT_FDCWD is the working directory), or `path` resolved from `fd` (AT_FDCWD: the working
// directory).
struct Call {
  Op op = Op::kChmod;
  bool by_fd = false;
  bool opath_ok = false;  // the AT_EMPTY_PATH forms accept O_PATH fds; fchmod and the like not
  int fd = AT_FDCWD;
  std::string path;
  bool follow = true;
  mode_t mode = 0;
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  bool now = false;  // no times given: both set to the current time
  struct timespec times[2] = {};
  std::string name;
  std::string value;
  int xattr_flags = 0;
};

int IntArg(__u64 v) { return static_cast<int>(static_cast<__u32>(v)); }

int PathArg(const Memory& mem, __u64 addr, int dirfd, bool follow, Call* call) {
  call->fd = dirfd;
  call->follow = follow;
  if (int e = mem.ReadString(addr, PATH_MAX, &call->path); e != 0) return e;
  return call->path.empty() ? ENOENT : 0;
}

void FdArg(__u64 fd, Call* call) {
  call->by_fd = true;
  call->fd = IntArg(fd);
}

// The *at forms with AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH (fchmodat2, fchownat, utimensat).
int AtArgs(const Memory& mem, __u64 dirfd, __u64 addr, __u64 flags, Call* call) {
  if (flags & ~static_cast<__u64>(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return EINVAL;
  call->fd = IntArg(dirfd);
  call->follow = !(flags & AT_SYMLINK_NOFOLLOW);
  if (addr != 0 || !(flags & AT_EMPTY_PATH)) {
    if (int e = mem.ReadString(addr, PATH_MAX, &call->path); e != 0) return e;
  }
  if (!call->path.empty()) return 0;
  if (!(flags & AT_EMPTY_PATH)) return ENOENT;
  call->by_fd = true;
  call->opath_ok = true;
  return 0;
}

int TimevalArg(const Memory& mem, __u64 addr, Call* call) {
  call->op = Op::kTimes;
  if (addr == 0) {
    call->now = true;
    return 0;
  }
  struct timeval tv[2];
  if (int e = mem.Read(addr, tv, sizeof tv); e != 0) return e;
  for (int i = 0; i < 2; ++i) {
    if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000) return EINVAL;
    call->times[i].tv_sec = tv[i].tv_sec;
    call->times[i].tv_nsec = tv[i].tv_usec * 1000;
  }
  return 0;
}

int XattrName(const Memory& mem, __u64 addr, Call* call) {
  int e = mem.ReadString(addr, XATTR_NAME_MAX + 1, &call->name);
  if (e == ENAMETOOLONG || (e == 0 && call->name.empty())) return ERANGE;
  return e;
}

int XattrValue(const Memory& mem, __u64 addr, __u64 size, __u64 flags, Call* call) {
  call->op = Op::kSetXattr;
  if (flags & ~static_cast<__u64>(XATTR_CREATE | XATTR_REPLACE)) return EINVAL;
  call->xattr_flags = static_cast<int>(flags);
  if (size > XATTR_SIZE_MAX) return E2BIG;
  call->value.resize(size);
  return size == 0 ? 0 : mem.Read(addr, call->value.data(), size);
}

// Decodes a guarded call's arguments, reading strings and structs from the target's memory.
// Returns 0, or the errno the kernel would have returned for these arguments.
int Decode(const struct seccomp_data& d, const Memory& mem, Call* call) {
  const __u64* a = d.args;
  switch (d.nr) {
#ifdef __NR_chmod
    case __NR_chmod:
      call->mode = static_cast<mode_t>(a[1] & 0xffff);
      return PathArg(mem, a[0], AT_FDCWD, true, call);
#endif
    case __NR_fchmod:
      call->mode = static_cast<mode_t>(a[1] & 0xffff);
      FdArg(a[0], call);
      return 0;
    case __NR_fchmodat:
      call->mode = static_cast<mode_t>(a[2] & 0xffff);
      return PathArg(mem, a[1], IntArg(a[0]), true, call);
    case kNrFchmodat2:
      call->mode = static_cast<mode_t>(a[2] & 0xffff);
      return AtArgs(mem, a[0], a[1], a[3], call);
#ifdef __NR_chown
    case __NR_chown:
#endif
#ifdef __NR_lchown
    case __NR_lchown:
#endif
    case __NR_fchown:
    case __NR_fchownat: {
      call->op = Op::kChown;
      const int first = d.nr == __NR_fchownat ? 2 : 1;
      call->uid = static_cast<uid_t>(a[first]);
      call->gid = static_cast<gid_t>(a[first + 1]);
      if (d.nr == __NR_fchown) {
        FdArg(a[0], call);
        return 0;
      }
      if (d.nr == __NR_fchownat) return AtArgs(mem, a[0], a[1], a[4], call);
#ifdef __NR_lchown
      if (d.nr == __NR_lchown) return PathArg(mem, a[0], AT_FDCWD, false, call);
#endif
      return PathArg(mem, a[0], AT_FDCWD, true, call);
    }
#ifdef __NR_utime
    case __NR_utime: {
      call->op = Op::kTimes;
      if (a[1] == 0) {
        call->now = true;
      } else {
        struct utimbuf buf;
        if (int e = mem.Read(a[1], &buf, sizeof buf); e != 0) return e;
        call->times[0].tv_sec = buf.actime;
        call->times[1].tv_sec = buf.modtime;
      }
      return PathArg(mem, a[0], AT_FDCWD, true, call);
    }
#endif
#ifdef __NR_utimes
    case __NR_utimes:
      if (int e = TimevalArg(mem, a[1], call); e != 0) return e;
      return PathArg(mem, a[0], AT_FDCWD, true, call);
#endif
#ifdef __NR_futimesat
    case __NR_futimesat:
      if (int e = TimevalArg(mem, a[2], call); e != 0) return e;
      if (a[1] == 0 && IntArg(a[0]) != AT_FDCWD) {
        FdArg(a[0], call);
        return 0;
      }
      return PathArg(mem, a[1], IntArg(a[0]), true, call);
#endif
    case __NR_utimensat: {
      call->op = Op::kTimes;
      if (a[2] == 0) {
        call->now = true;
      } else if (int e = mem.Read(a[2], call->times, sizeof call->times); e != 0) {
        return e;
      }
      if (a[3] & ~static_cast<__u64>(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return EINVAL;
      if (a[1] == 0 && IntArg(a[0]) != AT_FDCWD) {  // futimens(fd, times)
        if (a[3] != 0) return EINVAL;
        FdArg(a[0], call);
        return 0;
      }
      return AtArgs(mem, a[0], a[1], a[3], call);
    }
    case __NR_setxattr:
    case __NR_lsetxattr:
    case __NR_fsetxattr:
      if (int e = XattrName(mem, a[1], call); e != 0) return e;
      if (int e = XattrValue(mem, a[2], a[3], a[4], call); e != 0) return e;
      if (d.nr == __NR_fsetxattr) {
        FdArg(a[0], call);
        return 0;
      }
      return PathArg(mem, a[0], AT_FDCWD, d.nr == __NR_setxattr, call);
    case __NR_removexattr:
    case __NR_lremovexattr:
    case __NR_fremovexattr:
      call->op = Op::kRemoveXattr;
      if (int e = XattrName(mem, a[1], call); e != 0) return e;
      if (d.nr == __NR_fremovexattr) {
        FdArg(a[0], call);
        return 0;
      }
      return PathArg(mem, a[0], AT_FDCWD, d.nr == __NR_removexattr, call);
    default:
      return ENOSYS;  // not a guarded call: the filter and this table disagree
  }
}

// glibc's fchmodat(AT_SYMLINK_NOFOLLOW) without fchmodat2 calls chmod("/proc/self/fd/N") on
// an O_PATH fd. In the supervisor, /proc/self would be the supervisor: such a path names the
// caller's fd N, as the AT_EMPTY_PATH forms do.
void MapSelfFdPath(Call* call) {
  if (call->by_fd || !call->follow) return;
  std::string_view p = call->path;
  for (std::string_view prefix : {"/proc/self/fd/", "/proc/thread-self/fd/", "/dev/fd/"}) {
    if (p.substr(0, prefix.size()) != prefix) continue;
    std::string_view digits = p.substr(prefix.size());
    if (digits.empty() || digits.size() > 9 ||
        digits.find_first_not_of("0123456789") != std::string_view::npos)
      return;
    call->by_fd = true;
    call->opath_ok = true;
    call->fd = std::stoi(std::string(digits));
    return;
  }
}

// The flags of the target's open fd `fd`, from /proc/<pid>/fdinfo/<fd>; -1 if it has none.
long FdFlags(int proc, int fd) {
  UniqueFd info(openat(proc, ("fdinfo/" + std::to_string(fd)).c_str(), O_RDONLY | O_CLOEXEC));
  if (!info) return -1;
  char buf[512];
  ssize_t n = read(info.get(), buf, sizeof buf - 1);
  if (n <= 0) return -1;
  buf[n] = 0;
  const char* flags = std::strstr(buf, "flags:");
  return flags ? std::strtol(flags + 6, nullptr, 8) : -1;
}

// Opens (O_PATH) what the call starts from: the object itself for the fd forms, the directory
// a relative path is resolved from, or nothing for an absolute path. The target's fds and
// working directory are reached through its pinned /proc/<pid> directory.
int OpenStart(int proc, const Call& call, UniqueFd* start) {
  if (!call.by_fd && call.path[0] == '/') return 0;
  if (call.fd == AT_FDCWD && (call.opath_ok || !call.by_fd)) {
    start->reset(openat(proc, "cwd", O_PATH | O_CLOEXEC));
    return *start ? 0 : errno;
  }
  if (call.fd < 0) return EBADF;
  if (call.by_fd && !call.opath_ok) {
    long flags = FdFlags(proc, call.fd);
    if (flags < 0 || (flags & O_PATH)) return EBADF;  // fchmod and the like refuse O_PATH fds
  }
  start->reset(openat(proc, ("fd/" + std::to_string(call.fd)).c_str(), O_PATH | O_CLOEXEC));
  if (*start) return 0;
  return errno == ENOENT ? EBADF : errno;
}

// Performs the call on `object`, an O_PATH fd of the object itself (a symlink for the nofollow
// forms). Returns 0 or the call's errno.
int Perform(const Call& call, int object, const struct stat& st) {
  const bool link = S_ISLNK(st.st_mode);
  int rc = -1;
  switch (call.op) {
    case Op::kChmod:
      if (link) return EOPNOTSUPP;  // as fchmodat2(AT_SYMLINK_NOFOLLOW) answers for symlinks
      rc = chmod(FdPath(object).c_str(), call.mode);
      break;
    case Op::kChown:
      rc = fchownat(object, "", call.uid, call.gid, AT_EMPTY_PATH);
      break;
    case Op::kTimes:
      rc = utimensat(object, "", call.now ? nullptr : call.times, AT_EMPTY_PATH);
      break;
    case Op::kSetXattr:
      if (link) return EPERM;  // user.* is not allowed on symlinks; the rest needs privilege
      rc = setxattr(FdPath(object).c_str(), call.name.c_str(), call.value.data(), call.value.size(),
                    call.xattr_flags);
      break;
    case Op::kRemoveXattr:
      if (link) return EPERM;
      rc = removexattr(FdPath(object).c_str(), call.name.c_str());
      break;
  }
  return rc == 0 ? 0 : errno;
}

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
  for (long nr : kGuarded) {
    f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<__u32>(nr), 0, 1));
    f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF));
  }
  for (long nr : kTooNew) {
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

Status SendFd(int socket, int fd) {
  char byte = 0;
  struct iovec iov = {&byte, 1};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  ssize_t n;
  do n = sendmsg(socket, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n != 1) return MakeError(Errno("sendmsg(SCM_RIGHTS)"));
  return {};
}

Expected<UniqueFd> ReceiveFd(int socket, int timeout_ms) {
  struct pollfd p = {socket, POLLIN, 0};
  int ready;
  do ready = poll(&p, 1, timeout_ms);
  while (ready < 0 && errno == EINTR);
  if (ready < 0) return MakeError(Errno("poll"));
  if (ready == 0) return MakeError("no fd received within " + std::to_string(timeout_ms) + " ms");
  char byte;
  struct iovec iov = {&byte, 1};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)] = {};
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do n = recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) return MakeError(Errno("recvmsg"));
  UniqueFd received;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      if (!received) {
        received.reset(fd);
      } else {
        close(fd);  // one was expected
      }
    }
  }
  if (!received) return MakeError("the peer closed its socket without sending an fd");
  return received;
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

  Call call;
  if (int e = Decode(notif->data, Memory(mem.get()), &call); e != 0) return fail(e);
  MapSelfFdPath(&call);
  if (ioctl(listener_.get(), SECCOMP_IOCTL_NOTIF_ID_VALID, &id) != 0) return refuse;
  UniqueFd start;
  if (int e = OpenStart(proc.get(), call, &start); e != 0) return fail(e);

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
  return Answer{Perform(call, rooted.get(), st), Answer::kPerformed};
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
