#include "description/warnings.h"

#include <utility>

#include "base/glob.h"
#include "base/go_imports.h"
#include "base/python_imports.h"

namespace fanout {

std::optional<std::string_view> ContainerEngineOfSocket(std::string_view path) {
  static constexpr std::pair<std::string_view, std::string_view> kEngines[] = {
      {"docker.sock", "Docker"},
      {"podman.sock", "Podman"},
      {"containerd.sock", "containerd"},
      {"buildkitd.sock", "BuildKit"},
  };
  const std::size_t slash = path.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  for (const auto& [file, engine] : kEngines) {
    if (name == file) return engine;
  }
  return std::nullopt;
}

std::vector<HostRootSocket> FindHostRootSockets(const Description& desc) {
  std::vector<HostRootSocket> out;
  for (const Target& t : desc.targets) {
    for (std::size_t i = 0; i < t.sockets.size(); ++i) {
      if (std::optional<std::string_view> engine = ContainerEngineOfSocket(t.sockets[i])) {
        out.push_back({t.name, t.sockets[i], *engine,
                       i < t.socket_marks.size() ? t.socket_marks[i] : SourceMark{}});
      }
    }
  }
  return out;
}

std::vector<Diagnostic> HostRootSocketWarnings(const Description& desc, const std::string& file) {
  std::vector<Diagnostic> out;
  for (const HostRootSocket& s : FindHostRootSockets(desc)) {
    Diagnostic d;
    d.file = file;
    d.mark = s.mark;
    d.severity = Severity::kWarning;
    d.message = "target '" + s.target + "' declares the " + std::string(s.engine) + " socket '" +
                s.path +
                "': any command of this target can start a privileged container and become root "
                "on this machine";
    d.notes = {
        "note: whoever can change this target's command (a pull request, in CI) gets that power "
        "too; declare the socket only on targets that need it, and build such targets only "
        "from trusted changes"};
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<Diagnostic> TmpPassEnvWarnings(const Description& desc, const std::string& file,
                                           const EnvLookup& env) {
  std::vector<Diagnostic> out;
  for (const Target& t : desc.targets) {
    for (std::size_t i = 0; i < t.pass_env.size(); ++i) {
      const std::optional<std::string> value = env(t.pass_env[i]);
      if (!value || (*value != "/tmp" && value->rfind("/tmp/", 0) != 0)) continue;
      Diagnostic d;
      d.file = file;
      d.mark = i < t.pass_env_marks.size() ? t.pass_env_marks[i] : SourceMark{};
      d.severity = Severity::kWarning;
      // The value itself is not shown: a variable passed through may hold a secret.
      d.message = "'pass_env' variable '" + t.pass_env[i] + "' of target '" + t.name +
                  "' is a path in /tmp, but the sandbox gives each target a private /tmp, so "
                  "the path will not exist there";
      d.notes = {
          "help: pass the file another way, e.g. put it in a directory outside /tmp and set '" +
          t.pass_env[i] + "' to that path"};
      out.push_back(std::move(d));
    }
  }
  return out;
}

namespace {

/// Calls `fn(target, pattern, mark)` for every include pattern written in `desc`: each
/// target's `inputs` (target "" for `global_inputs`), in order.
template <class Fn>
void ForEachWrittenInclude(const Description& desc, Fn fn) {
  for (const Target& t : desc.targets) {
    // An image target's default inputs were not written: they have no marks.
    for (std::size_t i = 0; i < t.inputs.size() && i < t.input_marks.size(); ++i) {
      if (t.inputs[i].empty() || t.inputs[i][0] == '!' || IsDockerignoreMarker(t.inputs[i]) ||
          IsDockerfileMarker(t.inputs[i]) || IsPythonMarker(t.inputs[i]) ||
          IsGoMarker(t.inputs[i])) {
        continue;
      }
      fn(t.name, t.inputs[i], t.input_marks[i]);
    }
  }
  for (std::size_t i = 0; i < desc.global_inputs.size() && i < desc.global_input_marks.size();
       ++i) {
    if (desc.global_inputs[i].empty() || desc.global_inputs[i][0] == '!') continue;
    fn(std::string(), desc.global_inputs[i], desc.global_input_marks[i]);
  }
}

std::string Owner(const std::string& target) {
  return target.empty() ? std::string("of 'global_inputs'") : "of target '" + target + "'";
}

}  // namespace

std::vector<Diagnostic> UnmatchedInputDiagnostics(const Description& desc, const std::string& file,
                                                  const PatternMatchesAny& matches_any,
                                                  bool as_errors) {
  std::vector<Diagnostic> out;
  ForEachWrittenInclude(
      desc, [&](const std::string& target, const std::string& pattern, const SourceMark& mark) {
        if (matches_any(pattern)) return;
        Diagnostic d;
        d.file = file;
        d.mark = mark;
        d.severity = as_errors ? Severity::kError : Severity::kWarning;
        d.message = "input pattern '" + pattern + "' " + Owner(target) + " matches no file";
        d.notes = {
            "note: paths are relative to the repository root, and only files git tracks or "
            "would add (not ignored) are inputs",
            as_errors ? "help: fix or remove the pattern (--strict makes this an error)"
                      : "help: fix or remove the pattern; --strict makes this an error"};
        out.push_back(std::move(d));
      });
  return out;
}

std::optional<std::string> SubmoduleReachedBy(std::string_view pattern,
                                              const std::vector<std::string>& submodules) {
  // The directory part written before the first wildcard: "sub/src" of "sub/src/*.c".
  std::size_t literal = pattern.find_first_of("*?[{\\");
  std::string_view dir = pattern.substr(0, literal);
  if (literal != std::string_view::npos) {
    const std::size_t slash = dir.rfind('/');
    dir = slash == std::string_view::npos ? std::string_view() : dir.substr(0, slash);
  }
  for (const std::string& s : submodules) {
    if (dir.size() > s.size() && dir.substr(0, s.size()) == s && dir[s.size()] == '/') return s;
    // "sub/*" or "sub/**": a wildcard inside the submodule's directory.
    if (dir == s && pattern.size() > s.size()) return s;
  }
  return std::nullopt;
}

std::vector<Diagnostic> SubmoduleInputErrors(const Description& desc, const std::string& file,
                                             const std::vector<std::string>& submodules) {
  std::vector<Diagnostic> out;
  if (submodules.empty()) return out;
  ForEachWrittenInclude(desc, [&](const std::string& target, const std::string& pattern,
                                  const SourceMark& mark) {
    const std::optional<std::string> sub = SubmoduleReachedBy(pattern, submodules);
    if (!sub) return;
    Diagnostic d;
    d.file = file;
    d.mark = mark;
    d.message = "input pattern '" + pattern + "' " + Owner(target) +
                " reaches into the submodule '" + *sub + "', whose files fanout does not check out";
    d.notes = {
        "note: a submodule is one entry of the tree, its commit; its workspace is an "
        "empty directory",
        "help: list '" + *sub +
            "' itself to make the submodule's commit an input, and fetch what the "
            "command needs from it in the command (or make the files part of this "
            "repository)"};
    out.push_back(std::move(d));
  });
  return out;
}

}  // namespace fanout
