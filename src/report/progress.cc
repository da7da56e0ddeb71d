#include "report/progress.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "base/build_layout.h"
#include "base/unique_fd.h"
#include "report/text.h"

namespace fanout {

LogFollower::LogFollower(std::string build_dir, std::vector<std::string> targets, double since,
                         std::FILE* out)
    : build_dir_(std::move(build_dir)), targets_(std::move(targets)), since_(since), out_(out) {
  for (const std::string& t : targets_) width_ = std::max(width_, t.size());
}

LogFollower::~LogFollower() { Stop(); }

void LogFollower::Start(int interval_ms) {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this, interval_ms] {
    while (!stop_) {
      Poll();
      for (int waited = 0; waited < interval_ms && !stop_; waited += 20) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  });
}

void LogFollower::Stop() {
  if (!thread_.joinable()) return;
  stop_ = true;
  thread_.join();
  Poll();
  Flush();
}

void LogFollower::Emit(const std::string& target, const std::string& line) {
  std::string text = fmt::format("{:<{}} | {}\n", target, width_, SanitizeLogText(line));
  std::fwrite(text.data(), 1, text.size(), out_);
}

void LogFollower::Poll() {
  constexpr off_t kMaxPerPass = 1 << 20;  // a runaway log cannot stall the others
  bool wrote = false;
  for (const std::string& t : targets_) {
    const std::string path = build_dir_ + "/" + layout::LogPath(t);
    struct stat st;
    if (stat(path.c_str(), &st) != 0) continue;
    Tail& tail = tails_[t];
    if (!tail.active) {
      double mtime =
          static_cast<double>(st.st_mtim.tv_sec) + static_cast<double>(st.st_mtim.tv_nsec) * 1e-9;
      if (mtime < since_ - 0.01) continue;  // file times lag the clock by a tick (HZ=100)
      tail.active = true;
    }
    if (st.st_size < tail.offset) {  // truncated: the target started again
      tail.offset = 0;
      tail.partial.clear();
    }
    if (st.st_size == tail.offset) continue;
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) continue;
    std::string buf(static_cast<size_t>(std::min(st.st_size - tail.offset, kMaxPerPass)), '\0');
    ssize_t n = pread(fd.get(), buf.data(), buf.size(), tail.offset);
    if (n <= 0) continue;
    buf.resize(static_cast<size_t>(n));
    tail.offset += n;
    tail.partial += buf;
    size_t start = 0;
    for (size_t nl; (nl = tail.partial.find('\n', start)) != std::string::npos; start = nl + 1) {
      Emit(t, tail.partial.substr(start, nl - start));
      wrote = true;
    }
    tail.partial.erase(0, start);
  }
  if (wrote) std::fflush(out_);
}

void LogFollower::Flush() {
  bool wrote = false;
  for (auto& [t, tail] : tails_) {
    if (tail.partial.empty()) continue;
    Emit(t, tail.partial);
    tail.partial.clear();
    wrote = true;
  }
  if (wrote) std::fflush(out_);
}

}  // namespace fanout
