// The build description (fanout.yaml, version 1) as plain data. It knows nothing of YAML,
// Ninja or git: description/loader.h reads it in, the planner and generators read it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fanout {

/// A position in the description file, 1-based; 0 means unknown.
struct SourceMark {
  int line = 0;
  int column = 0;
};

/// What a target's workspace holds.
enum class Checkout {
  kInputs,  ///< only the files matching the target's inputs and the global inputs (default)
  kFull,    ///< the whole source tree
};

/// Resource limits applied to a target's sandbox; 0 means unset.
struct Limits {
  std::uint64_t memory_bytes = 0;
  std::uint64_t pids = 0;
  std::uint64_t nofile = 0;
  /// The size bound of the sandbox's private /tmp (`limits.tmp`); 0: the sandbox's default.
  std::uint64_t tmp_bytes = 0;
};

/// What builds an image target (`image.engine`, docs/images.md).
enum class ImageEngine {
  kDocker,   ///< BuildKit in a Docker daemon reached through a declared socket (default)
  kBuildah,  ///< buildah, daemonless, inside the target's sandbox
};

/// "docker", "buildah": the name `image.engine` and plan.json use.
const char* ImageEngineName(ImageEngine engine);

/// A secret an image build may mount (`image.secrets`, docs/images.md): its value is read on
/// the runner when the target runs, handed to the engine through a sealed in-memory file, and
/// never written to the plan, a log or anywhere under the build directory.
struct ImageSecret {
  enum class Source {
    kFile,  ///< a host file: absolute, or "~/..." under the runner's $HOME
    kEnv,   ///< a host environment variable
  };
  std::string id;  ///< what `RUN --mount=type=secret,id=ID` names
  Source source = Source::kFile;
  std::string name;  ///< the file's path as written, or the variable's name
  bool operator==(const ImageSecret&) const = default;
};

/// The most secrets one image target may have (the build script's shell holds each on a
/// one-digit descriptor, sandbox/isolate.h).
inline constexpr std::size_t kMaxImageSecrets = 7;

/// How a target that is a container image is built (`image:`, docs/format.md and
/// docs/images.md). Paths are relative to the repository root, as written.
struct ImageSpec {
  std::string context;                        ///< the build context directory ("." is the root)
  std::string dockerfile;                     ///< "" : <context>/Dockerfile
  std::map<std::string, std::string> args;    ///< build args; "{image:DEP}" names a dependency
  std::string target;                         ///< the Dockerfile stage; "" : the last
  std::string platform;                       ///< "linux/amd64"; "" : the engine's own
  std::vector<std::string> tags;              ///< templates: {target} {commit} {short} {digest}
  std::vector<std::string> cache_from;        ///< BuildKit cache sources, passed as written
  std::vector<std::string> cache_to;          ///< BuildKit cache exports, passed as written
  std::vector<ImageSecret> secrets;           ///< in the order written, ids unique
  ImageEngine engine = ImageEngine::kDocker;  ///< what builds it
  bool operator==(const ImageSpec&) const = default;

  /// The Dockerfile's path relative to the repository root.
  std::string DockerfilePath() const;
};

/// One buildable target (an image, a binary, a bundle): one Ninja edge.
struct Target {
  std::string name;
  SourceMark mark;  ///< where the target's name is in the description
  std::string command;
  /// Glob patterns as written, in order; a leading '!' excludes (see glob.h).
  std::vector<std::string> inputs;
  std::vector<std::string> deps;  ///< upstream target names, as written
  std::string pool;               ///< empty: no pool
  std::vector<std::string> artifacts;
  std::map<std::string, std::string> env;
  std::vector<std::string> pass_env;
  /// Absolute, normalized paths of host Unix sockets bound into the sandbox, in the order
  /// written, each once; nothing else of the host's /run and /var/run is reachable.
  std::vector<std::string> sockets;
  std::optional<std::int64_t> timeout_seconds;
  int retries = 0;
  bool network = true;
  /// `cache: false`: the action cache neither restores nor stores this target's results
  /// (docs/cache.md).
  bool cache = true;
  Checkout checkout = Checkout::kInputs;
  Limits limits;
  /// `log_limit`: the most bytes of the command's output its log keeps; 0: the default
  /// (kDefaultLogLimit).
  std::uint64_t log_limit = 0;
  /// Set for an image target: fanout builds the image instead of running `command`.
  std::optional<ImageSpec> image;
  /// Where each entry of `pass_env` and of `sockets` is in the description, index for index;
  /// empty for a target not read from a description (one read back from a plan).
  std::vector<SourceMark> pass_env_marks;
  std::vector<SourceMark> socket_marks;
  /// Where each entry of `inputs` is in the description, index for index; empty when the
  /// inputs were not written (an image target's defaults) or not read from a description.
  std::vector<SourceMark> input_marks;
};

/// The step that runs after a successful gather (push, publish).
struct PostSubmit {
  std::string command;  ///< empty: no post-submit step
  bool always = false;  ///< `when: always`: run after failures too
};

/// Whether falling below the namespaces sandbox tier is an error.
enum class SandboxRequirement { kPreferred, kRequired };

/// The most bytes of output a target's log keeps when it sets no `log_limit` (64 MiB).
inline constexpr std::uint64_t kDefaultLogLimit = 64ull << 20;

/// A whole, validated description.
struct Description {
  int version = 1;
  std::map<std::string, int> pools;  ///< name -> depth >= 1
  std::vector<std::string> global_inputs;
  std::vector<SourceMark> global_input_marks;  ///< where each of `global_inputs` is written
  std::vector<Target> targets;                 ///< sorted by name
  PostSubmit post_submit;
  SandboxRequirement sandbox = SandboxRequirement::kPreferred;
  /// `build_dir`: the build directory, relative to the repository's work tree, '/'-separated,
  /// no '.' or '..' components; empty: not set (the command line's default applies).
  std::string build_dir;

  /// The target named `name`, or nullptr.
  const Target* FindTarget(const std::string& name) const;
  /// The index in `targets` of the target named `name`, or nullopt.
  std::optional<std::size_t> IndexOf(const std::string& name) const;
};

/// Each target's tier, by index into desc.targets: 0 when it has no dependencies, else 1 + the
/// highest tier among its dependencies (unknown names ignored). A cycle (never in a validated
/// description) does not recurse forever.
std::vector<int> TargetTiers(const Description& desc);

/// Formats a duration in seconds the way the description writes it ("30m", "1h30m", "45s").
std::string FormatDuration(std::int64_t seconds);

}  // namespace fanout
