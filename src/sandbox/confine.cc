#include "sandbox/confine.h"
#include "sandbox/fs_util.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/netlink.h>
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
#include <vector>

#include "sandbox/weaken.h"

namespace fanout::sandbox {

namespace {

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

std::vector<sock_filter> SeccompPrologue(int x32_errno) {
  return {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kAuditArch, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#if defined(__x86_64__)
        // x32 system calls carry bit 30 and would pass the comparisons that follow.
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1),
        BPF_STMT(BPF_RET | BPF_K,
                 SECCOMP_RET_ERRNO | (static_cast<__u32>(x32_errno) & SECCOMP_RET_DATA)),
#endif
  };
}

std::string InstallSeccompFilter(bool network) {
  const __u32 deny = SECCOMP_RET_ERRNO | (EACCES & SECCOMP_RET_DATA);
  const __u32 nosys = SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA);
  const __u32 allow = SECCOMP_RET_ALLOW;
  std::vector<sock_filter> f = SeccompPrologue(EACCES);
  if (!Weakened("seccomp")) {
    // io_uring performs socket(), connect() and file operations the filter below never sees;
    // ENOSYS makes libraries fall back to plain system calls.
    for (long nr : {__NR_io_uring_setup, __NR_io_uring_enter, __NR_io_uring_register}) {
      f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<__u32>(nr), 0, 1));
      f.push_back(BPF_STMT(BPF_RET | BPF_K, nosys));
    }
  }
  if (!network) {
    f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0,
                         static_cast<__u8>(Weakened("seccomp") ? 5 : 7)));
    f.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])));
    if (Weakened("seccomp")) {
      // The old deny list: IP and packet sockets only.
      f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET, 2, 0));
      f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET6, 1, 0));
      f.push_back(BPF_STMT(BPF_RET | BPF_K, allow));
      f.push_back(BPF_STMT(BPF_RET | BPF_K, deny));
    } else {
      // An allow list: Unix sockets, and netlink's route protocol (getaddrinfo asks it for the
      // interfaces); every other family (IP, packet, vsock, AF_ALG, XDP...) is refused.
      f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 4, 0));
      f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_NETLINK, 0, 2));
      f.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])));
      f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NETLINK_ROUTE, 1, 0));
      f.push_back(BPF_STMT(BPF_RET | BPF_K, deny));
      f.push_back(BPF_STMT(BPF_RET | BPF_K, allow));
    }
  }
  f.push_back(BPF_STMT(BPF_RET | BPF_K, allow));
  struct sock_fprog prog = {static_cast<unsigned short>(f.size()), f.data()};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Errno("prctl(PR_SET_NO_NEW_PRIVS)");
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) return Errno("seccomp");
  return "";
}

}  // namespace fanout::sandbox
