#include "base/child_processes.h"

#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <string>

namespace fanout {

namespace {

double MonotonicNow() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

/// Reaps every child of `pids` that has ended; returns how many are left.
size_t ReapEnded(std::vector<pid_t>* pids) {
  std::vector<pid_t> left;
  for (pid_t p : *pids) {
    int status;
    const pid_t r = waitpid(p, &status, WNOHANG);
    if (r == 0) left.push_back(p);  // still running (r < 0: not ours any more, or reaped)
  }
  *pids = std::move(left);
  return pids->size();
}

}  // namespace

void BecomeSubreaper() { prctl(PR_SET_CHILD_SUBREAPER, 1); }

namespace {
constexpr int kCaughtSignals[] = {SIGINT, SIGTERM, SIGHUP};
}  // namespace

ForkedSignals::ForkedSignals() {
  sigset_t block;
  sigemptyset(&block);
  for (int s : kCaughtSignals) sigaddset(&block, s);
  pthread_sigmask(SIG_BLOCK, &block, &old_);
}

void ForkedSignals::InChild() {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int s : kCaughtSignals) sigaction(s, &dfl, nullptr);
  pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  restored_ = true;
}

void ForkedSignals::InParent() {
  if (restored_) return;
  restored_ = true;
  pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

std::vector<pid_t> ListChildren() { return ListChildrenOf(0); }

std::vector<pid_t> ListChildrenOf(pid_t parent) {
  const std::string dir =
      parent > 0 ? "/proc/" + std::to_string(parent) + "/task" : std::string("/proc/self/task");
  std::set<pid_t> children;
  DIR* tasks = opendir(dir.c_str());
  if (!tasks) return {};
  while (dirent* e = readdir(tasks)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream in(dir + "/" + e->d_name + "/children");
    pid_t pid;
    while (in >> pid) children.insert(pid);
  }
  closedir(tasks);
  return {children.begin(), children.end()};
}

int KillChildrenExcept(pid_t keep, pid_t also_keep) {
  int n = 0;
  for (pid_t p : ListChildren()) {
    if (p == keep || p == also_keep) continue;
    ++n;
    kill(p, SIGKILL);
    int status;
    waitpid(p, &status, WNOHANG);  // one already gone is reaped now, the rest next time
  }
  return n;
}

int StopRemainingChildren(double grace_seconds) {
  std::set<pid_t> seen;
  const double kill_at = MonotonicNow() + grace_seconds;
  bool killing = false;
  for (;;) {
    std::vector<pid_t> children = ListChildren();
    if (children.empty()) break;
    for (pid_t p : children) {
      // Each new child is asked once to stop (a runner records its target as interrupted).
      if (seen.insert(p).second && !killing) kill(p, SIGTERM);
      if (killing) kill(p, SIGKILL);
    }
    if (ReapEnded(&children) == 0) continue;
    if (!killing && MonotonicNow() >= kill_at) {
      killing = true;
      continue;
    }
    // A process stuck in the kernel cannot be waited for forever; PID 1 reaps it.
    if (killing && MonotonicNow() >= kill_at + 10) break;
    struct timespec pause = {0, 20 * 1000 * 1000};
    nanosleep(&pause, nullptr);
  }
  return static_cast<int>(seen.size());
}

}  // namespace fanout
