#include "sandbox/confine.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

#include "src/unique_fd.h"

namespace fanout::sandbox {

namespace {

std::string Errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// Newer than the Debian 12 kernel headers; the values are part of the kernel ABI.
constexpr __u64 kLandlockAccessFsTruncate = 1ULL << 14;  // ABI 3

#if defined(__x86_64__)
constexpr __u32 kAuditArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr __u32 kAuditArch = AUDIT_ARCH_AARCH64;
#else
#error "seccomp filter: unsupported architecture"
#endif

}  // namespace

void ResetSignals() {
  struct sigaction sa {};
  sa.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &sa, nullptr);  // fails harmlessly for KILL
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

std::string SetNoNewPrivs() {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Errno("prctl(PR_SET_NO_NEW_PRIVS)");
  return "";
}

std::string ApplyRlimits(const Limits& limits) {
  struct rlimit core = {0, 0};
  setrlimit(RLIMIT_CORE, &core);
  struct Item {
    int resource;
    std::uint64_t value;
    const char* name;
  };
  const Item items[] = {{RLIMIT_NOFILE, limits.nofile, "setrlimit(RLIMIT_NOFILE)"},
                        {RLIMIT_DATA, limits.memory_bytes, "setrlimit(RLIMIT_DATA)"},
                        {RLIMIT_NPROC, limits.pids, "setrlimit(RLIMIT_NPROC)"}};
  for (const Item& it : items) {
    if (it.value == 0) continue;
    struct rlimit rl = {static_cast<rlim_t>(it.value), static_cast<rlim_t>(it.value)};
    if (setrlimit(it.resource, &rl) != 0) return Errno(it.name);
  }
  return "";
}

std::string DenyNetworkSockets() {
  const __u32 deny = SECCOMP_RET_ERRNO | (EACCES & SECCOMP_RET_DATA);
  struct sock_filter filter[] = {
    // A foreign architecture (another ABI's syscall numbers) is refused outright.
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kAuditArch, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#if defined(__x86_64__)
    // x32 system calls carry bit 30; they are not used by anything we build.
    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, deny),
#endif
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 6),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET, 3, 0),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET6, 2, 0),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_PACKET, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT(BPF_RET | BPF_K, deny),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Errno("prctl(PR_SET_NO_NEW_PRIVS)");
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) return Errno("seccomp");
  return "";
}

int LandlockAbi() {
  long v = syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return v < 0 ? 0 : static_cast<int>(v);
}

std::string RestrictWritesTo(const std::vector<std::string>& writable) {
  const int abi = LandlockAbi();
  if (abi < 1) return "Landlock is not available";
  __u64 write_access = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
                       LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
                       LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
                       LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
                       LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
  if (abi >= 2) write_access |= LANDLOCK_ACCESS_FS_REFER;
  if (abi >= 3) write_access |= kLandlockAccessFsTruncate;
  struct landlock_ruleset_attr attr {};
  attr.handled_access_fs = write_access;
  UniqueFd ruleset(static_cast<int>(syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0)));
  if (!ruleset) return Errno("landlock_create_ruleset");
  auto allow = [&](const std::string& path, __u64 access) -> std::string {
    UniqueFd fd(open(path.c_str(), O_PATH | O_CLOEXEC));
    if (!fd) return Errno(("open " + path).c_str());
    struct landlock_path_beneath_attr rule {};
    rule.allowed_access = access;
    rule.parent_fd = fd.get();
    if (syscall(SYS_landlock_add_rule, ruleset.get(), LANDLOCK_RULE_PATH_BENEATH, &rule, 0) != 0) {
      return Errno(("landlock_add_rule " + path).c_str());
    }
    return "";
  };
  for (const std::string& dir : writable) {
    if (std::string err = allow(dir, write_access); !err.empty()) return err;
  }
  // /dev/null, /dev/tty and friends are opened for writing by nearly everything.
  if (std::string err = allow("/dev", LANDLOCK_ACCESS_FS_WRITE_FILE); !err.empty()) return err;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Errno("prctl(PR_SET_NO_NEW_PRIVS)");
  if (syscall(SYS_landlock_restrict_self, ruleset.get(), 0) != 0) {
    return Errno("landlock_restrict_self");
  }
  return "";
}

}  // namespace fanout::sandbox
