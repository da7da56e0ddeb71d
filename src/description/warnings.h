// Warnings about a valid description: what it gives away that its author may not have meant.
// A declared container-engine socket gives a target's commands root on the machine; a
// `pass_env` variable that points into /tmp names a path the sandbox's private /tmp lacks.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "description/description.h"
#include "description/diagnostic.h"

namespace fanout {

/// The container engine whose API socket `path` names, by its file name ("Docker" for
/// docker.sock; also Podman, containerd and BuildKit), or nullopt for any other socket.
std::optional<std::string_view> ContainerEngineOfSocket(std::string_view path);

/// One declared socket that gives a target's commands host-root power.
struct HostRootSocket {
  std::string target;
  std::string path;
  std::string_view engine;  ///< see ContainerEngineOfSocket
  SourceMark mark;          ///< the socket's entry in `sockets`, when known
};

/// Every declared container-engine socket, in target order, then in the order written.
std::vector<HostRootSocket> FindHostRootSockets(const Description& desc);

/// One warning per socket of FindHostRootSockets, about the description file `file`.
std::vector<Diagnostic> HostRootSocketWarnings(const Description& desc, const std::string& file);

/// Looks up a variable of fanout's own environment (nullopt: unset).
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

/// One warning per `pass_env` entry whose value, looked up with `env`, is /tmp or a path under
/// it: each target runs with a private /tmp, where that path does not exist.
std::vector<Diagnostic> TmpPassEnvWarnings(const Description& desc, const std::string& file,
                                           const EnvLookup& env);

/// Whether an include pattern (as written in the description) matches at least one file.
using PatternMatchesAny = std::function<bool(const std::string& pattern)>;

/// One diagnostic per include pattern written in `desc` (a target's `inputs`, then
/// `global_inputs`; not an image target's default inputs) that matches no file by
/// `matches_any`, at the pattern. A warning, or an error when `as_errors` (`--strict`).
std::vector<Diagnostic> UnmatchedInputDiagnostics(const Description& desc, const std::string& file,
                                                  const PatternMatchesAny& matches_any,
                                                  bool as_errors);

/// The submodule among `submodules` (gitlink paths, as git's tree lists them) whose files
/// `pattern` (an include) names: its directory part before any wildcard lies inside one
/// ("sub/**", "sub/src/*.c"); nullopt when none. "sub" itself names the submodule's commit,
/// not its files.
std::optional<std::string> SubmoduleReachedBy(std::string_view pattern,
                                              const std::vector<std::string>& submodules);

/// One error per include pattern written in `desc` that reaches into a submodule
/// (SubmoduleReachedBy): fanout checks out no submodule's files, so such a pattern would
/// silently select nothing.
std::vector<Diagnostic> SubmoduleInputErrors(const Description& desc, const std::string& file,
                                             const std::vector<std::string>& submodules);

}  // namespace fanout
