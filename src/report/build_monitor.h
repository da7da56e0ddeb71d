// What `fanout build` says while Ninja runs the targets (docs/cli.md, "Progress"): a line when
// a target starts and one when it ends (with its duration and status), a heartbeat naming what
// still runs (for CI logs, where nothing else would be printed for a long target), and in a
// terminal a block of every running target redrawn in place. It follows the events `fanout
// exec` appends to BUILD/.fanout/events.jsonl (records/build_events.h) on a thread of its own;
// nothing in the build waits for it.
#pragma once

#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "records/build_events.h"

namespace fanout {

struct MonitorOptions {
  std::size_t total = 0;       ///< targets the build runs, for "[k/total]"
  bool live = false;           ///< redraw a block of running targets in place (a terminal)
  bool github_groups = false;  ///< a finished target's log in a `::group::` (GitHub Actions)
  double heartbeat_seconds = 30;
};

class BuildMonitor {
 public:
  /// Follows BUILD/.fanout/events.jsonl from its current end on.
  BuildMonitor(std::string build_dir, MonitorOptions options, std::FILE* out);
  ~BuildMonitor();
  BuildMonitor(const BuildMonitor&) = delete;
  BuildMonitor& operator=(const BuildMonitor&) = delete;

  void Start(int interval_ms = 200);
  /// Stops the thread after a last pass, and erases the live block.
  void Stop();
  /// One pass: reads new events and prints what they say; `now` is unix seconds.
  void Poll(double now);

 private:
  struct Running {
    double started = 0;
    std::string pool;
  };
  void Started(const records::BuildEvent& e);
  void Ended(const records::BuildEvent& e);
  void Heartbeat(double now);
  std::string Block(double now) const;
  /// Writes what is pending (and in a terminal, the block again).
  void Flush(double now);

  std::string build_dir_;
  MonitorOptions options_;
  std::FILE* out_;
  std::size_t offset_ = 0;
  std::size_t finished_ = 0;
  std::map<std::string, Running> running_;
  double last_heartbeat_ = 0;
  std::string pending_;          ///< lines to print on the next flush
  std::size_t block_lines_ = 0;  ///< lines of the live block now on screen
  std::mutex mutex_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

/// "1.2s", "3m05s", "1h02m": a duration as a person reads it.
std::string FormatDuration(double seconds);

}  // namespace fanout
