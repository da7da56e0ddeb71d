// The Ninja writer (generator/ninja_generator.h) behind the loader. The property: any
// description the loader accepts yields a build.ninja that the real ninja accepts (`ninja -n`
// exits 0 without wanting to regenerate), with the commands intact: `ninja -t commands` gives,
// for every target, exactly `<fanout> exec -B . <target>` shell-quoted, and the regeneration
// edge's command names the description and build directory as given.
//
// ninja is spawned for every input the loader accepts (twice: -n, then -t commands), not
// periodically: most fuzzed inputs are rejected by the loader and cost no spawn, and a
// per-input check points at the input that breaks the property. The files go to one
// temporary directory per process, whose paths hold ' ', '#', '$' and ':' on purpose.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "base/build_layout.h"
#include "base/shell_quote.h"
#include "description/loader.h"
#include "generator/ninja_generator.h"
#include "plan/plan.h"

namespace {

struct Dirs {
  std::string build;        // the build directory ninja runs in
  std::string description;  // the description file, older than the regeneration stamp
};

void WriteFile(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) {
    std::fprintf(stderr, "fuzz_ninja_writer: cannot write %s\n", path.c_str());
    std::abort();
  }
}

const Dirs& TheDirs() {
  static const Dirs dirs = [] {
    char tmpl[] = "/tmp/fanout-fuzz-ninja-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) std::abort();
    Dirs d;
    d.build = tmpl;
    const std::string repo = d.build + "/repo";
    const std::string odd = repo + "/my #1 $dir: x";
    mkdir(repo.c_str(), 0755);
    mkdir(odd.c_str(), 0755);
    mkdir((d.build + "/.fanout").c_str(), 0755);
    d.description = odd + "/fan out.yaml";
    WriteFile(d.description, "version: 1\n");
    const struct utimbuf old = {1000000000, 1000000000};
    utime(d.description.c_str(), &old);
    return d;
  }();
  return dirs;
}

std::string RunInDir(const std::string& dir, const std::string& args, int* status) {
  // The cd's own error, if any, is captured too: it is part of what went wrong.
  const std::string command = "{ cd " + fanout::ShellQuote(dir) + " && " +
                              fanout::ShellQuote(FANOUT_FUZZ_NINJA) + " " + args + "; } 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) std::abort();
  // read(2), retried on EINTR: libFuzzer's SIGALRM (its -timeout check, every second) can
  // interrupt the read, and fread would then report end of file; the pipe closed early kills
  // ninja with SIGPIPE in the middle of its output (the shell's exit status 141).
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fileno(pipe), buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  *status = pclose(pipe);
  return out;
}

/// How the shell that ran ninja ended, for the failure message: a CI log keeps only its tail,
/// so the reason is printed last as well as first.
std::string DescribeStatus(int status) {
  if (status == -1) return "pclose failed: " + std::string(std::strerror(errno));
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "wait status " + std::to_string(status);
}

[[noreturn]] void Fail(const std::string& what, const std::string& ninja_text,
                       const std::string& out, int status = 0) {
  const std::string how =
      status == 0 ? "" : " (the shell running ninja: " + DescribeStatus(status) + ")";
  std::fprintf(stderr,
               "fuzz_ninja_writer: %s%s\n--- build.ninja\n%s\n--- ninja said\n%s\n"
               "--- so: %s%s\n",
               what.c_str(), how.c_str(), ninja_text.c_str(), out.c_str(), what.c_str(),
               how.c_str());
  std::abort();
}

bool HasLine(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

/// Whether `ninja -t commands` printed `fanout` run with `args`, directly or through the
/// shell's `exec` (which the generator may put in front so the shell becomes fanout).
bool HasCommand(const std::string& out, const std::string& fanout,
                const std::vector<std::string>& args) {
  const std::string command = fanout::ShellQuote(fanout) + " " + fanout::ShellJoin(args);
  return HasLine(out, command) || HasLine(out, "exec " + command);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  fanout::LoadResult loaded = fanout::LoadDescriptionText(text, "fanout.yaml");
  if (!loaded.description) return 0;

  const Dirs& dirs = TheDirs();
  fanout::Plan plan = fanout::MakePlan(std::move(*loaded.description));
  plan.repo_root = dirs.build + "/repo";
  plan.description_path = dirs.description;
  plan.build_dir = dirs.build;
  plan.fanout_binary = "/opt/my tools/fan$out";
  plan.gen_args = {"-f", dirs.description, "-B", dirs.build};

  fanout::Expected<std::string> ninja_text = fanout::GenerateNinja(plan);
  if (!ninja_text.ok()) Fail("GenerateNinja refused: " + ninja_text.error().message, "", "");
  std::vector<std::string> left_out;
  const std::string depfile = fanout::GenerateRegenDepfile({dirs.description}, &left_out);
  if (!left_out.empty()) Fail("the description path was left out of the depfile", depfile, "");
  WriteFile(dirs.build + "/" + fanout::layout::kBuildNinja, *ninja_text);
  WriteFile(dirs.build + "/" + fanout::layout::kRegenDepfile, depfile);
  WriteFile(dirs.build + "/" + fanout::layout::kRegenStamp, "");
  // What `fanout gen` writes beside build.ninja, which the gather edge reads.
  WriteFile(dirs.build + "/" + fanout::layout::kPlan, fanout::PlanToJson(plan));
  // .ninja_log and .ninja_deps would otherwise grow with every input.
  unlink((dirs.build + "/.ninja_log").c_str());
  unlink((dirs.build + "/.ninja_deps").c_str());

  int status = 0;
  std::string out = RunInDir(dirs.build, "-n", &status);
  if (status != 0) Fail("ninja -n failed", *ninja_text, out, status);
  if (out.find("Regenerating") != std::string::npos) {
    Fail("ninja -n wants to regenerate build.ninja", *ninja_text, out);
  }

  out = RunInDir(dirs.build, "-t commands all .fanout/build.ninja.stamp", &status);
  if (status != 0) Fail("ninja -t commands failed", *ninja_text, out, status);
  for (const fanout::PlanTarget& t : plan.targets) {
    if (!HasCommand(out, plan.fanout_binary, {"exec", "-B", ".", t.def.name})) {
      Fail("the exec command of target " + t.def.name + " is not intact", *ninja_text, out);
    }
  }
  if (!HasCommand(out, plan.fanout_binary,
                  {"gen", "-f", dirs.description, "-B", dirs.build, "--regenerate"})) {
    Fail("the regeneration command is not intact", *ninja_text, out);
  }
  return 0;
}
