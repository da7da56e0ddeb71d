#include "description/warnings.h"

#include <utility>

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

}  // namespace fanout
