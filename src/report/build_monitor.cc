#include "report/build_monitor.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "base/build_layout.h"
#include "base/file_util.h"
#include "base/log_tail.h"
#include "base/unique_fd.h"
#include "records/target_status.h"

namespace fanout {
namespace {

/// Double-quoted and cut to `max` bytes, for a log line inside a status line.
std::string Excerpt(std::string line, std::size_t max = 120) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  if (line.size() > max) line = line.substr(0, max) + "...";
  return "\"" + line + "\"";
}

std::size_t FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<std::size_t>(st.st_size) : 0;
}

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

std::string FormatDuration(double seconds) {
  if (seconds < 60) return fmt::format("{:.1f}s", seconds);
  const long s = std::lround(seconds);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

BuildMonitor::BuildMonitor(std::string build_dir, MonitorOptions options, std::FILE* out)
    : build_dir_(std::move(build_dir)), options_(options), out_(out) {
  offset_ = FileSize(build_dir_ + "/" + records::kBuildEventsPath);
}

BuildMonitor::~BuildMonitor() { Stop(); }

void BuildMonitor::Start(int interval_ms) {
  if (thread_.joinable()) return;
  stop_ = false;
  last_heartbeat_ = UnixNow();
  thread_ = std::thread([this, interval_ms] {
    while (!stop_) {
      Poll(UnixNow());
      for (int waited = 0; waited < interval_ms && !stop_; waited += 20) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  });
}

void BuildMonitor::Stop() {
  if (!thread_.joinable()) return;
  stop_ = true;
  thread_.join();
  Poll(UnixNow());
  std::lock_guard<std::mutex> hold(mutex_);
  if (block_lines_ > 0) {
    fmt::print(out_, "\x1b[{}F\x1b[J", block_lines_);
    block_lines_ = 0;
    std::fflush(out_);
  }
}

void BuildMonitor::Poll(double now) {
  std::lock_guard<std::mutex> hold(mutex_);
  const std::string path = build_dir_ + "/" + records::kBuildEventsPath;
  // Only what was appended since the last pass: the file grows by two lines per target.
  if (const std::size_t size = FileSize(path); size > offset_) {
    std::string text(size - offset_, '\0');
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    const ssize_t n =
        fd ? pread(fd.get(), text.data(), text.size(), static_cast<off_t>(offset_)) : -1;
    if (n > 0) {
      text.resize(static_cast<std::size_t>(n));
      std::size_t consumed = 0;
      for (const records::BuildEvent& e : records::ParseEvents(text, &consumed)) {
        if (e.status) {
          Ended(e);
        } else {
          Started(e);
        }
      }
      offset_ += consumed;
    }
  }
  if (!options_.live && !running_.empty() && now - last_heartbeat_ >= options_.heartbeat_seconds) {
    Heartbeat(now);
  }
  Flush(now);
}

void BuildMonitor::Started(const records::BuildEvent& e) {
  running_[e.target] = {e.time, e.pool};
  pending_ += e.pool.empty() ? fmt::format("fanout: start  {}\n", e.target)
                             : fmt::format("fanout: start  {} (pool {})\n", e.target, e.pool);
}

void BuildMonitor::Ended(const records::BuildEvent& e) {
  running_.erase(e.target);
  ++finished_;
  const double took = e.duration_seconds.value_or(0);
  const bool ok = IsSuccess(*e.status);
  std::string line =
      fmt::format("fanout: {:<6} {} in {}", ok ? "done" : "FAILED", e.target, FormatDuration(took));
  if (*e.status != TargetStatus::kSucceeded && *e.status != TargetStatus::kFailed) {
    line += fmt::format(" ({})", StatusName(*e.status));
  }
  if (!ok && e.message) line += ": " + *e.message;
  if (options_.total) line += fmt::format(" [{}/{}]", finished_, options_.total);
  pending_ += line + "\n";
  if (options_.github_groups) {
    const std::string log = build_dir_ + "/" + layout::LogPath(e.target);
    std::string text = ReadLogTail(log, 2000);
    if (!text.empty() && text.back() != '\n') text += "\n";
    pending_ += fmt::format("::group::log of {} ({})\n{}::endgroup::\n", e.target,
                            StatusName(*e.status), text);
  }
}

void BuildMonitor::Heartbeat(double now) {
  last_heartbeat_ = now;
  std::string line =
      fmt::format("fanout: running {} target{}:", running_.size(), running_.size() == 1 ? "" : "s");
  std::string sep = " ";
  for (const auto& [name, r] : running_) {
    line += sep + name + " " + FormatDuration(now - r.started);
    if (!r.pool.empty()) line += " (pool " + r.pool + ")";
    const std::string last = ReadLogTail(build_dir_ + "/" + layout::LogPath(name), 1);
    if (!last.empty()) line += " " + Excerpt(last);
    sep = "; ";
  }
  pending_ += line + "\n";
}

std::string BuildMonitor::Block(double now) const {
  std::string block;
  for (const auto& [name, r] : running_) {
    block += fmt::format("  running {:<24} {:>8}{}\n", name, FormatDuration(now - r.started),
                         r.pool.empty() ? "" : "  pool " + r.pool);
  }
  return block;
}

void BuildMonitor::Flush(double now) {
  if (!options_.live) {
    if (!pending_.empty()) {
      std::fputs(pending_.c_str(), out_);
      std::fflush(out_);
      pending_.clear();
    }
    return;
  }
  // In a terminal: erase the block, print what happened, draw the block again.
  std::string text;
  if (block_lines_ > 0) text += fmt::format("\x1b[{}F\x1b[J", block_lines_);
  text += pending_;
  pending_.clear();
  const std::string block = Block(now);
  text += block;
  block_lines_ = static_cast<std::size_t>(std::count(block.begin(), block.end(), '\n'));
  std::fputs(text.c_str(), out_);
  std::fflush(out_);
}

}  // namespace fanout
