#include "sandbox/metadata_call.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <utime.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string_view>

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

int IntArg(__u64 v) { return static_cast<int>(static_cast<__u32>(v)); }

int PathArg(const Memory& mem, __u64 addr, int dirfd, bool follow, MetadataCall* call) {
  call->fd = dirfd;
  call->follow = follow;
  if (int e = mem.ReadString(addr, PATH_MAX, &call->path); e != 0) return e;
  return call->path.empty() ? ENOENT : 0;
}

void FdArg(__u64 fd, MetadataCall* call) {
  call->by_fd = true;
  call->fd = IntArg(fd);
}

// The *at forms with AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH (fchmodat2, fchownat, utimensat).
int AtArgs(const Memory& mem, __u64 dirfd, __u64 addr, __u64 flags, MetadataCall* call) {
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

int TimevalArg(const Memory& mem, __u64 addr, MetadataCall* call) {
  call->op = MetadataOp::kTimes;
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

int XattrName(const Memory& mem, __u64 addr, MetadataCall* call) {
  int e = mem.ReadString(addr, XATTR_NAME_MAX + 1, &call->name);
  if (e == ENAMETOOLONG || (e == 0 && call->name.empty())) return ERANGE;
  return e;
}

int XattrValue(const Memory& mem, __u64 addr, __u64 size, __u64 flags, MetadataCall* call) {
  call->op = MetadataOp::kSetXattr;
  if (flags & ~static_cast<__u64>(XATTR_CREATE | XATTR_REPLACE)) return EINVAL;
  call->xattr_flags = static_cast<int>(flags);
  if (size > XATTR_SIZE_MAX) return E2BIG;
  call->value.resize(size);
  return size == 0 ? 0 : mem.Read(addr, call->value.data(), size);
}

// Decodes a guarded call's arguments, reading strings and structs from the target's memory.
// Returns 0, or the errno the kernel would have returned for these arguments.
int Decode(const struct seccomp_data& d, const Memory& mem, MetadataCall* call) {
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
      call->op = MetadataOp::kChown;
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
      call->op = MetadataOp::kTimes;
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
      call->op = MetadataOp::kTimes;
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
      call->op = MetadataOp::kRemoveXattr;
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

}  // namespace

std::span<const long> GuardedMetadataCalls() { return kGuarded; }
std::span<const long> TooNewMetadataCalls() { return kTooNew; }

int OpenAt2(int dirfd, const char* path, int flags, unsigned long long resolve) {
  struct open_how how {};
  how.flags = static_cast<unsigned long long>(flags | O_CLOEXEC);
  how.resolve = resolve;
  return static_cast<int>(syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

std::string FdPath(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

int DecodeMetadataCall(const struct seccomp_data& data, int mem_fd, MetadataCall* call) {
  return Decode(data, Memory(mem_fd), call);
}

// glibc's fchmodat(AT_SYMLINK_NOFOLLOW) without fchmodat2 calls chmod("/proc/self/fd/N") on
// an O_PATH fd. In the supervisor, /proc/self would be the supervisor: such a path names the
// caller's fd N, as the AT_EMPTY_PATH forms do.
void MapSelfFdPath(MetadataCall* call) {
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

// Opens (O_PATH) what the call starts from: the object itself for the fd forms, the directory
// a relative path is resolved from, or nothing for an absolute path. The target's fds and
// working directory are reached through its pinned /proc/<pid> directory.
int OpenCallStart(int proc, const MetadataCall& call, UniqueFd* start) {
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
int PerformMetadataCall(const MetadataCall& call, int object, const struct stat& st) {
  const bool link = S_ISLNK(st.st_mode);
  int rc = -1;
  switch (call.op) {
    case MetadataOp::kChmod:
      if (link) return EOPNOTSUPP;  // as fchmodat2(AT_SYMLINK_NOFOLLOW) answers for symlinks
      rc = chmod(FdPath(object).c_str(), call.mode);
      break;
    case MetadataOp::kChown:
      rc = fchownat(object, "", call.uid, call.gid, AT_EMPTY_PATH);
      break;
    case MetadataOp::kTimes:
      rc = utimensat(object, "", call.now ? nullptr : call.times, AT_EMPTY_PATH);
      break;
    case MetadataOp::kSetXattr:
      if (link) return EPERM;  // user.* is not allowed on symlinks; the rest needs privilege
      rc = setxattr(FdPath(object).c_str(), call.name.c_str(), call.value.data(), call.value.size(),
                    call.xattr_flags);
      break;
    case MetadataOp::kRemoveXattr:
      if (link) return EPERM;
      rc = removexattr(FdPath(object).c_str(), call.name.c_str());
      break;
  }
  return rc == 0 ? 0 : errno;
}

}  // namespace fanout::sandbox
