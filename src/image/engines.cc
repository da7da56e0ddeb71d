#include "image/engines.h"

#include <stdio.h>
#include <sys/wait.h>

#include <cstdlib>

namespace fanout::image {
namespace {

/// The first line `command` prints, when it exits 0; "" otherwise. Commands are fixed strings.
std::string FirstLine(const char* command) {
  FILE* p = popen(command, "r");
  if (!p) return "";
  std::string out;
  char buf[256];
  while (fgets(buf, sizeof buf, p)) out += buf;
  const int status = pclose(p);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return "";
  const std::size_t nl = out.find('\n');
  return nl == std::string::npos ? out : out.substr(0, nl);
}

/// The major version in "Docker version 20.10.24+dfsg1, build ..."; 0 when not found.
int DockerMajor(const std::string& line) {
  const std::string key = "version ";
  const std::size_t at = line.find(key);
  return at == std::string::npos ? 0 : std::atoi(line.c_str() + at + key.size());
}

}  // namespace

bool EngineFacts::DockerUsable(std::string* why) const {
  if (docker.empty()) {
    *why = "no docker CLI on PATH";
    return false;
  }
  if (skopeo.empty()) {
    *why = "no skopeo on PATH (it exports the built image as an OCI layout)";
    return false;
  }
  // From Docker 23 on, the CLI builds with BuildKit only through the buildx plugin.
  if (!buildx && DockerMajor(docker) >= 23) {
    *why = "this docker CLI needs the buildx plugin for BuildKit";
    return false;
  }
  return true;
}

bool BuildahRunsIn(bool namespaces_tier, bool root, const std::string& subordinate_problem,
                   std::string* why) {
  if (!namespaces_tier) {
    *why =
        "in the process tier the build uid has no user namespace of its own, so buildah "
        "can neither map ids nor mount its layers";
    return false;
  }
  if (!root && !subordinate_problem.empty()) {
    *why = "run unprivileged, the sandbox maps the user's subordinate ids for buildah, and " +
           subordinate_problem;
    return false;
  }
  return true;
}

bool EngineFacts::BuildahUsable(bool namespaces_tier, bool root,
                                const std::string& subordinate_problem, std::string* why) const {
  if (buildah.empty()) {
    *why = "no buildah on PATH";
    return false;
  }
  if (skopeo.empty()) {
    *why = "no skopeo on PATH (it copies the dependencies' images into buildah's store)";
    return false;
  }
  return BuildahRunsIn(namespaces_tier, root, subordinate_problem, why);
}

EngineFacts ProbeEngines() {
  EngineFacts f;
  f.docker = FirstLine("docker --version 2>/dev/null");
  if (!f.docker.empty()) f.buildx = !FirstLine("docker buildx version 2>/dev/null").empty();
  f.skopeo = FirstLine("skopeo --version 2>/dev/null");
  f.buildah = FirstLine("buildah --version 2>/dev/null");
  return f;
}

}  // namespace fanout::image
