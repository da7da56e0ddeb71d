// Helpers shared by the tests: temporary directories, running programs, real git repositories.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace fanout::testing {

/// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  /// path() + "/" + rel
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

/// An environment variable set for one scope, and put back as it was (or removed) after.
class ScopedEnv {
 public:
  /// Remembers the variable; Set changes it.
  explicit ScopedEnv(const char* name);
  ScopedEnv(const char* name, const std::string& value) : ScopedEnv(name) { Set(value.c_str()); }
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  /// Sets the variable to `value`, or removes it when `value` is null.
  void Set(const char* value);

 private:
  const char* name_;
  std::optional<std::string> old_;
};

/// The outcome of running a program.
struct RunResult {
  int exit_code = -1;  ///< 128+N when killed by signal N
  std::string out;     ///< stdout
  std::string err;     ///< stderr
};

/// Polls `ready` every `poll_ms` milliseconds for up to 60 s; whether it became true. Every
/// wait in the tests is bounded.
template <class F>
bool WaitFor(F ready, int poll_ms = 20) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
  }
  return ready();
}

/// Runs `argv` in `cwd` (empty: current directory) with extra `env` entries ("K=V"), waits,
/// and captures stdout and stderr.
RunResult Run(const std::vector<std::string>& argv, const std::string& cwd = "",
              const std::vector<std::string>& env = {});
/// Runs `/bin/sh -c script` in `cwd`.
RunResult Sh(const std::string& script, const std::string& cwd = "");

/// Writes `content` to `path`, creating parent directories.
void WriteFile(const std::string& path, const std::string& content);
/// Reads a whole file (what could be read; "" if missing). Never throws, so it also reads
/// /proc files of processes that may end meanwhile.
std::string ReadFile(const std::string& path);
bool Exists(const std::string& path);

/// A real git repository in a temporary directory, with an identity configured.
class GitRepo {
 public:
  GitRepo();
  const std::string& path() const { return dir_.path(); }
  std::string operator/(const std::string& rel) const { return dir_ / rel; }
  /// Writes a file relative to the repository root.
  void Write(const std::string& rel, const std::string& content);
  /// Runs `git ARGS...` in the repository; fails the test on a non-zero exit.
  std::string Git(const std::vector<std::string>& args);
  /// `git add -A && git commit -m msg`; returns the new commit's sha.
  std::string Commit(const std::string& msg = "commit");

 private:
  TempDir dir_;
};

/// Absolute path of the fanout binary under test.
std::string FanoutBinary();

/// Copies this machine's static busybox (busybox-static, which scripts/setup installs) to
/// `to`, the one program of the `FROM scratch` images the image tests build; false when there
/// is none or the copy fails.
bool CopyBusybox(const std::string& to);

/// A program started in the background in its own process group (as a shell runs a job),
/// stdout and stderr to `log_path`, with extra `env` entries ("K=V"). The whole group is
/// killed when it is destroyed while still running.
class Background {
 public:
  Background(const std::vector<std::string>& args, const std::string& cwd,
             const std::vector<std::string>& env, const std::string& log_path);
  ~Background();
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  pid_t pid() const { return pid_; }
  /// Waits; returns the exit code (128+N when killed by signal N).
  int Wait();
  /// Whether it is still running (reaps it when it is not).
  bool Running();

 private:
  pid_t pid_ = -1;
};

}  // namespace fanout::testing
