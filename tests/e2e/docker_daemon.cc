#include "docker_daemon.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

#include "test_util.h"

namespace fanout::testing {
namespace {

bool OnPath(const std::string& tool) {
  return Run({"sh", "-c", "command -v " + tool}).exit_code == 0;
}

}  // namespace

std::string ImageToolsMissing() {
  if (geteuid() != 0) return "the image tests start a Docker daemon, which needs root";
  for (const char* tool : {"dockerd", "skopeo", "busybox"}) {
    if (!OnPath(tool)) {
      return std::string(tool) +
             " is not installed: scripts/setup installs docker.io, skopeo and "
             "busybox-static";
    }
  }
  return "";
}

DockerDaemon::DockerDaemon() {
  char tmpl[] = "/tmp/fdk.XXXXXX";  // short: the daemon's sockets live under it
  if (!mkdtemp(tmpl)) {
    error_ = "mkdtemp failed";
    return;
  }
  dir_ = tmpl;
  // Searchable by fanout's build user, which reaches the socket through it in the process tier
  // (the namespaces tier puts a searchable cover over an unsearchable ancestor).
  chmod(dir_.c_str(), 0755);
  socket_ = dir_ + "/docker.sock";
  const std::string log = dir_ + "/dockerd.log";
  // The socket's group: `docker` where it exists, else a fixed non-root gid. fanout gives the
  // build user a declared socket's group, never root's: a socket left root:root (a machine
  // without the group, such as a fresh Debian root) would be out of its reach.
  const std::string group = Run({"getent", "group", "docker"}).exit_code == 0 ? "docker" : "2375";
  pid_ = fork();
  if (pid_ == 0) {
    setsid();
    if (!freopen(log.c_str(), "w", stdout) || !freopen(log.c_str(), "a", stderr)) _exit(127);
    const std::string host = "unix://" + socket_, data = dir_ + "/data", exec = dir_ + "/exec",
                      pidfile = dir_ + "/dockerd.pid";
    execlp("dockerd", "dockerd", "--host", host.c_str(), "--data-root", data.c_str(), "--exec-root",
           exec.c_str(), "--pidfile", pidfile.c_str(), "--bridge", "none", "--iptables=false",
           "--ip6tables=false", "--ip-masq=false", static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 600; ++i) {
    if (Run({"docker", "--host", host(), "version"}).exit_code == 0) return;
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  error_ = "dockerd did not start; its log ends:\n" + Run({"tail", "-n", "20", log}).out;
}

const std::string& DockerDaemon::BuildProblem() {
  if (build_problem_) return *build_problem_;
  // A base image imported from a tar of busybox, and a build on it that runs a step.
  const std::string ctx = dir_ + "/probe";
  const std::string docker = "/usr/bin/docker --host '" + host() + "'";
  const RunResult r = Run(
      {"sh", "-c",
       "set -e; mkdir -p '" + ctx + "/root'; cd '" + ctx +
           "'; cp \"$(command -v busybox)\" root/;"
           "tar -C root -cf - busybox | " +
           docker +
           " import - fanout-probe:base >/dev/null;"
           "printf '%s\\n' 'FROM fanout-probe:base' 'RUN [\"/busybox\", \"true\"]' > Dockerfile;"
           "DOCKER_BUILDKIT=1 " +
           docker +
           " build --network none --iidfile iid . 2>&1 | tail -n 8 >&2;"
           "test -s iid"});
  const bool built = r.exit_code == 0;
  build_problem_ =
      built ? "" : "this Docker daemon cannot build on a local image with a RUN step:\n" + r.err;
  return *build_problem_;
}

DockerDaemon::~DockerDaemon() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    for (int i = 0; i < 300 && waitpid(pid_, nullptr, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    kill(-pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (!dir_.empty()) {
    // Whatever the daemon left mounted under its roots goes first.
    Run({"sh", "-c",
         "grep -o ' " + dir_ + "[^ ]*' /proc/self/mounts | sort -r | xargs -r -n1 umount -l"});
    Run({"rm", "-rf", "--one-file-system", dir_});
  }
}

}  // namespace fanout::testing
