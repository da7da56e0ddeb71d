#include "sandbox/pool_slot.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>

#include <chrono>
#include <cstring>

#include <fmt/format.h>

namespace fanout::sandbox {

namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

/// An interrupt read from `signal_fd`, or 0. Other signals are dropped, as the runner does.
int ReadInterrupt(int signal_fd) {
  struct signalfd_siginfo si;
  while (read(signal_fd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
    const int sig = static_cast<int>(si.ssi_signo);
    if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) return sig;
  }
  return 0;
}

}  // namespace

Expected<PoolSlot> TakePoolSlot(const std::string& dir, const std::string& pool, int depth,
                                int signal_fd, const std::function<void()>& on_wait) {
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return MakeError(fmt::format("cannot create '{}': {}", dir, std::strerror(errno)));
  }
  std::vector<UniqueFd> slots;
  for (int i = 0; i < depth; ++i) {
    const std::string path = fmt::format("{}/{}.{}.lock", dir, pool, i);
    UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!fd) return MakeError(fmt::format("cannot open '{}': {}", path, std::strerror(errno)));
    slots.push_back(std::move(fd));
  }
  const double started = Now();
  bool told = false;
  // Polled, not a blocking flock on one slot: a waiter must take whichever slot frees first,
  // or a pool would run below its depth. 20 ms is nothing next to a target's run.
  for (;;) {
    for (int i = 0; i < depth; ++i) {
      if (flock(slots[i].get(), LOCK_EX | LOCK_NB) == 0) {
        PoolSlot slot;
        slot.lock = std::move(slots[i]);
        slot.index = i;
        slot.waited_seconds = Now() - started;
        return slot;
      }
      if (errno != EWOULDBLOCK && errno != EINTR) {
        return MakeError(
            fmt::format("cannot lock '{}/{}.{}.lock': {}", dir, pool, i, std::strerror(errno)));
      }
    }
    if (!told) {
      told = true;
      if (on_wait) on_wait();
    }
    struct pollfd p = {signal_fd, POLLIN, 0};
    if (poll(&p, signal_fd >= 0 ? 1 : 0, 20) > 0) {
      if (int sig = ReadInterrupt(signal_fd)) {
        PoolSlot interrupted;
        interrupted.signal = sig;
        interrupted.waited_seconds = Now() - started;
        return interrupted;
      }
    }
  }
}

}  // namespace fanout::sandbox
