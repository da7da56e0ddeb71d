// Recording the outcome of one `fanout exec` run (sandbox/exec.h): failure.json for a target
// that failed, timed out or was interrupted, result.json (last, atomically) for one that
// succeeded, and fanout's own lines in the target's log and on the console.
#include <fcntl.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <set>

#include <fmt/format.h>

#include "base/build_layout.h"
#include "base/exit_codes.h"
#include "base/log_tail.h"
#include "records/build_events.h"
#include "sandbox/exec.h"
#include "sandbox/fs_util.h"
#include "sandbox/weaken.h"

namespace fanout::sandbox {

namespace {

std::string ListSome(const std::vector<std::string>& items, size_t max) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < max; ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > max) out += fmt::format(" (and {} more)", items.size() - max);
  return out;
}

}  // namespace

double WallNow() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

void AppendLog(int fd, const std::string& text) {
  if (fd < 0) return;
  std::string line = text;
  if (line.empty() || line.back() != '\n') line.push_back('\n');
  if (write(fd, line.data(), line.size()) < 0) {
    // the log is best effort for fanout's own lines
  }
}

std::string DescribeExit(int exit_code, int signal) {
  if (signal != 0) {
    const char* name = sigabbrev_np(signal);
    return name ? fmt::format("killed by signal {} (SIG{})", signal, name)
                : fmt::format("killed by signal {}", signal);
  }
  return fmt::format("exited with status {}", exit_code);
}

int Exec::Fail(TargetStatus status, int exit_code, int signal, const std::string& message,
               int attempts) {
  records::FailureRecord f;
  f.target = target_;
  f.status = status;
  f.exit_code = exit_code;
  if (signal != 0) f.signal = signal;
  f.attempts = attempts;
  f.duration_seconds = WallNow() - started_wall_;
  f.started_at = started_wall_;
  f.finished_at = started_wall_ + f.duration_seconds;
  f.message = message;
  f.log_tail = ReadLogTail(log_path_, 40);
  f.sandbox = sandbox_;
  // A full build directory is why the command failed, most likely, and its log could not say
  // so (it is on the same file system).
  struct statvfs fs;
  if (!out_dir_.empty() && statvfs(out_dir_.c_str(), &fs) == 0 &&
      static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize < 64 * 1024) {
    f.message += fmt::format(
        "; the build directory's file system is full ({}: No space left on device): free "
        "space there; what the command left in $FANOUT_OUT is removed",
        build_dir_);
  }
  // What a failed or interrupted run left in $FANOUT_OUT is partial: never taken for
  // artifacts, and not left to fill the disk (the failure record needs the space first).
  if (!out_dir_.empty()) (void)EmptyDir(out_dir_);
  if (!build_dir_.empty()) {
    if (Status st = records::WriteFailure(build_dir_ + "/" + layout::FailurePath(target_), f);
        !st.ok()) {
      const std::string line = fmt::format(
          "fanout: error: cannot record how target '{}' ended: {}\n", target_, st.error().message);
      if (write(2, line.data(), line.size()) < 0) {
      }
    }
    records::AppendEvent(build_dir_, {target_, WallNow(), def_ ? def_->pool : "", status,
                                      f.duration_seconds, f.message});
  }
  std::string msg = fmt::format("fanout: target '{}' {} ({}); log: {}\n", target_,
                                status == TargetStatus::kInterrupted ? "was interrupted" : "failed",
                                f.message, log_path_);
  if (!f.log_tail.empty()) msg += f.log_tail + "\n";
  if (write(2, msg.data(), msg.size()) < 0) {
  }
  return kExitTargetFailed;
}

int Exec::SetupError(const Error& e) {
  Fail(TargetStatus::kFailed, 1, 0, e.message, 0);
  return e.exit_code == kExitSuccess ? kExitTargetFailed : e.exit_code;
}

void Exec::Interrupted(int sig, int attempts) {
  Fail(TargetStatus::kInterrupted, 128 + sig, sig,
       fmt::format("interrupted by SIG{}", sigabbrev_np(sig)), attempts);
  // Die from the same signal, so Ninja reports an interruption rather than a failure.
  signal(sig, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(SIG_UNBLOCK, &set, nullptr);
  kill(getpid(), sig);
  _exit(128 + sig);
}

void Exec::Warn(const std::string& warning, const std::string& marker, const std::string& hint) {
  AppendLog(log_.get(), warning);
  UniqueFd once(marker.empty() ? -1
                               : open((build_dir_ + "/.fanout/" + marker).c_str(),
                                      O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (once) {
    std::string line = warning + hint + "\n";
    if (write(2, line.data(), line.size()) < 0) {
    }
  }
}

int Exec::PendingInterrupt() {
  struct signalfd_siginfo si;
  while (read(signal_fd_, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
    int sig = static_cast<int>(si.ssi_signo);
    if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) return sig;
  }
  return 0;
}

void Exec::ReportUndeclaredWrites(const CollectOutcome& collected) {
  // Undeclared writes are allowed but reported: they are what a declared artifact forgot.
  if (!collected.removed.empty()) {
    AppendLog(log_.get(), fmt::format("fanout: warning: removed {} undeclared file(s) from "
                                      "$FANOUT_OUT: {}",
                                      collected.removed.size(), ListSome(collected.removed, 10)));
  }
  auto changes = ScanChanges(ws_, *base_, ws_mode_);
  if (changes.ok()) {
    std::set<std::string> declared(collected.paths.begin(), collected.paths.end());
    std::vector<std::string> undeclared;
    for (const std::string& p : changes->written) {
      if (!declared.count(p)) undeclared.push_back(p);
    }
    if (!undeclared.empty()) {
      AppendLog(log_.get(), fmt::format("fanout: warning: {} undeclared file(s) written in the "
                                        "workspace were not collected: {}",
                                        undeclared.size(), ListSome(undeclared, 10)));
    }
  }
}

Status Exec::WriteResult(const CollectOutcome& collected, int attempts,
                         const records::SourceRecord& source) {
  // The artifacts become the runner's again: no later command (a dependent's, running as the
  // same build uid) can change them.
  if (owner_.active && !Weakened("deps")) {
    const Owner runner{true, geteuid(), getegid()};
    FANOUT_TRY(runner.ApplyTree(out_dir_));
  }
  auto artifacts = HashArtifacts(out_dir_, collected.paths);
  if (!artifacts.ok()) return artifacts.error();
  auto image = ReadBuiltImage();
  if (!image.ok()) return image.error();
  records::SuccessRecord r;
  r.target = target_;
  r.status = attempts > 1 ? TargetStatus::kFlaky : TargetStatus::kSucceeded;
  r.exit_code = 0;
  r.attempts = attempts;
  r.started_at = started_wall_;
  r.finished_at = WallNow();
  r.duration_seconds = r.finished_at - r.started_at;
  r.source = source;
  r.input_digest = digest_;
  r.sandbox = *sandbox_;
  for (const Artifact& a : *artifacts) r.artifacts.push_back({a.path, a.size, a.sha256});
  r.log = layout::LogPath(target_);
  r.image = std::move(*image);
  r.action = action_;
  FANOUT_TRY(records::WriteSuccess(build_dir_ + "/" + layout::ResultPath(target_), r));
  StoreInCache(r);
  return {};
}

}  // namespace fanout::sandbox
