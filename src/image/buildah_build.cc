#include "image/buildah_build.h"

#include <fmt/format.h>

#include "base/shell_quote.h"

namespace fanout::image {

std::string StorePathProblem(const std::string& path) {
  // Also what would end the double-quoted shell word the script puts it in.
  const std::size_t bad = path.find_first_of("+:[]@\"$`\\");
  if (bad == std::string::npos) return "";
  return fmt::format("has a '{}', which a containers-storage reference cannot hold", path[bad]);
}

std::string BuildahBuildScript(const Target& target, const std::vector<DependencyImage>& deps,
                               const std::string& store) {
  const ImageSpec& spec = *target.image;
  std::string s;
  s += fmt::format("# fanout: the image build of '{}' with the buildah engine (docs/images.md)\n",
                   target.name);
  s += "set -eu\n";
  // containers/image (buildah 1.28, skopeo 1.9) writes big temporary files to /var/tmp whatever
  // $TMPDIR says, and the sandbox's /var/tmp is read-only: the private, bounded $TMPDIR goes
  // there. The script is root of its own user and mount namespaces (sandbox/isolate.h), so the
  // mount is its own and goes with the sandbox.
  s += "mount --bind \"$TMPDIR\" /var/tmp\n";
  // A timeout or an interrupt signals every process of the sandbox at once, which ends when
  // this shell does. buildah, signalled, removes its working container from the shared store;
  // so each step runs in the background and the shell, signalled, waits for it to finish
  // (the sandbox's SIGKILL after the grace period still bounds the wait). A background command
  // of a script ignores SIGINT, which Ninja sends when cancelled: `env` gives it back.
  s += "step() { env --default-signal=INT,QUIT \"$@\" & pid=$!; "
       "trap 'wait $pid || :; exit 143' TERM INT HUP; wait $pid; }\n";
  // The run root holds mount state, which is private to this sandbox's mount namespace: shared,
  // another edge would trust a mount it cannot see. The layers themselves are shared.
  s += "runroot=\"$TMPDIR/buildah-run\"\n";
  s += fmt::format("set -- buildah --root {} --runroot \"$runroot\" --storage-driver {}\n",
                   ShellQuote(store), kBuildahDriver);
  // Dependencies go into the store under their content-keyed names: buildah's own "oci:PATH"
  // names an image after its path, which fails for a path with a '.fanout' component.
  for (const DependencyImage& dep : deps) {
    s += fmt::format(
        "step skopeo --tmpdir \"$TMPDIR\" copy --quiet {} "
        "\"containers-storage:[{}@{}+$runroot]{}\"\n",
        ShellQuote("oci:" + dep.layout), kBuildahDriver, store, DaemonReference(dep));
  }
  // chroot isolation: RUN steps run in this sandbox, whose network namespace is what `network:
  // false` means; buildah refuses --network none with chroot isolation. --force-rm: a failed
  // or cancelled build removes its working containers from the shared store too.
  std::vector<std::string> args = {"--isolation", "chroot",     "--pull=never",
                                   "--layers",    "--force-rm", "--iidfile",
                                   kImageIdFile,  "--file",     spec.DockerfilePath()};
  AppendStageArgs(spec, deps, &args);
  args.push_back(spec.context);
  s += BuildScriptLine("step \"$@\" build", args);
  // Pushed by ID, never by a name another edge could retag meanwhile.
  s += fmt::format(
      "rm -rf \"$FANOUT_OUT\"/{0}\n"
      "step \"$@\" push --quiet \"$(cat \"$TMPDIR/fanout-image-id\")\" \"oci:$FANOUT_OUT/{0}\"\n",
      kImageDir);
  return s;
}

}  // namespace fanout::image
