#include "sandbox/log_relay.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "base/file_util.h"

namespace fanout::sandbox {

std::string LogCutNote(std::uint64_t cut_at, std::uint64_t dropped) {
  return fmt::format("\n[fanout: log cut at {} bytes; {} bytes dropped]\n", cut_at, dropped);
}

Expected<std::unique_ptr<LogRelay>> LogRelay::Create(int log_fd, std::uint64_t limit) {
  int data[2], stop[2];
  if (pipe2(data, O_CLOEXEC) != 0) return MakeError(fmt::format("pipe: {}", std::strerror(errno)));
  UniqueFd read(data[0]), write(data[1]);
  if (pipe2(stop, O_CLOEXEC) != 0) return MakeError(fmt::format("pipe: {}", std::strerror(errno)));
  UniqueFd stop_read(stop[0]), stop_write(stop[1]);
  // The relay drains without blocking once told to stop.
  if (fcntl(read.get(), F_SETFL, O_NONBLOCK) != 0) {
    return MakeError(fmt::format("fcntl: {}", std::strerror(errno)));
  }
  return std::unique_ptr<LogRelay>(new LogRelay(log_fd, limit, std::move(read), std::move(write),
                                                std::move(stop_read), std::move(stop_write)));
}

LogRelay::LogRelay(int log_fd, std::uint64_t limit, UniqueFd read, UniqueFd write,
                   UniqueFd stop_read, UniqueFd stop_write)
    : log_fd_(log_fd),
      limit_(limit),
      read_(std::move(read)),
      write_(std::move(write)),
      stop_read_(std::move(stop_read)),
      stop_write_(std::move(stop_write)),
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

void LogRelay::Run() {
  write_.reset();
  thread_ = std::thread([this] { Loop(); });
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

void LogRelay::Loop() {
  // No allocation here: the sandbox's processes may fork while this thread runs.
  char* buf = buf_.get();
  constexpr std::size_t kSize = kBufferSize;
  bool stopping = false;
  for (;;) {
    const ssize_t n = read(read_.get(), buf, kSize);
    if (n > 0) {
      Take(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) return;  // every writer is gone
    if (errno == EINTR) continue;
    if (errno != EAGAIN || stopping) return;
    pollfd fds[2] = {{read_.get(), POLLIN, 0}, {stop_read_.get(), POLLIN, 0}};
    if (poll(fds, 2, -1) < 0 && errno != EINTR) return;
    if (fds[1].revents) stopping = true;  // drain what is there, then stop
  }
}

std::uint64_t LogRelay::Finish() {
  if (finished_) return dropped_;
  finished_ = true;
  write_.reset();
  const char c = 's';
  (void)!::write(stop_write_.get(), &c, 1);
  if (thread_.joinable()) {
    thread_.join();
  } else {
    Loop();  // never started (the sandbox did not start): what was written is still relayed
  }
  if (dropped_ > 0) (void)WriteAllToFd(log_fd_, LogCutNote(limit_, dropped_));
  return dropped_;
}

}  // namespace fanout::sandbox
