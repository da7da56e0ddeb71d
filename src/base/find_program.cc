#include "base/find_program.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include <fmt/format.h>

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

}  // namespace fanout
