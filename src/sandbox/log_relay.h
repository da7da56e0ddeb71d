// A target's log, capped: the command writes to a pipe, and a thread of the runner copies what
// comes through into the log file until the target's `log_limit`. Past it, output is read and
// dropped (the command never blocks on a full pipe) and, at the end, a note says where the log
// was cut and how much was dropped.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "base/expected.h"
#include "base/unique_fd.h"

namespace fanout::sandbox {

/// The note written where a log was cut.
std::string LogCutNote(std::uint64_t cut_at, std::uint64_t dropped);

class LogRelay {
 public:
  /// A pipe to relay into `log_fd` (an O_APPEND file), which keeps at most `limit` bytes (its
  /// size so far counts). Nothing runs until Run().
  static Expected<std::unique_ptr<LogRelay>> Create(int log_fd, std::uint64_t limit);
  ~LogRelay();
  LogRelay(const LogRelay&) = delete;
  LogRelay& operator=(const LogRelay&) = delete;

  /// The descriptor the command's stdout and stderr go to (close-on-exec here).
  int write_fd() const { return write_.get(); }
  /// Gives the pipe to `uid`:`gid` (the build uid), so the command can reopen /dev/stdout.
  Status Chown(uid_t uid, gid_t gid) const;

  /// Closes this process's write end and starts relaying on a thread. Call once the sandbox is
  /// started (which forks, and must see one thread).
  void Run();
  /// Once every process of the sandbox is gone: relays what is left, stops, and writes the
  /// note when output was dropped. Returns how many bytes were dropped.
  std::uint64_t Finish();

 private:
  LogRelay(int log_fd, std::uint64_t limit, UniqueFd read, UniqueFd write, UniqueFd stop_read,
           UniqueFd stop_write);
  void Loop();
  /// Keeps what fits of `data` in the log, counts the rest as dropped.
  void Take(const char* data, std::size_t size);

  int log_fd_;
  std::uint64_t limit_;
  std::uint64_t kept_ = 0;  ///< bytes in the log (its size when created, then what was kept)
  std::uint64_t dropped_ = 0;
  UniqueFd read_, write_, stop_read_, stop_write_;
  static constexpr std::size_t kBufferSize = 1 << 16;
  std::unique_ptr<char[]> buf_;
  std::thread thread_;
  bool finished_ = false;
};

}  // namespace fanout::sandbox
