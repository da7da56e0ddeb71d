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

std::string DockerBuildScript(const Target& target, const std::vector<DependencyImage>& deps) {
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
  // BuildKit through buildx where the CLI has it, else the built-in one (Docker 20.10).
  s += "if docker buildx version >/dev/null 2>&1; then set -- docker buildx build --load; "
       "else export DOCKER_BUILDKIT=1; set -- docker build; fi\n";
  std::vector<std::string> args = {"--iidfile", "$TMPDIR/fanout-image-id", "--file",
                                   spec.DockerfilePath()};
  if (!target.network) {
    args.push_back("--network");
    args.push_back("none");
  }
  if (!spec.target.empty()) {
    args.push_back("--target");
    args.push_back(spec.target);
  }
  if (!spec.platform.empty()) {
    args.push_back("--platform");
    args.push_back(spec.platform);
  }
  for (const std::string& from : spec.cache_from) {
    args.push_back("--cache-from");
    args.push_back(from);
  }
  for (const auto& [name, value] : spec.args) {
    args.push_back("--build-arg");
    args.push_back(name + "=" + ResolveImageArgs(value, deps));
  }
  args.push_back(spec.context);
  std::string line = "\"$@\"";
  for (const std::string& a : args) {
    // $TMPDIR is the sandbox's: expanded by the shell, everything else is literal.
    line += " " + (a == "$TMPDIR/fanout-image-id" ? "\"$TMPDIR/fanout-image-id\"" : ShellQuote(a));
  }
  s += line + "\n";
  s += fmt::format(
      "rm -rf \"$FANOUT_OUT\"/{0}\n"
      "skopeo --tmpdir \"$TMPDIR\" copy --quiet --src-daemon-host \"$daemon\" "
      "\"docker-daemon:$(cat "
      "\"$TMPDIR/fanout-image-id\")\" \"oci:$FANOUT_OUT/{0}\"\n",
      kImageDir);
  return s;
}

}  // namespace fanout::image
