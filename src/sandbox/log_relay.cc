#include "sandbox/log_relay.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "base/file_util.h"

namespace fanout::sandbox {

std::string LogCutNote(std::uint64_t cut_at, std::uint64_t dropped) {
  return fmt::format("\n[fanout: log cut at {} bytes; {} bytes dropped]\n", cut_at, dropped);
}

Expected<std::unique_ptr<LogRelay>> LogRelay::Create(int log_fd, std::uint64_t limit) {
  int data[2];
  if (pipe2(data, O_CLOEXEC) != 0) return MakeError(fmt::format("pipe: {}", std::strerror(errno)));
  UniqueFd read(data[0]), write(data[1]);
  // The supervisor polls the pipe and reads what is there: it never waits on it.
  if (fcntl(read.get(), F_SETFL, O_NONBLOCK) != 0) {
    return MakeError(fmt::format("fcntl: {}", std::strerror(errno)));
  }
  return std::unique_ptr<LogRelay>(new LogRelay(log_fd, limit, std::move(read), std::move(write)));
}

LogRelay::LogRelay(int log_fd, std::uint64_t limit, UniqueFd read, UniqueFd write)
    : log_fd_(log_fd),
      limit_(limit),
      read_(std::move(read)),
      write_(std::move(write)),
      buf_(new char[kBufferSize]) {
  struct stat st;
  if (fstat(log_fd_, &st) == 0 && st.st_size > 0) kept_ = static_cast<std::uint64_t>(st.st_size);
}

LogRelay::~LogRelay() { Finish(); }

Status LogRelay::Chown(uid_t uid, gid_t gid) const {
  if (fchown(write_.get(), uid, gid) != 0) {
    return MakeError(
        fmt::format("cannot give the log's pipe to the build uid: {}", std::strerror(errno)));
  }
  return {};
}

void LogRelay::Take(const char* data, std::size_t size) {
  const std::uint64_t room = kept_ < limit_ ? limit_ - kept_ : 0;
  const std::size_t keep = static_cast<std::size_t>(std::min<std::uint64_t>(room, size));
  if (keep > 0) {
    (void)WriteAllToFd(log_fd_, std::string_view(data, keep));
    kept_ += keep;
  }
  dropped_ += size - keep;
}

void LogRelay::Relay(int max_reads) {
  for (int i = 0; !ended_ && i < max_reads;) {
    const ssize_t n = read(read_.get(), buf_.get(), kBufferSize);
    if (n > 0) {
      Take(buf_.get(), static_cast<std::size_t>(n));
      ++i;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || errno != EAGAIN) ended_ = true;  // every writer is gone (or the pipe failed)
    return;
  }
}

void LogRelay::Drain() { Relay(16); }

std::uint64_t LogRelay::Finish() {
  if (finished_) return dropped_;
  finished_ = true;
  write_.reset();
  // What is in the pipe now is all there is: the sandbox's processes are gone (or were never
  // started, and what was written is still relayed). Relay stops once it is empty.
  Relay(std::numeric_limits<int>::max());
  if (dropped_ > 0) (void)WriteAllToFd(log_fd_, LogCutNote(limit_, dropped_));
  return dropped_;
}

}  // namespace fanout::sandbox
