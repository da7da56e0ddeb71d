// The docker engine's build of an image target (docs/images.md): a shell script that runs in
// the target's sandbox, in its workspace, and talks to the daemon through the declared socket.
// It loads each dependency's image from the dependency's OCI layout under a content-keyed
// name, builds with BuildKit, and exports the result as an OCI layout into $FANOUT_OUT/image.
// The script is written to the target's log before it runs, so every command is visible.
#pragma once

#include <string>
#include <vector>

#include "description/description.h"

namespace fanout::image {

/// Where an image target leaves its image, relative to its out/ directory.
inline constexpr const char* kImageDir = "image";

/// A dependency's image as the dependent's build sees it.
struct DependencyImage {
  std::string target;           ///< the dependency's name
  std::string layout;           ///< its OCI layout, as a path inside the sandbox
  std::string manifest_digest;  ///< "sha256:<hex>", from that layout
};

/// The name a dependency's image is loaded under in the daemon (or the buildah store,
/// image/buildah_build.h): its content alone
/// ("fanout.invalid/dep:<hex>"), so checkouts and concurrent builds sharing one daemon never
/// see each other's images under one name, and the reserved .invalid domain is never pulled.
std::string DaemonReference(const DependencyImage& dep);

/// `value` with each "{image:DEP}" replaced by DEP's DaemonReference.
std::string ResolveImageArgs(const std::string& value, const std::vector<DependencyImage>& deps);

/// `--target`, `--platform` and the build arguments (each "{image:DEP}" resolved), appended to
/// `args` as both engines take them.
void AppendStageArgs(const ImageSpec& spec, const std::vector<DependencyImage>& deps,
                     std::vector<std::string>* args);

/// A secret (`image.secrets`) as the build script sees it: a descriptor its shell inherited
/// from `fanout exec` (sandbox/secrets.h).
struct SecretFd {
  std::string id;  ///< letters, digits, '_', '.' and '-' (description/validate_image.cc)
  int fd = -1;
};

/// Where the engine reads a secret: the descriptor in the script's shell, which the engine
/// itself does not hold (the build line runs in a subshell that closes it first), so nothing
/// the engine starts inherits it.
inline constexpr const char* kShellFdDir = "/proc/$$/fd/";

/// `--secret id=ID,src=/proc/$$/fd/N` for each secret, as both engines take it.
void AppendSecretArgs(const std::vector<SecretFd>& secrets, std::vector<std::string>* args);

/// `prefix` followed by `args` as one line of a build script: the image ID file in the
/// sandbox's $TMPDIR and a secret's source (kShellFdDir) are expanded by the shell, every other
/// argument is quoted literally. `suffix` ends the line (redirections).
std::string BuildScriptLine(const std::string& prefix, const std::vector<std::string>& args,
                            const std::string& suffix = "");

/// Where a build script has the engine write the image's ID (--iidfile).
inline constexpr const char* kImageIdFile = "$TMPDIR/fanout-image-id";

/// The script line that picks the engine's command: `docker buildx build` where the CLI has
/// buildx, with every `cache_to` passed on; else the built-in BuildKit of `docker build`, which
/// has no cache export: with a `cache_to` the script fails, saying what to install.
std::string EngineSelection(const std::vector<std::string>& cache_to);

/// The script that builds `target`'s image (target.image must be set), with its secrets
/// open in the shell that runs it.
std::string DockerBuildScript(const Target& target, const std::vector<DependencyImage>& deps,
                              const std::vector<SecretFd>& secrets);

}  // namespace fanout::image
