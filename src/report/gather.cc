#include "report/gather.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>

#include <fmt/format.h>
#include <boost/filesystem.hpp>

#include "base/build_layout.h"
#include "base/exit_codes.h"
#include "base/file_util.h"
#include "base/sha256.h"
#include "base/unique_fd.h"
#include "git/source_state.h"
#include "image/tags.h"
#include "report/files.h"
#include "report/report.h"

namespace fanout {

namespace fs = boost::filesystem;

Expected<records::SuccessRecord> ReadResult(const std::string& build_dir,
                                            const std::string& target) {
  auto r = records::ReadSuccess(build_dir + "/" + layout::ResultPath(target));
  if (!r.ok()) return MakeError(r.error().message, kExitTargetFailed);
  return r;
}

namespace {

/// Places `src` at `dst`: a hard link when possible (same file system), else a copy.
Status LinkOrCopy(const std::string& src, const std::string& dst) {
  boost::system::error_code ec;
  fs::create_directories(fs::path(dst).parent_path(), ec);
  fs::remove(dst, ec);
  if (link(src.c_str(), dst.c_str()) == 0) return {};
  fs::copy_file(src, dst, fs::copy_options::overwrite_existing, ec);
  if (ec) return MakeError(fmt::format("cannot copy '{}' to '{}': {}", src, dst, ec.message()));
  return {};
}

/// What is wrong with `path` (from a result.json) as a file inside a target's out directory;
/// "" when nothing. A record that names "../x" must not make gather read or replace files
/// outside the build directory.
std::string OutPathProblem(const std::string& path) {
  if (path.empty()) return "is empty";
  if (path.find('\0') != std::string::npos) return "holds a NUL byte";
  if (path[0] == '/') return "is an absolute path";
  for (std::size_t start = 0; start <= path.size();) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const std::string part = path.substr(start, end - start);
    if (part.empty()) return "has an empty component";
    if (part == "." || part == "..") return "has a '" + part + "' component";
    start = end + 1;
  }
  return "";
}

/// Checks every path `r` (read from `record_path`) names inside its out directory.
Status CheckOutPaths(const records::SuccessRecord& r, const std::string& record_path) {
  auto bad = [&](const std::string& field, const std::string& path, const std::string& problem) {
    return MakeError(fmt::format("{}: the field '{}' ('{}') {}, so it names no file of the "
                                 "target's out directory; rebuild the target (delete the file "
                                 "and run 'fanout build' again)",
                                 record_path, field, path, problem),
                     kExitTargetFailed);
  };
  for (std::size_t i = 0; i < r.artifacts.size(); ++i) {
    const std::string problem = OutPathProblem(r.artifacts[i].path);
    if (!problem.empty()) {
      return bad(fmt::format("artifacts[{}].path", i), r.artifacts[i].path, problem);
    }
  }
  if (r.image) {
    const std::string problem = OutPathProblem(r.image->layout);
    if (!problem.empty()) return bad("image.layout", r.image->layout, problem);
  }
  return {};
}

}  // namespace

Expected<records::Manifest> GatherManifest(const std::string& build_dir, const Plan& plan) {
  records::Manifest manifest;
  auto source = ReadSourceState(build_dir);
  if (source.ok()) {
    manifest.source = {source->source, source->commit,        source->tree,
                       source->dirty,  source->changed_paths, source->changed_paths_omitted};
  } else {
    manifest.source = {plan.source,  std::nullopt, std::nullopt,
                       std::nullopt, std::nullopt, std::nullopt};
  }
  // Statuses come from the report's derivation, so the manifest and the report agree on what
  // failed, what was blocked and what never started.
  auto inputs = ReadReportInputs(build_dir, plan);
  if (!inputs.ok()) return inputs.error();
  const Report report = DeriveReport(plan, *inputs);
  std::map<std::string, const TargetReport*> by_name;
  for (const TargetReport& t : report.targets) by_name[t.name] = &t;

  const std::string artifacts_root = build_dir + "/" + layout::kArtifactsDir;
  boost::system::error_code ec;
  fs::remove_all(artifacts_root, ec);  // a fresh tree: nothing stale reaches post-submit

  // What the previous manifest recorded, to tell a rebuilt target from one up to date.
  std::map<std::string, double> previous_finish;
  if (auto text = ReadFile(build_dir + "/" + layout::kManifest); text.ok()) {
    if (auto previous = records::ParseManifest(*text, layout::kManifest); previous.ok()) {
      for (const records::ManifestTarget& p : previous->targets) {
        if (p.finished_at) previous_finish[p.name] = *p.finished_at;
      }
    }
  }

  double first_start = 0, last_end = 0, busy = 0;
  bool all_ok = true;
  for (const PlanTarget& t : plan.targets) {
    const std::string& name = t.def.name;
    const TargetReport& tr = *by_name.at(name);
    records::ManifestTarget entry;
    entry.name = name;
    entry.tier = t.tier;
    entry.status = tr.status;
    auto result = ReadResult(build_dir, name);
    if (IsProblem(tr.status) || !result.ok()) {
      // A target this build was not asked for (a shard's neighbour) is no failure.
      if (tr.status != TargetStatus::kSkipped) all_ok = false;
      entry.message = tr.message;
      entry.exit_code = tr.exit_code;
      entry.attempts = tr.attempts;
      entry.duration_seconds = tr.duration_seconds;
      if (!tr.log.empty()) entry.log = tr.log;
      manifest.targets.push_back(std::move(entry));
      continue;
    }
    const records::SuccessRecord& r = *result;
    FANOUT_TRY(CheckOutPaths(r, build_dir + "/" + layout::ResultPath(name)));
    entry.exit_code = r.exit_code;
    entry.attempts = r.attempts;
    entry.duration_seconds = r.duration_seconds;
    entry.started_at = r.started_at;
    entry.finished_at = r.finished_at;
    entry.source = r.source;
    entry.input_digest = r.input_digest;
    entry.sandbox = r.sandbox;
    entry.log = layout::LogPath(name);
    if (r.cached && r.cached->store == "import") entry.imported_from = r.cached->where;
    const auto before = previous_finish.find(name);
    entry.change = before != previous_finish.end() && before->second == r.finished_at ? "up_to_date"
                                                                                      : "rebuilt";
    if (r.started_at > 0 && (first_start == 0 || r.started_at < first_start)) {
      first_start = r.started_at;
    }
    last_end = std::max(last_end, r.finished_at);
    busy += r.duration_seconds;

    std::vector<records::ManifestArtifact> artifacts;
    for (const records::ArtifactRecord& a : r.artifacts) {
      const std::string src = build_dir + "/" + layout::OutDir(name) + "/" + a.path;
      auto sha = Sha256File(src);
      if (!sha.ok()) return sha.error();
      if (*sha != a.sha256) {
        return MakeError(fmt::format("artifact '{}' of target '{}' changed after it was built "
                                     "(sha256 {} != {}); rebuild it",
                                     a.path, name, *sha, a.sha256),
                         kExitTargetFailed);
      }
      const std::string gathered = std::string(layout::kArtifactsDir) + "/" + name + "/" + a.path;
      FANOUT_TRY(LinkOrCopy(src, build_dir + "/" + gathered));
      artifacts.push_back({a.path, fs::file_size(src, ec), *sha, gathered});
    }
    entry.artifacts = std::move(artifacts);
    if (r.image) {
      const records::ImageRecord& image = *r.image;
      // The tags follow what this image was built from (an up-to-date image keeps those of
      // the build that made it), not what this build's source is.
      image::ResolvedTags tags;
      if (t.def.image) {
        tags = image::ResolveTags(t.def.image->tags, name, r.source.commit,
                                  r.source.dirty.value_or(false), image.manifest_digest);
      }
      entry.image = records::ManifestImage{
          image.manifest_digest,
          image.config_digest,
          image.size,
          std::string(layout::kArtifactsDir) + "/" + name + "/" + image.layout,
          std::move(tags.tags),
          std::nullopt,  // fanout publish fills it in
          tags.dropped.empty() ? std::nullopt
                               : std::optional<std::vector<std::string>>(std::move(tags.dropped))};
    }
    manifest.targets.push_back(std::move(entry));
  }
  manifest.skipped = plan.skipped;
  manifest.status = report.interrupted ? TargetStatus::kInterrupted
                    : all_ok           ? TargetStatus::kSucceeded
                                       : TargetStatus::kFailed;
  manifest.timings = {last_end > first_start ? last_end - first_start : 0.0, busy};
  return manifest;
}

Status RunGather(const std::string& build_dir) {
  auto plan = ReadPlan(build_dir);
  if (!plan.ok()) return plan.error();
  auto manifest = GatherManifest(build_dir, *plan);
  if (!manifest.ok()) return manifest.error();
  FANOUT_TRY(records::WriteManifest(build_dir + "/" + layout::kManifest, *manifest));
  // The summary files follow the manifest; failing to write them does not fail the gather.
  if (auto report = LoadReport(build_dir); report.ok()) {
    (void)WriteReportFiles(build_dir, *report, /*step_summary=*/false);
  }
  return {};
}

// ---- the post-submit step ------------------------------------------------------------------

namespace {

std::atomic<int> g_post_submit_signal{0};
void OnPostSubmitSignal(int sig) { g_post_submit_signal = sig; }

double UnixNow() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

/// While alive: SIGINT, SIGTERM and SIGHUP are noted (the step is waited for and recorded as
/// interrupted, not abandoned), and SIGPIPE is ignored (a closed stdout must not lose the log).
class ScopedSignals {
 public:
  ScopedSignals() {
    g_post_submit_signal = 0;
    struct sigaction sa {};
    sa.sa_handler = OnPostSubmitSignal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < 3; ++i) sigaction(kCaught[i], &sa, &old_[i]);
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &old_pipe_);
  }
  ~ScopedSignals() {
    for (size_t i = 0; i < 3; ++i) sigaction(kCaught[i], &old_[i], nullptr);
    sigaction(SIGPIPE, &old_pipe_, nullptr);
  }
  ScopedSignals(const ScopedSignals&) = delete;
  ScopedSignals& operator=(const ScopedSignals&) = delete;

 private:
  static constexpr int kCaught[3] = {SIGINT, SIGTERM, SIGHUP};
  struct sigaction old_[3]{};
  struct sigaction old_pipe_ {};
};

/// Best effort: the log or the terminal may have gone away.
void WriteAll(int fd, const char* data, size_t n) { WriteAllToFd(fd, std::string_view(data, n)); }

std::string Describe(int status) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = sigabbrev_np(sig);
    return name ? fmt::format("killed by signal {} (SIG{})", sig, name)
                : fmt::format("killed by signal {}", sig);
  }
  return fmt::format("exited with status {}", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

}  // namespace

/// The SHA-256 of what a post-submit step publishes: each successful target's artifact
/// digests and image digest, in the manifest's (sorted) order. Timings, logs and attempts do
/// not count: a rebuild that made the same bytes changes nothing here.
std::string ArtifactsDigest(const records::Manifest& manifest) {
  std::string text;
  for (const records::ManifestTarget& t : manifest.targets) {
    if (!t.Succeeded()) continue;
    text += "target " + t.name + "\n";
    if (t.artifacts) {
      for (const records::ManifestArtifact& a : *t.artifacts) {
        text += a.sha256 + " " + a.path + "\n";
      }
    }
    if (t.image) text += "image " + t.image->manifest_digest + "\n";
  }
  return Sha256Hex(text);
}

Expected<int> RunPostSubmit(const std::string& build_dir_arg) {
  boost::system::error_code ec;
  fs::path resolved = fs::canonical(build_dir_arg, ec);  // "." from the Ninja edge
  const std::string build_dir =
      ec ? fs::absolute(build_dir_arg).lexically_normal().string() : resolved.string();
  auto plan = ReadPlan(build_dir);
  if (!plan.ok()) return plan.error();
  const std::string stamp = build_dir + "/" + layout::kPostSubmitStamp;
  const std::string& command = plan->post_submit.command;
  if (command.empty()) {
    FANOUT_TRY(WriteFileAtomically(stamp, ""));
    return kExitSuccess;
  }
  const std::string manifest_path = build_dir + "/" + layout::kManifest;
  auto manifest_text = ReadFile(manifest_path);
  if (!manifest_text.ok()) {
    return MakeError(manifest_text.error().message + "; the gather step writes it ('fanout build')",
                     kExitTargetFailed);
  }
  auto manifest = records::ParseManifest(*manifest_text, manifest_path);
  if (!manifest.ok() && !plan->post_submit.always) {
    return MakeError(fmt::format("not running the post-submit step: {}; 'when: always' in "
                                 "post_submit runs it anyway",
                                 manifest.error().message),
                     kExitTargetFailed);
  }
  if (manifest.ok() && manifest->status != TargetStatus::kSucceeded && !plan->post_submit.always) {
    return MakeError(fmt::format("not running the post-submit step: {} says the build {}; "
                                 "'when: always' in post_submit runs it anyway",
                                 manifest_path, StatusName(manifest->status)),
                     kExitTargetFailed);
  }

  std::optional<std::string> artifacts_sha;
  std::string rebuilt;
  if (manifest.ok()) {
    artifacts_sha = ArtifactsDigest(*manifest);
    for (const records::ManifestTarget& t : manifest->targets) {
      if (t.change && *t.change == "rebuilt") rebuilt += (rebuilt.empty() ? "" : " ") + t.name;
    }
    // The step already succeeded for these very artifacts: running it again would publish
    // the same bytes. The record is carried over to this manifest.
    const std::string record_path = build_dir + "/" + kPostSubmitRecordPath;
    if (auto earlier = ReadFile(record_path); earlier.ok()) {
      auto record = records::ParsePostSubmitRecord(*earlier, record_path);
      if (record.ok() && record->status == TargetStatus::kSucceeded && record->command == command &&
          record->artifacts_sha256 == artifacts_sha) {
        fmt::print(
            "fanout: post-submit: the artifacts are those it already published; not "
            "running it again\n");
        record->manifest_sha256 = Sha256Hex(*manifest_text);
        FANOUT_TRY(records::WritePostSubmitRecord(build_dir, *record));
        FANOUT_TRY(WriteFileAtomically(stamp, ""));
        return kExitSuccess;
      }
    }
  }

  const std::string log_path = build_dir + "/" + kPostSubmitLogPath;
  UniqueFd log(open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!log) {
    return MakeError(fmt::format("cannot write '{}': {}", log_path, std::strerror(errno)),
                     kExitTargetFailed);
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return MakeError(fmt::format("cannot create a pipe: {}", std::strerror(errno)),
                     kExitTargetFailed);
  }
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  const std::string artifacts = build_dir + "/" + layout::kArtifactsDir;

  ScopedSignals signals;
  const double started = UnixNow();
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) {
    return MakeError(fmt::format("cannot fork: {}", std::strerror(errno)), kExitTargetFailed);
  }
  if (pid == 0) {
    signal(SIGPIPE, SIG_DFL);  // an ignored signal would stay ignored across exec
    dup2(write_end.get(), STDOUT_FILENO);
    dup2(write_end.get(), STDERR_FILENO);
    if (chdir(plan->repo_root.c_str()) != 0) {
      std::string msg =
          fmt::format("fanout: cannot enter '{}': {}\n", plan->repo_root, std::strerror(errno));
      WriteAll(STDERR_FILENO, msg.data(), msg.size());
      _exit(127);
    }
    setenv("FANOUT_ARTIFACTS", artifacts.c_str(), 1);
    setenv("FANOUT_MANIFEST", manifest_path.c_str(), 1);
    setenv("FANOUT_BUILD_DIR", build_dir.c_str(), 1);  // for `fanout publish -B`
    setenv("FANOUT_REBUILT", rebuilt.c_str(), 1);
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  write_end.reset();

  // Tee the output to the terminal (the console pool shows it live) and to the log. Stop at
  // end of output, or once the command has exited and the pipe is drained: a background
  // process it left behind may hold the pipe open.
  int status = 0;
  bool exited = false, forwarded = false;
  char buf[65536];
  for (;;) {
    if (g_post_submit_signal && !forwarded) {
      kill(pid, g_post_submit_signal);  // a signal aimed at us alone (CI cancelling)
      forwarded = true;
    }
    pollfd p{read_end.get(), POLLIN, 0};
    int ready = poll(&p, 1, exited ? 0 : 200);
    if (ready > 0) {
      ssize_t n = read(read_end.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      WriteAll(STDOUT_FILENO, buf, static_cast<size_t>(n));
      WriteAll(log.get(), buf, static_cast<size_t>(n));
      continue;
    }
    if (ready < 0 && errno != EINTR) break;
    if (exited) break;
    if (waitpid(pid, &status, WNOHANG) == pid) exited = true;
  }
  if (!exited) {
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  const double finished = UnixNow();

  const int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  const bool interrupted =
      !ok && (g_post_submit_signal != 0 || sig == SIGINT || sig == SIGTERM || sig == SIGHUP);
  const TargetStatus outcome = ok            ? TargetStatus::kSucceeded
                               : interrupted ? TargetStatus::kInterrupted
                                             : TargetStatus::kFailed;
  records::PostSubmitRecord record;
  record.status = outcome;
  record.command = command;
  record.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + sig;
  if (sig) record.signal = sig;
  record.started_at = started;
  record.finished_at = finished;
  record.duration_seconds = finished - started;
  record.message = ok ? "" : Describe(status);
  record.log = kPostSubmitLogPath;
  record.log_tail = ok ? "" : ReadLogTail(log_path);
  // The manifest as the step left it: `fanout publish` adds what it pushed, and the report
  // must still see this record as the one for the manifest on disk.
  auto after = ReadFile(manifest_path);
  record.manifest_sha256 = Sha256Hex(after.ok() ? *after : *manifest_text);
  record.artifacts_sha256 = artifacts_sha;
  FANOUT_TRY(records::WritePostSubmitRecord(build_dir, record));
  if (ok) {
    FANOUT_TRY(WriteFileAtomically(stamp, ""));
    return kExitSuccess;
  }
  fmt::print(stderr, "fanout: post-submit {} ({}); log: {}\n",
             interrupted ? "was interrupted" : "failed", Describe(status), log_path);
  return interrupted ? kExitInterrupted : kExitTargetFailed;
}

namespace {

/// How a CI system marks a pull (merge) request build.
struct PullRequestVariable {
  const char* name;
  /// The value that marks one; nullptr: any value but "" and `unless`.
  const char* equals;
  const char* unless;
};

constexpr PullRequestVariable kPullRequestVariables[] = {
    {"GITHUB_EVENT_NAME", "pull_request", nullptr},  // GitHub Actions, Gitea, Forgejo
    {"GITHUB_EVENT_NAME", "pull_request_target", nullptr},
    {"CI_MERGE_REQUEST_IID", nullptr, nullptr},      // GitLab CI
    {"BUILDKITE_PULL_REQUEST", nullptr, "false"},    // Buildkite
    {"BUILD_REASON", "PullRequest", nullptr},        // Azure Pipelines
    {"BITBUCKET_PR_ID", nullptr, nullptr},           // Bitbucket Pipelines
    {"CHANGE_ID", nullptr, nullptr},                 // Jenkins (multibranch)
    {"CIRCLE_PULL_REQUEST", nullptr, nullptr},       // CircleCI
    {"TRAVIS_PULL_REQUEST", nullptr, "false"},       // Travis CI
    {"CI_PIPELINE_EVENT", "pull_request", nullptr},  // Woodpecker
    {"DRONE_BUILD_EVENT", "pull_request", nullptr},  // Drone
};

}  // namespace

std::optional<std::string> PullRequestEvidence(const EnvLookup& getenv) {
  for (const PullRequestVariable& v : kPullRequestVariables) {
    const char* value = getenv(v.name);
    if (!value || !*value) continue;
    const bool marks = v.equals ? std::strcmp(value, v.equals) == 0
                                : !v.unless || std::strcmp(value, v.unless) != 0;
    if (marks) return fmt::format("{}={}", v.name, value);
  }
  return std::nullopt;
}

Status RecordPostSubmitSkipped(const std::string& build_dir, const Plan& plan,
                               const std::string& reason) {
  auto manifest = ReadFile(build_dir + "/" + layout::kManifest);
  if (!manifest.ok()) return {};
  const std::string sha = Sha256Hex(*manifest);
  const std::string record_path = build_dir + "/" + kPostSubmitRecordPath;
  if (auto earlier = ReadFile(record_path); earlier.ok()) {
    // A success for this very manifest stands; anything else unreadable is replaced.
    auto record = records::ParsePostSubmitRecord(*earlier, record_path);
    if (record.ok() && record->status == TargetStatus::kSucceeded &&
        record->manifest_sha256 == sha) {
      return {};
    }
  }
  const double now = UnixNow();
  records::PostSubmitRecord record;
  record.status = TargetStatus::kSkipped;
  record.command = plan.post_submit.command;
  record.started_at = now;
  record.finished_at = now;
  record.message = "not run: " + reason;
  record.manifest_sha256 = sha;
  return records::WritePostSubmitRecord(build_dir, record);
}

}  // namespace fanout
