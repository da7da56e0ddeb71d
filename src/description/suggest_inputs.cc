#include "description/suggest_inputs.h"

#include <algorithm>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "base/dockerignore.h"
#include "base/glob.h"
#include "base/go_imports.h"
#include "base/python_imports.h"

namespace fanout {
namespace {

bool IsOperator(std::string_view w) {
  return w == ";" || w == "&&" || w == "||" || w == "|" || w == "&" || w == "\n";
}

bool Computed(std::string_view w) { return w.find_first_of("$`") != std::string_view::npos; }

/// A path as the description writes it ("./a/" is "a", "" and "./" are "."), or nullopt for
/// one it cannot name (absolute, above the root, computed).
std::optional<std::string> RepoPath(std::string_view p) {
  if (p.empty() || p[0] == '/' || Computed(p)) return std::nullopt;
  std::string clean = CleanPath(p);
  if (clean == ".." || clean.starts_with("../")) return std::nullopt;
  return clean;
}

std::string Dir(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

/// A YAML flow scalar: plain when it is safe, else double-quoted.
std::string Scalar(const std::string& s) {
  const bool plain =
      !s.empty() && s.find_first_of(":{}[],&*#?|-<>=!%@`'\" \\") == std::string::npos;
  if (plain) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// Options of the image builders that take a value as the next word.
const std::set<std::string_view> kBuildValueOptions = {"-f",           "--file",
                                                       "-t",           "--tag",
                                                       "--build-arg",  "--target",
                                                       "--platform",   "--iidfile",
                                                       "--network",    "--secret",
                                                       "--ssh",        "--cache-from",
                                                       "--cache-to",   "--label",
                                                       "-o",           "--output",
                                                       "--progress",   "--build-context",
                                                       "--add-host",   "--metadata-file",
                                                       "--builder",    "--allow",
                                                       "--annotation", "--shm-size",
                                                       "--ulimit",     "-m",
                                                       "--memory",     "--cgroup-parent",
                                                       "--isolation",  "--format",
                                                       "--authfile",   "--creds",
                                                       "--os",         "--arch",
                                                       "--variant",    "--jobs"};

/// `docker build ...` and friends in `words` (one simple command, after its program):
/// the suggestion, or nullopt.
std::optional<std::string> ImageBuild(const std::vector<std::string>& words) {
  std::optional<std::string> file;
  std::vector<std::string> positional;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w.starts_with("--file=")) {
      file = w.substr(7);
    } else if (w == "-f" || w == "--file") {
      if (i + 1 < words.size()) file = words[++i];
    } else if (w.size() > 2 && w.starts_with("-f") && w[2] != '-') {
      file = w.substr(2);
    } else if (kBuildValueOptions.count(w)) {
      ++i;
    } else if (!w.empty() && w[0] == '-') {
      continue;
    } else {
      positional.push_back(w);
    }
  }
  if (positional.size() != 1) return std::nullopt;
  const std::string& ctx_word = positional[0];
  if (ctx_word == "-" || ctx_word.find("://") != std::string::npos || ctx_word.starts_with("git@"))
    return std::nullopt;
  std::optional<std::string> context = RepoPath(ctx_word);
  if (!context) return std::nullopt;
  std::optional<std::string> dockerfile =
      file ? RepoPath(*file)
           : std::optional<std::string>(*context == "." ? "Dockerfile" : *context + "/Dockerfile");
  if (!dockerfile || *dockerfile == ".") return std::nullopt;
  if (Dir(*dockerfile) == *context) return fmt::format("{{dockerfile: {}}}", Scalar(*dockerfile));
  return fmt::format("{{dockerfile: {}, context: {}}}", Scalar(*dockerfile), Scalar(*context));
}

bool IsPython(std::string_view program) {
  if (program == "python" || program == "python3") return true;
  if (!program.starts_with("python3.")) return false;
  return std::all_of(program.begin() + 8, program.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

/// `python3 [options] SCRIPT.py` or `python3 [options] -m MODULE` in `words` (after the
/// program), with `pythonpath` from the command's environment.
std::optional<std::string> PythonRun(const std::vector<std::string>& words,
                                     const std::optional<std::string>& pythonpath,
                                     const IsFile& is_file) {
  std::optional<std::string> entry;
  bool module = false, isolated = false;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w == "-m") {
      if (i + 1 >= words.size() || Computed(words[i + 1])) return std::nullopt;
      std::string dotted = words[i + 1];
      std::replace(dotted.begin(), dotted.end(), '.', '/');
      entry = is_file && is_file(dotted + ".py") ? dotted + ".py" : dotted;
      module = true;
      break;
    }
    if (w == "-c" || w == "-") return std::nullopt;  // the program is on the command line
    if (w == "-X" || w == "-W" || w == "--check-hash-based-pycs") {
      ++i;
      continue;
    }
    if (!w.empty() && w[0] == '-') {
      if (w.find('I') != std::string::npos && w[1] != '-') isolated = true;
      continue;
    }
    if (!w.ends_with(".py")) return std::nullopt;
    entry = w;
    break;
  }
  if (!entry) return std::nullopt;
  std::optional<std::string> path = RepoPath(*entry);
  if (!path || *path == ".") return std::nullopt;
  std::vector<std::string> roots;
  if (module) roots.push_back(".");  // `python -m` puts the working directory on the path
  if (pythonpath && !isolated) {
    std::string_view rest = *pythonpath;
    while (true) {
      const std::size_t colon = rest.find(':');
      if (std::optional<std::string> d = RepoPath(rest.substr(0, colon))) {
        if (std::find(roots.begin(), roots.end(), *d) == roots.end()) roots.push_back(*d);
      }
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
  std::string out = "{python: " + Scalar(*path);
  if (!roots.empty()) {
    out += ", path: [";
    for (std::size_t i = 0; i < roots.size(); ++i) out += (i ? ", " : "") + Scalar(roots[i]);
    out += "]";
  }
  return out + "}";
}

/// `go build|run|install [FLAGS] PKG`: the inputs_from for PKG when it is one package named
/// by its directory ("./cmd/app", "."), not an import path, a pattern or a list of files.
std::optional<std::string> GoBuild(const std::vector<std::string>& words) {
  // The build flags that take a value as the next word (cmd/go's `go help build`).
  static const std::set<std::string> kWithValue = {
      "-o",          "-p",       "-asmflags",      "-buildmode", "-buildvcs", "-compiler",
      "-gccgoflags", "-gcflags", "-installsuffix", "-ldflags",   "-mod",      "-modfile",
      "-overlay",    "-pgo",     "-pkgdir",        "-tags",      "-toolexec", "-exec"};
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w == "-C") return std::nullopt;  // another directory: its paths are not the root's
    if (w == "--") continue;
    if (!w.empty() && w[0] == '-') {
      std::string flag = w.substr(0, w.find('='));
      if (flag.starts_with("--")) flag.erase(0, 1);
      if (w.find('=') == std::string::npos && kWithValue.count(flag)) ++i;
      continue;
    }
    if (Computed(w) || w.ends_with(".go") || w.find("...") != std::string::npos) {
      return std::nullopt;
    }
    if (w != "." && !w.starts_with("./")) return std::nullopt;  // an import path
    std::optional<std::string> path = RepoPath(w);
    if (!path) return std::nullopt;
    return *path == "." ? std::string("{go: .}") : "{go: " + Scalar("./" + *path) + "}";
  }
  return std::nullopt;
}

}  // namespace

std::vector<std::string> CommandWords(std::string_view command) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  auto end_word = [&] {
    if (in_word) words.push_back(std::move(word));
    word.clear();
    in_word = false;
  };
  for (std::size_t i = 0; i < command.size(); ++i) {
    const char c = command[i];
    if (c == ' ' || c == '\t') {
      end_word();
    } else if (c == '\n' || c == ';' || c == '|' || c == '&') {
      end_word();
      std::string op(1, c);
      if ((c == '|' || c == '&') && i + 1 < command.size() && command[i + 1] == c)
        op += command[++i];
      words.push_back(op);
    } else if (c == '\'') {
      in_word = true;
      const std::size_t close = command.find('\'', i + 1);
      word += command.substr(i + 1, close == std::string_view::npos ? close : close - i - 1);
      i = close == std::string_view::npos ? command.size() : close;
    } else if (c == '"') {
      in_word = true;
      for (++i; i < command.size() && command[i] != '"'; ++i) {
        if (command[i] == '\\' && i + 1 < command.size()) ++i;
        word += command[i];
      }
    } else if (c == '\\' && i + 1 < command.size()) {
      in_word = true;
      if (command[++i] != '\n') word += command[i];
    } else {
      in_word = true;
      word += c;
    }
  }
  end_word();
  return words;
}

std::vector<InputSuggestion> SuggestInputsFrom(const Description& desc, const IsFile& is_file) {
  std::vector<InputSuggestion> out;
  for (const Target& t : desc.targets) {
    const bool derived = std::any_of(t.inputs.begin(), t.inputs.end(), [](const std::string& p) {
      return IsDockerfileMarker(p) || IsPythonMarker(p) || IsGoMarker(p);
    });
    if (derived) continue;
    if (t.image) {
      out.push_back({t.name, t.mark,
                     fmt::format("{{dockerfile: {}}}", Scalar(t.image->DockerfilePath())),
                     "its image's Dockerfile: what it copies, not the whole context"});
      continue;
    }
    const std::vector<std::string> words = CommandWords(t.command);
    for (std::size_t begin = 0; begin < words.size();) {
      std::size_t end = begin;
      while (end < words.size() && !IsOperator(words[end])) ++end;
      std::vector<std::string> cmd(words.begin() + begin, words.begin() + end);
      begin = end + 1;
      std::optional<std::string> pythonpath;
      std::size_t i = 0;
      for (; i < cmd.size(); ++i) {
        const std::size_t eq = cmd[i].find('=');
        if (cmd[i] == "env" || cmd[i] == "exec") continue;
        if (eq == std::string::npos || eq == 0 || cmd[i][0] == '-') break;
        if (cmd[i].substr(0, eq) == "PYTHONPATH") pythonpath = cmd[i].substr(eq + 1);
      }
      if (i >= cmd.size()) continue;
      if (cmd[i] == "cd" || cmd[i] == "pushd") {
        // Into another directory: the paths after it are not the root's.
        if (i + 1 < cmd.size() && RepoPath(cmd[i + 1]) == std::optional<std::string>(".")) {
          continue;
        }
        break;
      }
      std::string program = cmd[i];
      if (const std::size_t slash = program.rfind('/'); slash != std::string::npos)
        program = program.substr(slash + 1);
      std::vector<std::string> rest(cmd.begin() + static_cast<std::ptrdiff_t>(i) + 1, cmd.end());
      std::optional<std::string> suggestion;
      std::string why;
      auto drop = [&rest](std::size_t n) {
        rest.erase(rest.begin(),
                   rest.begin() + static_cast<std::ptrdiff_t>(std::min(n, rest.size())));
      };
      if ((program == "docker" || program == "podman") && !rest.empty()) {
        if (rest[0] == "build") {
          drop(1);
        } else if (rest.size() > 1 && (rest[0] == "buildx" || rest[0] == "image") &&
                   rest[1] == "build") {
          drop(2);
        } else {
          continue;
        }
        why = fmt::format("the command runs '{} build'", program);
        suggestion = ImageBuild(rest);
      } else if (program == "buildah" && !rest.empty() &&
                 (rest[0] == "build" || rest[0] == "bud")) {
        why = "the command runs 'buildah " + rest[0] + "'";
        drop(1);
        suggestion = ImageBuild(rest);
      } else if (program == "go" && !rest.empty() &&
                 (rest[0] == "build" || rest[0] == "run" || rest[0] == "install")) {
        why = "the command runs 'go " + rest[0] + "'";
        drop(1);
        suggestion = GoBuild(rest);
      } else if (IsPython(program)) {
        why = "the command runs '" + program + "'";
        suggestion = PythonRun(rest, pythonpath, is_file);
      }
      if (suggestion) {
        out.push_back({t.name, t.mark, *suggestion, why});
        break;
      }
    }
  }
  return out;
}

}  // namespace fanout
