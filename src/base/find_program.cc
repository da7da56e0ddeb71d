#include "base/find_program.h"

#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include <fmt/format.h>

#include "base/edge_wire.h"

namespace fanout {

std::optional<std::string> FindOnPath(std::string_view name) {
  const char* path = getenv("PATH");
  std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    const std::size_t colon = dirs.find(':');
    const std::string_view dir = dirs.substr(0, colon);
    std::string program = fmt::format("{}/{}", dir.empty() ? "." : dir, name);
    struct stat st;
    if (stat(program.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        access(program.c_str(), X_OK) == 0) {
      return program;
    }
    if (colon == std::string_view::npos) return std::nullopt;
    dirs.remove_prefix(colon + 1);
  }
}

std::optional<std::string> FindEdgeClient(std::string_view fanout_binary) {
  const std::size_t slash = fanout_binary.rfind('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string_view dir = fanout_binary.substr(0, slash);
  for (const std::string& candidate :
       {fmt::format("{}/{}", dir, edge::kClientName),
        fmt::format("{}/../libexec/fanout/{}", dir, edge::kClientName)}) {
    struct stat st;
    char real[PATH_MAX];
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        access(candidate.c_str(), X_OK) == 0 && realpath(candidate.c_str(), real)) {
      return std::string(real);
    }
  }
  return std::nullopt;
}

}  // namespace fanout
