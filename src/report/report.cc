#include "report/report.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include <fmt/format.h>

#include "base/build_layout.h"
#include "base/file_util.h"
#include "base/sha256.h"
#include "base/sort_by_name.h"
#include "base/unique_fd.h"

namespace fanout {

int Report::Count(TargetStatus status) const {
  return static_cast<int>(std::count_if(targets.begin(), targets.end(),
                                        [&](const TargetReport& t) { return t.status == status; }));
}

std::string Report::SummaryLine() const {
  std::string line = fmt::format("{} target{}", targets.size(), targets.size() == 1 ? "" : "s");
  const char* sep = ": ";
  for (TargetStatus s : kAllStatuses) {
    if (int n = Count(s)) {
      std::string name(StatusName(s));
      std::replace(name.begin(), name.end(), '_', ' ');
      line += fmt::format("{}{} {}", sep, n, name);
      sep = ", ";
    }
  }
  if (post_submit) {
    std::string name(StatusName(post_submit->status));
    std::replace(name.begin(), name.end(), '_', ' ');
    line += "; post-submit " + (post_submit->status == TargetStatus::kSkipped ? "not run" : name);
  }
  return line;
}

int Report::ExitCode() const {
  if (interrupted) return kExitInterrupted;
  for (const TargetReport& t : targets) {
    if (IsProblem(t.status)) return kExitTargetFailed;
  }
  if (post_submit && IsProblem(post_submit->status)) return kExitTargetFailed;
  return kExitSuccess;
}

// ---- derivation -----------------------------------------------------------------------------

namespace {

/// "failed", "timed out", "was interrupted", "is blocked", "was not started": how a
/// dependency's status reads in a dependent's reason.
std::string DependencyVerb(const TargetReport& dep) {
  switch (dep.status) {
    case TargetStatus::kFailed:
      return "failed";
    case TargetStatus::kTimedOut:
      return "timed out";
    case TargetStatus::kInterrupted:
      return "was interrupted";
    case TargetStatus::kBlocked:
      return "was not started";
    default:
      return std::string(StatusName(dep.status));
  }
}

class Deriver {
 public:
  Deriver(const Plan& plan, const ReportInputs& in) : plan_(plan), in_(in) {
    interrupted_ = in.build && in.build->interrupted;
    if (in.build && !in.build->requested.empty()) {
      requested_ = true;
      for (const std::string& r : in.build->requested) Want(r);
    }
    for (const auto& [name, e] : in.evidence) {
      if (FailedThisBuild(name, e) && e.failure->status == TargetStatus::kInterrupted) {
        interrupted_ = true;
      }
    }
  }

  bool interrupted() const { return interrupted_; }
  bool partial() const { return requested_; }

  /// The report of the planned target `name` (memoized; the plan is acyclic).
  const TargetReport& Derive(const PlanTarget& t) {
    auto it = done_.find(t.def.name);
    if (it != done_.end()) return it->second;
    // Dependencies first: a dependent's record is read in their light.
    const TargetReport* problem_dep = nullptr;
    for (const std::string& d : t.def.deps) {
      const PlanTarget* dt = plan_.FindTarget(d);
      if (!dt) continue;  // not built here (skipped): nothing to wait for
      const TargetReport& dr = Derive(*dt);
      if (!problem_dep && IsProblem(dr.status)) problem_dep = &dr;
    }
    TargetReport r = FromEvidence(t, problem_dep);
    return done_.emplace(t.def.name, std::move(r)).first->second;
  }

 private:
  void Want(const std::string& name) {
    if (!wanted_.insert(name).second) return;
    if (const PlanTarget* t = plan_.FindTarget(name)) {
      for (const std::string& d : t->def.deps) Want(d);
    }
  }

  /// Whether `e` holds a failure of this build. One from within the clock slack of its start
  /// may be from the build just before; but a target this build did not ask Ninja for (not
  /// requested, nor a dependency of one) cannot have run, however recent its record.
  bool FailedThisBuild(const std::string& name, const TargetEvidence& e) const {
    return e.failure && !e.from_earlier_build && (!requested_ || wanted_.count(name));
  }

  TargetReport FromEvidence(const PlanTarget& t, const TargetReport* problem_dep) {
    TargetReport r;
    r.name = t.def.name;
    static const TargetEvidence kNone;
    auto ev = in_.evidence.find(r.name);
    const TargetEvidence& e = ev == in_.evidence.end() ? kNone : ev->second;

    if (FailedThisBuild(r.name, e)) {
      const records::FailureRecord& f = *e.failure;
      r.status = IsProblem(f.status) ? f.status : TargetStatus::kFailed;
      r.message = f.message;
      r.exit_code = f.exit_code;
      r.attempts = f.attempts;
      r.duration_seconds = f.duration_seconds;
      r.log = layout::LogPath(r.name);
      r.log_tail = f.log_tail;
      if (r.log_tail.empty()) r.log_tail = e.log_tail;
      return r;
    }
    // A success built on top of a dependency that did not succeed now predates that
    // dependency's last run: Ninja would rerun it, so it does not describe this build.
    if (e.result && !e.result_out_of_date && !problem_dep) {
      const records::SuccessRecord& res = *e.result;
      r.status = IsSuccess(res.status) && res.status != TargetStatus::kSkipped
                     ? res.status
                     : TargetStatus::kSucceeded;
      r.attempts = res.attempts;
      if (r.status == TargetStatus::kSucceeded && r.attempts > 1) r.status = TargetStatus::kFlaky;
      r.exit_code = res.exit_code;
      r.duration_seconds = res.duration_seconds;
      r.log = res.log.empty() ? layout::LogPath(r.name) : res.log;
      r.up_to_date = e.from_earlier_build;
      if (r.status == TargetStatus::kFlaky) {
        r.message = fmt::format("succeeded on attempt {}", r.attempts);
      }
      if (r.status == TargetStatus::kCached && res.cached) {
        r.message =
            fmt::format("restored from the {} action cache (the run that built it took {:.1f} s)",
                        res.cached->store, res.cached->original_duration_seconds);
      }
      if (r.up_to_date) r.message += r.message.empty() ? "up to date" : "; up to date";
      for (const records::ArtifactRecord& a : res.artifacts) {
        r.artifacts.push_back({a.path, a.size, a.sha256});
      }
      return r;
    }
    // No record of this build: the target never started. Say why.
    if (problem_dep) {
      r.status = TargetStatus::kBlocked;
      const auto root = root_.find(problem_dep->name);
      if (root != root_.end()) {
        r.message = fmt::format("dependency '{}' {} (via '{}')", root->second.first,
                                root->second.second, problem_dep->name);
        root_[r.name] = root->second;
      } else {
        r.message =
            fmt::format("dependency '{}' {}", problem_dep->name, DependencyVerb(*problem_dep));
        root_[r.name] = {problem_dep->name, DependencyVerb(*problem_dep)};
      }
      return r;
    }
    if (e.started_this_build && (!requested_ || wanted_.count(r.name))) {
      // It ran, but its outcome was lost: say so rather than "not started".
      r.log = layout::LogPath(r.name);
      r.log_tail = e.log_tail;
      // Never `failed`: nothing says its command did; what ran it ended before recording.
      r.status = TargetStatus::kInterrupted;
      r.message = interrupted_
                      ? "interrupted as it finished (its unfinished result was discarded)"
                      : "its runner ('fanout exec') ended before recording a result (killed?)";
      return r;
    }
    if (requested_ && !wanted_.count(r.name)) {
      r.status = TargetStatus::kSkipped;
      r.message = "not requested";
      return r;
    }
    if (interrupted_) {
      r.status = TargetStatus::kInterrupted;
      r.message = "not started: the build was interrupted";
      return r;
    }
    r.status = TargetStatus::kBlocked;
    if (in_.build && in_.build->fail_fast) {
      r.message = "not started: the build stopped after the first failure (--fail-fast)";
    } else if (in_.build && in_.build->keep_going > 0) {
      r.message = fmt::format("not started: the build stopped after {} failure{} (-k {})",
                              in_.build->keep_going, in_.build->keep_going == 1 ? "" : "s",
                              in_.build->keep_going);
    } else if (e.result && e.result_out_of_date) {
      r.message = "not started: its last result is out of date (its inputs changed)";
    } else if (in_.build && in_.build->ninja_exit_code > 0) {
      r.message = "not started: ninja stopped before it (see its output)";
    } else {
      r.message = "not started";
    }
    return r;
  }

  const Plan& plan_;
  const ReportInputs& in_;
  bool interrupted_ = false;
  bool requested_ = false;
  std::set<std::string> wanted_;
  std::map<std::string, TargetReport> done_;
  /// For blocked targets: the dependency that did not succeed at the root of the chain, and
  /// how it reads ("failed", "timed out", ...).
  std::map<std::string, std::pair<std::string, std::string>> root_;
};

TargetReport PostSubmitReport(const Plan& plan, const ReportInputs& in, const Deriver& d,
                              const std::vector<TargetReport>& targets) {
  TargetReport r;
  r.name = kPostSubmitName;
  if (in.post_submit) {
    const PostSubmitRecord& p = *in.post_submit;
    r.status = p.status;
    r.message = p.message;
    r.exit_code = p.exit_code.value_or(0);
    r.attempts = 1;
    r.duration_seconds = p.duration_seconds;
    r.log = p.log.empty() ? kPostSubmitLogPath : p.log;
    if (IsProblem(r.status)) r.log_tail = p.log_tail;
    // It ran for this very manifest in an earlier build; Ninja found it up to date.
    if (in.build && p.started_at < in.build->started_at) {
      r.up_to_date = true;
      if (r.message.empty()) r.message = "up to date";
    }
    return r;
  }
  int problems = static_cast<int>(std::count_if(
      targets.begin(), targets.end(), [](const TargetReport& t) { return IsProblem(t.status); }));
  if (d.interrupted()) {
    r.status = TargetStatus::kInterrupted;
    r.message = "not started: the build was interrupted";
  } else if (problems > 0) {
    r.status = TargetStatus::kBlocked;
    r.message =
        fmt::format("not run: {} target{} did not succeed{}", problems, problems == 1 ? "" : "s",
                    plan.post_submit.always ? " (when: always runs it from 'fanout build')" : "");
  } else if (d.partial()) {
    r.status = TargetStatus::kSkipped;
    r.message = "not run: only some targets were requested";
  } else {
    r.status = TargetStatus::kSkipped;
    r.message = "not run for this manifest ('fanout build' runs it, or 'ninja post_submit')";
  }
  return r;
}

}  // namespace

Report DeriveReport(const Plan& plan, const ReportInputs& inputs) {
  Report report;
  Deriver d(plan, inputs);
  for (const PlanTarget& t : plan.targets) report.targets.push_back(d.Derive(t));
  for (const std::string& name : plan.skipped) {
    TargetReport r;
    r.name = name;
    r.status = TargetStatus::kSkipped;
    r.message = "unaffected by the change";
    report.targets.push_back(std::move(r));
  }
  SortByName(report.targets);
  report.interrupted = d.interrupted();
  if (!plan.post_submit.command.empty()) {
    report.post_submit = PostSubmitReport(plan, inputs, d, report.targets);
  }
  if (inputs.build) {
    report.started_at = inputs.build->started_at;
    if (inputs.build->finished_at > inputs.build->started_at) {
      report.wall_seconds = inputs.build->finished_at - inputs.build->started_at;
    }
  }
  if (report.wall_seconds == 0) {
    double first = 0, last = 0;
    for (const auto& [name, e] : inputs.evidence) {
      if (!e.result) continue;
      double s = e.result->started_at;
      double f = e.result->finished_at;
      if (s > 0 && (first == 0 || s < first)) first = s;
      last = std::max(last, f);
    }
    if (last > first) report.wall_seconds = last - first;
    if (report.started_at == 0) report.started_at = first;
  }
  return report;
}

// ---- reading the build directory ------------------------------------------------------------

namespace {

/// The file's modification time in unix seconds, or nullopt when it does not exist.
std::optional<double> MTime(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return std::nullopt;
  return static_cast<double>(st.st_mtim.tv_sec) + static_cast<double>(st.st_mtim.tv_nsec) * 1e-9;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

/// Kernel file times lag the wall clock by up to a scheduler tick (10 ms at HZ=100, the
/// coarsest setting); a log written right after the build started must still count as this
/// build's.
constexpr double kClockSlack = 0.01;

/// The text of a target's record at `path`: nullopt when there is none; an error naming it
/// when it is there but cannot be read (a directory, no permission), which must not pass for
/// a target that left no record.
Expected<std::optional<std::string>> ReadRecordIfAny(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0 && errno == ENOENT) return std::optional<std::string>();
  auto text = ReadFile(path);
  if (!text.ok()) {
    return MakeError(text.error().message +
                     "; rebuild the target (delete the file and run 'fanout build' again)");
  }
  return std::optional<std::string>(std::move(*text));
}

}  // namespace

Expected<ReportInputs> ReadReportInputs(const std::string& build_dir, const Plan& plan) {
  ReportInputs in;
  const std::string record_path = build_dir + "/" + kBuildRecordPath;
  if (auto text = ReadFile(record_path); text.ok()) {
    auto record = records::ParseBuildRecord(*text, record_path);
    if (!record.ok()) return record.error();
    // The record describes the last run only if no Ninja run finished after it.
    auto record_time = MTime(record_path);
    auto log_time = MTime(build_dir + "/.ninja_log");
    if (record->finished_at > 0 && record_time && (!log_time || *log_time <= *record_time)) {
      in.build = std::move(*record);
    }
  }
  for (const PlanTarget& t : plan.targets) {
    const std::string& name = t.def.name;
    TargetEvidence e;
    const std::string result_path = build_dir + "/" + layout::ResultPath(name);
    const std::string failure_path = build_dir + "/" + layout::FailurePath(name);
    auto result_text = ReadRecordIfAny(result_path);
    if (!result_text.ok()) return result_text.error();
    if (*result_text) {
      auto record = records::ParseSuccess(**result_text, result_path);
      if (!record.ok()) return record.error();
      e.result = std::move(*record);
    }
    auto failure_text = ReadRecordIfAny(failure_path);
    if (!failure_text.ok()) return failure_text.error();
    if (*failure_text) {
      auto record = records::ParseFailure(**failure_text, failure_path);
      if (!record.ok()) return record.error();
      e.failure = std::move(*record);
    }
    if (!e.result && !e.failure) {
      const std::string log = build_dir + "/" + layout::LogPath(name);
      auto log_time = MTime(log);
      if (in.build && log_time && *log_time >= in.build->started_at - kClockSlack) {
        e.started_this_build = true;
        e.log_tail = ReadLogTail(log);
        in.evidence.emplace(name, std::move(e));
      }
      continue;
    }
    if (in.build) {
      // The runner's own start says which build ran it. A file time cannot: a build that ended
      // a moment before this one began wrote its records within any slack of this start.
      std::optional<double> ran_at = e.failure ? e.failure->started_at : e.result->started_at;
      if (ran_at && *ran_at > 0) {
        e.from_earlier_build = *ran_at < in.build->started_at;
      } else {  // a record of a fanout version before `fanout trace`: its file time
        auto when = MTime(e.failure ? failure_path : result_path);
        e.from_earlier_build = when && *when < in.build->started_at - kClockSlack;
      }
    }
    if (e.result) {
      const std::string& recorded = e.result->input_digest;
      auto stamp = ReadFile(build_dir + "/" + layout::StampPath(name));
      if (!recorded.empty() && stamp.ok() && !Trim(*stamp).empty()) {
        e.result_out_of_date = Trim(*stamp) != recorded;
      }
    }
    if (e.failure && e.failure->log_tail.empty()) {
      e.log_tail = ReadLogTail(build_dir + "/" + layout::LogPath(name));
    }
    in.evidence.emplace(name, std::move(e));
  }
  if (!plan.post_submit.command.empty()) {
    const std::string post_path = build_dir + "/" + kPostSubmitRecordPath;
    if (auto text = ReadFile(post_path); text.ok()) {
      auto record = records::ParsePostSubmitRecord(*text, post_path);
      if (!record.ok()) return record.error();
      auto manifest = Sha256File(build_dir + "/" + layout::kManifest);
      if (manifest.ok() && record->manifest_sha256 == *manifest)
        in.post_submit = std::move(*record);
    }
  }
  return in;
}

Expected<Report> LoadReport(const std::string& build_dir) {
  auto plan = ReadPlan(build_dir);
  if (!plan.ok()) return plan.error();
  auto inputs = ReadReportInputs(build_dir, *plan);
  if (!inputs.ok()) return inputs.error();
  return DeriveReport(*plan, *inputs);
}

}  // namespace fanout
