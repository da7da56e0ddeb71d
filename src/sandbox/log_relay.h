// A target's log, capped: the command writes to a pipe, and the runner, while it supervises the
// sandbox (Supervise, isolate.h), copies what comes through into the log file until the
// target's `log_limit`. Past it, output is read and dropped (the command never blocks on a full
// pipe) and, at the end, a note says where the log was cut and how much was dropped. The runner
// stays one thread: no thread to start per edge, and nothing runs beside a fork.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

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

  /// Closes this process's write end: from here on the pipe ends when the command's
  /// processes are gone. Call once the sandbox is started (its processes have their copies).
  void CloseWriteEnd() { write_.reset(); }
  /// The descriptor to poll for reading while the command runs, or -1 once the pipe has ended.
  int read_fd() const { return ended_ ? -1 : read_.get(); }
  /// Relays what the pipe holds now, at most a few reads' worth so that a command that writes
  /// without pause does not hold its supervisor up; never blocks.
  void Drain();
  /// Once every process of the sandbox is gone: relays what is left, and writes the note when
  /// output was dropped. Returns how many bytes were dropped.
  std::uint64_t Finish();

 private:
  LogRelay(int log_fd, std::uint64_t limit, UniqueFd read, UniqueFd write);
  /// Relays up to `max_reads` reads; stops early when the pipe is empty or ended.
  void Relay(int max_reads);
  /// Keeps what fits of `data` in the log, counts the rest as dropped.
  void Take(const char* data, std::size_t size);

  int log_fd_;
  std::uint64_t limit_;
  std::uint64_t kept_ = 0;  ///< bytes in the log (its size when created, then what was kept)
  std::uint64_t dropped_ = 0;
  UniqueFd read_, write_;
  static constexpr std::size_t kBufferSize = 1 << 16;
  std::unique_ptr<char[]> buf_;
  bool ended_ = false;  ///< every writer is gone and the pipe is empty
  bool finished_ = false;
};

}  // namespace fanout::sandbox
