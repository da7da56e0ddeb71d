#include "base/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "base/unique_fd.h"

extern char** environ;

namespace fanout {
namespace {

constexpr std::size_t kStderrKeep = 64 * 1024;

}  // namespace

Expected<ProcessResult> RunProcess(const std::vector<std::string>& argv,
                                   const ProcessOptions& options) {
  if (argv.empty()) return MakeError("no program to run", kExitTargetFailed);
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    return MakeError(fmt::format("cannot create a pipe: {}", std::strerror(errno)),
                     kExitTargetFailed);
  }
  UniqueFd out_read(out_pipe[0]), out_write(out_pipe[1]);
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    return MakeError(fmt::format("cannot create a pipe: {}", std::strerror(errno)),
                     kExitTargetFailed);
  }
  UniqueFd err_read(err_pipe[0]), err_write(err_pipe[1]);

  SpawnFileActions actions;
  posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(actions.get(), out_write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(actions.get(), err_write.get(), STDERR_FILENO);
  if (!options.cwd.empty()) {
    posix_spawn_file_actions_addchdir_np(actions.get(), options.cwd.c_str());
  }
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> env;
  if (options.env) {
    env.reserve(options.env->size() + 1);
    for (const std::string& e : *options.env) env.push_back(const_cast<char*>(e.c_str()));
    env.push_back(nullptr);
  }
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, args[0], actions.get(), nullptr, args.data(),
                              options.env ? env.data() : environ);
  if (rc != 0) {
    return MakeError(fmt::format("cannot run '{}': {}", argv[0], std::strerror(rc)),
                     kExitTargetFailed);
  }
  out_write.reset();
  err_write.reset();

  ProcessResult result;
  pollfd fds[2] = {{out_read.get(), POLLIN, 0}, {err_read.get(), POLLIN, 0}};
  std::string* sinks[2] = {&result.stdout_text, &result.stderr_text};
  char buf[16384];
  int open_fds = 2;
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      sinks[i]->append(buf, static_cast<std::size_t>(n));
      if (i == 1 && result.stderr_text.size() > 2 * kStderrKeep) {
        result.stderr_text.erase(0, result.stderr_text.size() - kStderrKeep);
      }
    }
  }
  if (result.stderr_text.size() > kStderrKeep) {
    result.stderr_text.erase(0, result.stderr_text.size() - kStderrKeep);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status)     ? WEXITSTATUS(status)
                     : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                           : -1;
  return result;
}

}  // namespace fanout
