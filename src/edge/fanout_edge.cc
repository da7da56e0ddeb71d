// fanout-edge: what Ninja starts for each target of a build directory (`exec fanout-edge FANOUT
// exec -B . TARGET`). Under `fanout build`, whose exec server is named by $FANOUT_EXEC_SERVER,
// it hands the run to that server, which forks a worker already past fanout's start-up
// (src/cli/exec_server.h), and relays its signals and exit code; otherwise, or when the server
// refuses, it becomes `FANOUT exec ...` itself. docs/exec-server.md says why and what it costs.
//
// Started once per edge, so it is kept to what the C library offers: no C++ library, no
// exceptions (CMakeLists.txt links it as C). The exchange is in src/base/edge_wire.h.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/edge_wire.h"

extern char** environ;

namespace {

using namespace fanout::edge;

bool IsServerVariable(const char* entry) {
  const char* const names[] = {kServerVariable, kTokenVariable};
  for (const char* name : names) {
    const size_t n = strlen(name);
    if (strncmp(entry, name, n) == 0 && entry[n] == '=') return true;
  }
  return false;
}

/// Runs FANOUT itself (argv[1..]), without the server's variables: the fallback, and what every
/// edge did before the server.
[[noreturn]] void RunItself(char** argv) {
  unsetenv(kServerVariable);
  unsetenv(kTokenVariable);
  execv(argv[1], argv + 1);
  fprintf(stderr, "fanout-edge: error: cannot run %s: %s\n", argv[1], strerror(errno));
  _exit(127);
}

bool WriteAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    const ssize_t w = send(fd, data, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

/// Reads one reply, and the descriptor attached to it if any (`*fd`, else -1). False at the end
/// of the stream or on an error.
bool ReadReply(int sock, EdgeReply* reply, int* fd) {
  *fd = -1;
  char control[CMSG_SPACE(sizeof(int))];
  size_t got = 0;
  while (got < sizeof(*reply)) {
    struct iovec iov = {reinterpret_cast<char*>(reply) + got, sizeof(*reply) - got};
    struct msghdr msg = {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    const ssize_t r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
          c->cmsg_len == CMSG_LEN(sizeof(int))) {
        memcpy(fd, CMSG_DATA(c), sizeof(int));
      }
    }
    got += static_cast<size_t>(r);
  }
  return true;
}

/// Sends the request. False when the server cannot be asked (then the edge runs itself).
bool SendRequest(int sock, int argc, char** argv, const char* token) {
  EdgeRequest req;
  memset(&req, 0, sizeof(req));
  req.magic = kMagic;
  const mode_t mask = umask(0);
  umask(mask);
  req.umask = mask;
  req.argc = static_cast<uint32_t>(argc - 1);
  size_t bytes = 0;
  for (int i = 1; i < argc; ++i) bytes += strlen(argv[i]) + 1;
  for (char** e = environ; *e; ++e) {
    if (IsServerVariable(*e)) continue;
    bytes += strlen(*e) + 1;
    ++req.envc;
  }
  if (bytes > kMaxPayloadBytes) return false;
  req.payload_bytes = static_cast<uint32_t>(bytes);
  memcpy(req.token, token, kTokenBytes);

  char* payload = static_cast<char*>(malloc(bytes ? bytes : 1));
  if (!payload) return false;
  char* p = payload;
  for (int i = 1; i < argc; ++i) p = stpcpy(p, argv[i]) + 1;
  for (char** e = environ; *e; ++e) {
    if (!IsServerVariable(*e)) p = stpcpy(p, *e) + 1;
  }

  // Standard input may be closed; the worker then gets /dev/null, as a closed descriptor
  // cannot be sent.
  int fds[kRequestFds];
  int opened[kRequestFds] = {-1, -1, -1, -1};
  for (int i = 0; i < 3; ++i) {
    fds[i] = i;
    if (fcntl(i, F_GETFD) < 0) fds[i] = opened[i] = open("/dev/null", O_RDWR | O_CLOEXEC);
  }
  fds[3] = opened[3] = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  bool ok = fds[0] >= 0 && fds[1] >= 0 && fds[2] >= 0 && fds[3] >= 0;
  if (ok) {
    char control[CMSG_SPACE(sizeof(fds))];
    memset(control, 0, sizeof(control));
    struct iovec iov = {&req, sizeof(req)};
    struct msghdr msg = {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(fds));
    memcpy(CMSG_DATA(c), fds, sizeof(fds));
    ssize_t w;
    do {
      w = sendmsg(sock, &msg, MSG_NOSIGNAL);
    } while (w < 0 && errno == EINTR);
    // The header is far smaller than a socket buffer: a short write is a broken server.
    ok = w == static_cast<ssize_t>(sizeof(req)) && WriteAll(sock, payload, bytes);
  }
  for (int fd : opened) {
    if (fd >= 0) close(fd);
  }
  free(payload);
  return ok;
}

/// Waits for the worker's exit code, forwarding the signals Ninja sends this edge (SIGINT,
/// SIGTERM, SIGHUP, and SIGTERM when Ninja itself dies) to the worker. A worker killed by an
/// interruption kills this process with it.
int Relay(int sock, int pidfd, const sigset_t& signals, pid_t parent) {
  const int sigfd = signalfd(-1, &signals, SFD_CLOEXEC);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) kill(getpid(), SIGTERM);
  for (;;) {
    struct pollfd p[2] = {{sock, POLLIN, 0}, {sigfd, POLLIN, 0}};
    if (poll(p, sigfd >= 0 ? 2 : 1, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (sigfd >= 0 && (p[1].revents & POLLIN)) {
      struct signalfd_siginfo si;
      if (read(sigfd, &si, sizeof(si)) == static_cast<ssize_t>(sizeof(si))) {
        syscall(SYS_pidfd_send_signal, pidfd, static_cast<int>(si.ssi_signo), nullptr, 0);
      }
    }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      EdgeReply reply;
      int fd;
      if (!ReadReply(sock, &reply, &fd)) break;
      if (fd >= 0) close(fd);
      if (reply.kind == kEdgeExited) return reply.value;
      if (reply.kind == kEdgeKilled) {
        // An interruption, as `fanout exec` re-raises it: this process dies by it too, so
        // that Ninja counts the edge as interrupted, not failed.
        const int sig = reply.value;
        if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
          signal(sig, SIG_DFL);
          sigset_t one;
          sigemptyset(&one);
          sigaddset(&one, sig);
          sigprocmask(SIG_UNBLOCK, &one, nullptr);
          raise(sig);
        }
        return 128 + sig;
      }
    }
  }
  fprintf(stderr,
          "fanout-edge: error: the exec server ended before this edge's run did; "
          "see the build's output above, and rerun\n");
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr,
            "usage: fanout-edge FANOUT exec ARGS...\n"
            "fanout-edge runs `FANOUT exec ARGS...` for a Ninja edge, through `fanout build`'s "
            "exec server when $%s names one\n",
            kServerVariable);
    return 2;
  }
  const char* path = getenv(kServerVariable);
  const char* token = getenv(kTokenVariable);
  if (!path || !token || strlen(token) != kTokenBytes || strcmp(argv[2], "exec") != 0) {
    RunItself(argv);
  }
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof(addr.sun_path)) RunItself(argv);
  strcpy(addr.sun_path, path);

  // Signals that arrive from here on are kept for the worker, or for `fanout` itself (the mask
  // is undone before running it).
  const pid_t parent = getppid();
  sigset_t signals, old;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  sigprocmask(SIG_BLOCK, &signals, &old);

  const int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  EdgeReply reply = {};
  int pidfd = -1;
  if (sock >= 0 && connect(sock, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) == 0 &&
      SendRequest(sock, argc, argv, token) && ReadReply(sock, &reply, &pidfd) &&
      reply.kind == kEdgeAccepted && pidfd >= 0) {
    return Relay(sock, pidfd, signals, parent);
  }
  if (pidfd >= 0) close(pidfd);
  if (sock >= 0) close(sock);
  sigprocmask(SIG_SETMASK, &old, nullptr);  // a pending signal is taken now, as it would be
  RunItself(argv);
}
