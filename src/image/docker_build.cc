#include "image/docker_build.h"

#include <fmt/format.h>

#include "base/shell_quote.h"
#include "image/oci_layout.h"

namespace fanout::image {

std::string DaemonReference(const DependencyImage& dep) {
  return "fanout.invalid/dep:" + DigestHex(dep.manifest_digest);
}

std::string ResolveImageArgs(const std::string& value, const std::vector<DependencyImage>& deps) {
  std::string out = value;
  for (const DependencyImage& dep : deps) {
    const std::string name = "{image:" + dep.target + "}";
    const std::string ref = DaemonReference(dep);
    for (std::size_t at = out.find(name); at != std::string::npos;
         at = out.find(name, at + ref.size())) {
      out.replace(at, name.size(), ref);
    }
  }
  return out;
}

void AppendStageArgs(const ImageSpec& spec, const std::vector<DependencyImage>& deps,
                     std::vector<std::string>* args) {
  if (!spec.target.empty()) args->insert(args->end(), {"--target", spec.target});
  if (!spec.platform.empty()) args->insert(args->end(), {"--platform", spec.platform});
  for (const auto& [name, value] : spec.args) {
    args->insert(args->end(), {"--build-arg", name + "=" + ResolveImageArgs(value, deps)});
  }
}

void AppendSecretArgs(const std::vector<SecretFd>& secrets, std::vector<std::string>* args) {
  for (const SecretFd& secret : secrets) {
    args->insert(args->end(),
                 {"--secret", fmt::format("id={},src={}{}", secret.id, kShellFdDir, secret.fd)});
  }
}

std::string BuildScriptLine(const std::string& prefix, const std::vector<std::string>& args,
                            const std::string& suffix) {
  std::string line = prefix;
  for (const std::string& a : args) {
    const bool expand = a == kImageIdFile || a.find(kShellFdDir) != std::string::npos;
    // Appended piece by piece: GCC 12 at -O3 reports a -Wrestrict false positive on
    // " " + std::string(...) (GCC bug 105329).
    line += ' ';
    if (expand) {
      line += '"';
      line += a;
      line += '"';
    } else {
      line += ShellQuote(a);
    }
  }
  return line + suffix + "\n";
}

std::string EngineSelection(const std::vector<std::string>& cache_to) {
  // BuildKit through buildx where the CLI has it, else the built-in one (Docker 20.10), which
  // exports no cache of its own: the script then stops rather than build without the export.
  std::string buildx = "set -- docker buildx build --load";
  std::string builtin = "export DOCKER_BUILDKIT=1; set -- docker build";
  for (const std::string& to : cache_to) buildx += " --cache-to " + ShellQuote(to);
  if (!cache_to.empty()) {
    builtin = fmt::format(
        "echo {} >&2; exit 1",
        ShellQuote(fmt::format(
            "fanout: cache_to '{}' needs 'docker buildx', which this docker CLI does not have; "
            "install the buildx plugin (Debian: docker-buildx), or remove 'cache_to'",
            cache_to.front())));
  }
  return "if docker buildx version >/dev/null 2>&1; then " + buildx + "; else " + builtin +
         "; fi\n";
}

std::string DockerBuildScript(const Target& target, const std::vector<DependencyImage>& deps,
                              const std::vector<SecretFd>& secrets) {
  const ImageSpec& spec = *target.image;
  std::string s;
  s += fmt::format("# fanout: the image build of '{}' with the docker engine (docs/images.md)\n",
                   target.name);
  s += "set -eu\n";
  // skopeo's docker-daemon transport does not read DOCKER_HOST: it is told.
  s += "daemon=${DOCKER_HOST:-unix:///var/run/docker.sock}\n";
  for (const DependencyImage& dep : deps) {
    s += fmt::format(
        "skopeo --tmpdir \"$TMPDIR\" copy --quiet --dest-daemon-host \"$daemon\" {} {}\n",
        ShellQuote("oci:" + dep.layout), ShellQuote("docker-daemon:" + DaemonReference(dep)));
  }
  s += EngineSelection(spec.cache_to);
  std::vector<std::string> args = {"--iidfile", kImageIdFile, "--file", spec.DockerfilePath()};
  if (!target.network) {
    args.push_back("--network");
    args.push_back("none");
  }
  for (const std::string& from : spec.cache_from) {
    args.push_back("--cache-from");
    args.push_back(from);
  }
  AppendStageArgs(spec, deps, &args);
  AppendSecretArgs(secrets, &args);
  args.push_back(spec.context);
  if (secrets.empty()) {
    s += BuildScriptLine("\"$@\"", args);
  } else {
    // A redirection on the command itself would not do: dash applies it in this shell for as
    // long as the command runs, and the engine would find nothing at /proc/$$/fd/N. A
    // subshell closes the descriptors in itself, then runs the engine.
    std::string close;
    for (const SecretFd& secret : secrets) close += fmt::format(" {}<&-", secret.fd);
    s += BuildScriptLine("(exec" + close + "; exec \"$@\"", args, ")");
  }
  s += fmt::format(
      "rm -rf \"$FANOUT_OUT\"/{0}\n"
      "skopeo --tmpdir \"$TMPDIR\" copy --quiet --src-daemon-host \"$daemon\" "
      "\"docker-daemon:$(cat "
      "\"$TMPDIR/fanout-image-id\")\" \"oci:$FANOUT_OUT/{0}\"\n",
      kImageDir);
  return s;
}

}  // namespace fanout::image
