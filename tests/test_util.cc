#include "test_util.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <boost/filesystem.hpp>

extern char** environ;

namespace fanout::testing {

namespace {

// The tests were written for builds that run every target Ninja schedules: the action cache
// (docs/cache.md), on by default for users, is off in every process the tests start, unless a
// test turns it on for its own runs (FANOUT_CACHE=on in Run's `env`, with its own
// FANOUT_CACHE_DIR), so no test can restore another's results.
const bool kCacheOffForTests = [] {
  setenv("FANOUT_CACHE", "off", 0);
  return true;
}();

}  // namespace

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/fanout-test.XXXXXX";
  char* p = mkdtemp(tmpl.data());
  if (!p) {
    ADD_FAILURE() << "mkdtemp failed: " << std::strerror(errno);
    return;
  }
  // Searchable by others, as a CI checkout is: when the tests run as root, the process tier runs
  // commands as the unprivileged build uid, which must reach the build directory.
  chmod(p, 0755);
  path_ = boost::filesystem::canonical(p).string();
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  // Workspaces may be left read-only; make everything writable before removing.
  std::string cmd = "chmod -R u+w '" + path_ + "' 2>/dev/null; rm -rf '" + path_ + "'";
  if (std::system(cmd.c_str()) != 0) {
    // best effort
  }
}

RunResult Run(const std::vector<std::string>& argv, const std::string& cwd,
              const std::vector<std::string>& env) {
  RunResult r;
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) return r;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(127);
    for (const std::string& kv : env) putenv(strdup(kv.c_str()));
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

RunResult Sh(const std::string& script, const std::string& cwd) {
  return Run({"/bin/sh", "-c", script}, cwd);
}

void WriteFile(const std::string& path, const std::string& content) {
  boost::filesystem::create_directories(boost::filesystem::path(path).parent_path());
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << content;
}

std::string ReadFile(const std::string& path) {
  // read(2) rather than a stream: a /proc file of a process that ends while it is read fails
  // with ESRCH, which libstdc++'s stream buffers report by throwing.
  std::string content;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return content;
  char buf[65536];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    content.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return content;
}

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

GitRepo::GitRepo() {
  Git({"init", "-q", "-b", "main"});
  Git({"config", "user.email", "test@example.com"});
  Git({"config", "user.name", "Test"});
  Git({"config", "commit.gpgsign", "false"});
}

void GitRepo::Write(const std::string& rel, const std::string& content) {
  WriteFile(dir_ / rel, content);
}

std::string GitRepo::Git(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"git", "-C", path()};
  argv.insert(argv.end(), args.begin(), args.end());
  RunResult r = Run(argv);
  EXPECT_EQ(r.exit_code, 0) << "git failed: " << r.err;
  return r.out;
}

std::string GitRepo::Commit(const std::string& msg) {
  Git({"add", "-A"});
  Git({"commit", "-q", "--allow-empty", "-m", msg});
  std::string sha = Git({"rev-parse", "HEAD"});
  while (!sha.empty() && (sha.back() == '\n')) sha.pop_back();
  return sha;
}

std::string FanoutBinary() { return FANOUT_BINARY; }

bool CopyBusybox(const std::string& to) {
  const std::string found = Run({"sh", "-c", "command -v busybox"}).out;
  const std::string busybox = found.substr(0, found.find('\n'));
  return !busybox.empty() && Run({"cp", busybox, to}).exit_code == 0;
}

Background::Background(const std::vector<std::string>& args, const std::string& cwd,
                       const std::vector<std::string>& env, const std::string& log_path) {
  pid_ = fork();
  if (pid_ == 0) {
    setpgid(0, 0);
    const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    if (chdir(cwd.c_str()) != 0) _exit(127);
    for (const std::string& kv : env) putenv(const_cast<char*>(kv.c_str()));
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  setpgid(pid_, pid_);
}

Background::~Background() {
  if (pid_ > 0) {
    kill(-pid_, SIGKILL);
    Wait();
  }
}

int Background::Wait() {
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool Background::Running() {
  int status;
  return pid_ > 0 && waitpid(pid_, &status, WNOHANG) == 0;
}

ScopedEnv::ScopedEnv(const char* name) : name_(name) {
  if (const char* v = std::getenv(name)) old_ = v;
}

ScopedEnv::~ScopedEnv() { Set(old_ ? old_->c_str() : nullptr); }

void ScopedEnv::Set(const char* value) {
  if (value) {
    setenv(name_, value, 1);
  } else {
    unsetenv(name_);
  }
}

}  // namespace fanout::testing
