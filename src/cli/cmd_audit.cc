// `fanout audit TARGET`: runs the target's command once more in its sandbox with file-access
// tracing (strace, outside the sandbox: nothing in it changes) and compares what the command
// read with its declared inputs (docs/cli.md). The work of reading the trace is in
// sandbox/access_trace.h.
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "base/exit_codes.h"
#include "base/file_util.h"
#include "base/json_writer.h"
#include "base/subprocess.h"
#include "base/user_state.h"
#include "cli/build_dir.h"
#include "cli/cli.h"
#include "cli/locate_description.h"
#include "description/loader.h"
#include "git/git.h"
#include "git/index_files.h"
#include "sandbox/access_trace.h"
#include "sandbox/workspace.h"

extern char** environ;

namespace fanout {
namespace {

struct AuditOptions {
  CommonOptions common;
  std::string target;
  std::string format = "text";
};

// One declared input, as `fanout list --inputs` prints it.
struct DeclaredInput {
  std::string pattern;
  std::string rule;
};

// The syscalls the trace needs (sandbox/access_trace.h): paths, and how processes are made.
constexpr const char* kTraced =
    "trace=open,openat,openat2,creat,execve,execveat,stat,lstat,newfstatat,statx,access,"
    "faccessat,faccessat2,readlink,readlinkat,chdir,clone,clone3,fork,vfork";

// A directory removed with everything in it.
struct ScratchDir {
  std::string path;
  ~ScratchDir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
};

std::vector<std::string> SelfArgs(const std::string& self, const AuditOptions& o,
                                  const std::string& command) {
  std::vector<std::string> args = {self, command, "-f", o.common.file};
  if (!o.common.repo.empty()) {
    args.push_back("--repo");
    args.push_back(o.common.repo);
  }
  return args;
}

std::vector<std::string> EnvironmentWith(const std::string& entry) {
  std::vector<std::string> env;
  const std::string name = entry.substr(0, entry.find('=') + 1);
  for (char** e = environ; *e; ++e) {
    if (std::string_view(*e).rfind(name, 0) != 0) env.emplace_back(*e);
  }
  env.push_back(entry);
  return env;
}

int Fail(const std::string& message, int code) {
  fmt::print(stderr, "fanout audit: error: {}\n", message);
  return code;
}

int RunAudit(const AuditOptions& o) {
  if (!ProgramIdentity("strace")) {
    return Fail(
        "strace is not installed: it traces what the command reads (Debian: apt "
        "install strace)",
        kExitUsage);
  }
  std::error_code ec;
  const std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  if (ec) return Fail("cannot find fanout's own binary: " + ec.message(), kExitUsage);
  // The declared inputs, and whether the target exists (list says so, with its exit code).
  std::vector<std::string> list_args = SelfArgs(self, o, "list");
  list_args.insert(list_args.end(), {"--inputs", o.target});
  Expected<ProcessResult> listed = RunProcess(list_args);
  if (!listed.ok()) return Fail(listed.error().message, kExitUsage);
  if (!listed->ok()) {
    std::string said = listed->stderr_text;
    for (std::size_t at = said.find("fanout list:"); at != std::string::npos;
         at = said.find("fanout list:", at)) {
      said.replace(at, 12, "fanout audit:");
    }
    fmt::print(stderr, "{}", said);
    return listed->exit_code;
  }
  std::map<std::string, DeclaredInput> declared;
  for (std::string_view text = listed->stdout_text; !text.empty();) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    const std::size_t t1 = line.find('\t');
    if (t1 == std::string_view::npos) continue;
    const std::size_t t2 = line.find('\t', t1 + 1);
    DeclaredInput in{
        std::string(line.substr(t1 + 1, t2 == std::string_view::npos ? t2 : t2 - t1 - 1)),
        t2 == std::string_view::npos ? "" : std::string(line.substr(t2 + 1))};
    declared.emplace(std::string(line.substr(0, t1)), std::move(in));
  }
  // The repository's files: a path the command looked for is worth reporting when it is one.
  auto repo = OpenDescriptionRepo(o.common);
  if (!repo.ok()) return Fail(repo.error().message, repo.error().exit_code);
  if (repo->is_bare()) {
    return Fail("the repository is bare: audit a target from a work tree", kExitUsage);
  }
  auto files = IndexFiles(*repo);
  if (!files.ok()) return Fail(files.error().message, files.error().exit_code);
  std::set<std::string> repo_files;
  for (const TreeFile& f : *files) repo_files.insert(f.path);
  LoadResult loaded = LoadDescriptionFile(o.common.file);
  if (!loaded.description) {
    fmt::print(stderr, "{}", loaded.FormatErrors());
    return kExitUsage;
  }
  const std::string build_dir =
      ChooseBuildDir(o.common.build_dir, loaded.description->build_dir, repo->workdir());

  // Its dependencies and the build directory, as a build makes them; the target itself too
  // (a failure is what an audit may explain, so it does not stop here).
  std::vector<std::string> build_args = SelfArgs(self, o, "build");
  build_args.insert(build_args.end(), {"-B", build_dir, o.target});
  Expected<ProcessResult> built = RunProcess(build_args);
  if (!built.ok()) return Fail(built.error().message, kExitUsage);

  char tmpl[] = "/tmp/fanout-audit-XXXXXX";
  if (!mkdtemp(tmpl))
    return Fail(fmt::format("cannot make a directory in /tmp: {}", strerror(errno)), kExitIo);
  ScratchDir scratch{tmpl};
  ProcessOptions traced_env;
  // The command runs, not a result restored from the action cache.
  traced_env.env = EnvironmentWith("FANOUT_CACHE=off");
  Expected<ProcessResult> traced =
      RunProcess({"strace", "--pidns-translation", "-ff", "-qq", "-s", "4096", "-e", kTraced, "-o",
                  scratch.path + "/t", "--", self, "exec", "-B", build_dir, o.target},
                 traced_env);
  if (!traced.ok()) return Fail(traced.error().message, kExitUsage);

  std::map<int, std::string> trace_files;
  if (DIR* d = opendir(scratch.path.c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name.rfind("t.", 0) != 0) continue;
      auto text = ReadFile(scratch.path + "/" + name);
      if (text.ok()) trace_files[std::atoi(name.c_str() + 2)] = std::move(*text);
    }
    closedir(d);
  }
  const std::string workspace =
      sandbox::WorkspacePaths::For(
          std::filesystem::absolute(build_dir, ec).lexically_normal().string(), o.target)
          .src;
  Expected<sandbox::AccessTrace> trace = sandbox::ReadAccessTrace(trace_files, self, workspace);
  if (!trace.ok()) {
    return Fail(fmt::format("'{}' could not be traced: {}; strace said: {}", o.target,
                            trace.error().message, traced->stderr_text),
                kExitTargetFailed);
  }
  std::vector<std::string> unread, missing;
  for (const auto& [path, in] : declared) {
    if (!trace->read.count(path)) unread.push_back(path);
  }
  for (const std::string& path : trace->missing) {
    if (repo_files.count(path) && !declared.count(path)) missing.push_back(path);
  }
  const int command_status = traced->exit_code;
  const int rc = !missing.empty() || command_status != 0 ? kExitTargetFailed : kExitSuccess;

  if (o.format == "json") {
    std::string out;
    JsonWriter w(&out, 2);
    w.BeginObject();
    w.Key("target");
    w.String(o.target);
    w.Key("exit_code");
    w.Int(command_status);
    w.Key("inputs");
    w.Int(static_cast<std::int64_t>(declared.size()));
    std::vector<std::string> read;
    for (const auto& [path, in] : declared) {
      if (trace->read.count(path)) read.push_back(path);
    }
    w.Key("read");
    w.StringArray(read);
    w.Key("unread");
    w.BeginArray();
    for (const std::string& path : unread) {
      const DeclaredInput& in = declared.at(path);
      w.BeginObject();
      w.Key("path");
      w.String(path);
      w.Key("pattern");
      w.String(in.pattern);
      if (!in.rule.empty()) {
        w.Key("rule");
        w.String(in.rule);
      }
      w.EndObject();
    }
    w.EndArray();
    w.Key("missing");
    w.StringArray(missing);
    w.EndObject();
    fmt::print("{}\n", out);
    return rc;
  }
  fmt::print("fanout audit: '{}' ran traced ({} processes, exit {}); it read {} of its {} inputs\n",
             o.target, trace->processes, command_status, declared.size() - unread.size(),
             declared.size());
  if (!unread.empty()) {
    fmt::print("declared, never read ({}): each one rebuilds the target when it changes\n",
               unread.size());
    for (const std::string& path : unread) {
      const DeclaredInput& in = declared.at(path);
      fmt::print("    {}\t{}{}\n", path, in.pattern, in.rule.empty() ? "" : "\t" + in.rule);
    }
  }
  if (!missing.empty()) {
    fmt::print(
        "looked for, not an input ({}): files of the repository the command tried to read "
        "that its workspace does not hold; add them to its inputs\n",
        missing.size());
    for (const std::string& path : missing) fmt::print("    {}\n", path);
  }
  if (unread.empty() && missing.empty()) fmt::print("every input was read; nothing was missing\n");
  return rc;
}

}  // namespace

CommandFn SetupAudit(CLI::App* app) {
  auto o = std::make_shared<AuditOptions>();
  AddDescriptionOptions(app, &o->common);
  app->add_option("-B,--build-dir", o->common.build_dir, kBuildDirHelp)->option_text("DIR");
  app->add_option("target", o->target, "the target whose command to trace")->required();
  app->add_option("--format", o->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  return [o] {
    if (int rc = CheckRepoOption("audit", o->common.repo, o->common.build_dir); rc != kExitSuccess)
      return rc;
    return RunAudit(*o);
  };
}

}  // namespace fanout
