// Progress people can follow: `fanout build -v` streams the logs of running targets, each line
// prefixed with its target's name (`name | line`, as docker compose does), while Ninja runs them. A
// thread polls the targets' log files (as `tail -f` would); nothing in the build waits for it.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace fanout {

/// Follows BUILD/targets/<t>/log.txt of the given targets.
class LogFollower {
 public:
  /// Follows the logs of `targets` in `build_dir`, printing to `out` what is written to each
  /// log once it has been (re)written after `since` (unix seconds): a log untouched since
  /// then belongs to an earlier build and is not replayed.
  LogFollower(std::string build_dir, std::vector<std::string> targets, double since,
              std::FILE* out);
  ~LogFollower();
  LogFollower(const LogFollower&) = delete;
  LogFollower& operator=(const LogFollower&) = delete;

  /// Starts polling every `interval_ms` on a thread.
  void Start(int interval_ms = 200);
  /// Stops the thread, reads what is left and prints unterminated last lines.
  void Stop();
  /// One pass over every log: prints the complete lines written since the last pass.
  void Poll();
  /// Prints every unterminated last line (at the end of the build).
  void Flush();

 private:
  struct Tail {
    bool active = false;  ///< written during this build
    off_t offset = 0;     ///< how far it has been printed
    std::string partial;  ///< an incomplete last line
  };
  void Emit(const std::string& target, const std::string& line);

  std::string build_dir_;
  std::vector<std::string> targets_;
  double since_;
  std::FILE* out_;
  size_t width_ = 0;
  std::map<std::string, Tail> tails_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace fanout
