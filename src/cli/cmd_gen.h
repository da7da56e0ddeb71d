// `fanout gen`, shared with `fanout build` (which generates first).
#pragma once

#include <optional>
#include <string>

#include "cli/build_dir_lock.h"
#include "cli/cli.h"
#include "plan/plan.h"

namespace fanout {

/// Options of `fanout gen` (and the generation half of `fanout build`).
struct GenOptions {
  CommonOptions common;
  std::string source = "worktree";        ///< --source REV|worktree
  std::optional<std::string> base;        ///< --base REV: build only affected targets
  bool direct = false;                    ///< --direct: two-dot comparison with --base
  std::string on_missing_base = "error";  ///< --on-missing-base=error|all
  std::string format = "ninja";           ///< --format ninja|make
  bool require_sandbox = false;           ///< --require-sandbox: as `sandbox: required`
  bool regenerate = false;                ///< run by Ninja's regeneration edge
  bool strict = false;   ///< --strict: an input pattern matching no file is an error
  bool no_wait = false;  ///< --no-wait: refuse, not wait, when another build holds the directory
  /// --fragment ninja|make: write a file another build includes (generator/fragment.h) instead
  /// of a complete build file; empty for a complete one. `fanout gen` only.
  std::string fragment;
  std::string parent = ".";       ///< --parent DIR: where the including build runs
  std::string prefix = "fanout";  ///< --prefix NAME: what the fragment's names begin with
};

/// Adds the generation options (including -f, --repo and -B) to `app`.
void AddGenOptions(CLI::App* app, GenOptions* opts);

/// Loads, plans and writes the build directory, holding its lock (cli/build_dir_lock.h) from
/// before anything is written. Prints diagnostics to stderr and returns an exit code; on
/// success fills `*plan` when given, and hands the lock over to `*lock` when given (so that
/// `fanout build` keeps it until its report is written).
int RunGen(const GenOptions& opts, Plan* plan = nullptr, BuildDirLock* lock = nullptr);

}  // namespace fanout
