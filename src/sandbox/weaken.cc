// Linked into each executable (not into the sandbox library), so that only the test binary
// `fanout-weakened` carries the switch; see weaken.h.
#include "sandbox/weaken.h"

#include <algorithm>
#include <cstdlib>

namespace fanout::sandbox {

#ifdef FANOUT_TEST_WEAKEN
bool Weakened(std::string_view layer) {
  const char* env = std::getenv("FANOUT_TEST_WEAKEN");
  if (!env) return false;
  std::string_view list(env);
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view item = list.substr(0, comma);
    if (item == layer || item == "all") return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

bool WeakenedOtherThan(std::initializer_list<std::string_view> layers) {
  const char* env = std::getenv("FANOUT_TEST_WEAKEN");
  if (!env) return false;
  std::string_view list(env);
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view item = list.substr(0, comma);
    if (!item.empty() && std::find(layers.begin(), layers.end(), item) == layers.end()) {
      return true;
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}
#else
bool Weakened(std::string_view) { return false; }
bool WeakenedOtherThan(std::initializer_list<std::string_view>) { return false; }
#endif

}  // namespace fanout::sandbox
