// The command line: a table of subcommands (GN's pattern). Each cmd_<name>.cc adds its options
// to a CLI11 subcommand and returns the function that runs it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

namespace fanout {

/// Runs a parsed subcommand; returns the process exit code (exit_codes.h).
using CommandFn = std::function<int()>;

/// Options every subcommand shares.
struct CommonOptions {
  /// -f: the description; when not given, the nearest fanout.yaml (locate_description.h)
  std::string file = "fanout.yaml";
  /// -B: the build directory; empty when not given (build_dir.h, ChooseBuildDir)
  std::string build_dir;
  std::string repo;  ///< --repo: defaults to the repository holding `file`
};

/// Adds -f and --repo to `app`, bound to `opts`; with no -f, `opts->file` becomes the
/// nearest fanout.yaml (LocateDescription) once the command line is parsed.
void AddDescriptionOptions(CLI::App* app, CommonOptions* opts);
/// Adds -B to `app`, bound to `opts`. On a command without -f, a -B not given becomes the
/// build directory the description names or the default (BuildDirForReading) once the command
/// line is parsed; a command with -f chooses it after loading the description.
void AddBuildDirOption(CLI::App* app, CommonOptions* opts);
/// The help of -B.
inline constexpr const char* kBuildDirHelp =
    "the build directory (default: 'build_dir' of fanout.yaml, else fanout-out, at the "
    "repository's root)";
/// Adds --repo to `app`, bound to `repo`, described by `help`.
void AddRepoOption(CLI::App* app, std::string* repo, const std::string& help);
/// The --repo help of the commands that read a build directory.
inline constexpr const char* kBuildDirRepoHelp =
    "check that the build directory was generated for this git repository";

/// --repo on a command that reads the build directory `build_dir` ("" when it reads none):
/// when `repo` is set, checks it (repo_check.h, CheckRepoForBuildDir) and prints
/// "fanout COMMAND: error: ..." when it fails. Returns kExitSuccess or the exit code to return.
int CheckRepoOption(const char* command, const std::string& repo, const std::string& build_dir);

/// One entry of the subcommand table.
struct Subcommand {
  const char* name;
  const char* help;
  /// Adds the subcommand's options to `app` and returns what runs it after parsing.
  CommandFn (*setup)(CLI::App* app);
};

CommandFn SetupGen(CLI::App* app);
CommandFn SetupBuild(CLI::App* app);
CommandFn SetupAffected(CLI::App* app);
CommandFn SetupCheck(CLI::App* app);
CommandFn SetupList(CLI::App* app);
CommandFn SetupGraph(CLI::App* app);
CommandFn SetupExec(CLI::App* app);
CommandFn SetupExecServer(CLI::App* app);
CommandFn SetupSnapshot(CLI::App* app);
CommandFn SetupGather(CLI::App* app);
CommandFn SetupPublish(CLI::App* app);
CommandFn SetupReport(CLI::App* app);
CommandFn SetupTrace(CLI::App* app);
CommandFn SetupMatrix(CLI::App* app);
CommandFn SetupDoctor(CLI::App* app);
CommandFn SetupCache(CLI::App* app);
CommandFn SetupExplain(CLI::App* app);
CommandFn SetupAudit(CLI::App* app);

/// The command line, set up for every subcommand, or for the one named alone. Setting up is a
/// tenth of a short command's start: the exec server sets up `exec` once, and each worker it
/// forks only parses (cli/exec_server.cc).
class CommandLine {
 public:
  /// Every subcommand when `only` is empty (for the full help and "did you mean" errors).
  explicit CommandLine(std::string_view only = {});
  CommandLine(const CommandLine&) = delete;
  CommandLine& operator=(const CommandLine&) = delete;

  /// Parses argv, runs the chosen subcommand, returns the exit code. Once per object.
  int Run(int argc, char** argv);

 private:
  std::unique_ptr<CLI::App> app_;
  CommandFn chosen_;
};

/// Parses argv, runs the chosen subcommand, returns the exit code: CommandLine set up for the
/// subcommand argv[1] names, or for all when it names none.
int RunCli(int argc, char** argv);

}  // namespace fanout
