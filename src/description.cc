#include "src/description.h"

#include <algorithm>

namespace fanout {

const Target* Description::FindTarget(const std::string& name) const {
  auto it = std::lower_bound(targets.begin(), targets.end(), name,
                             [](const Target& t, const std::string& n) { return t.name < n; });
  if (it == targets.end() || it->name != name) return nullptr;
  return &*it;
}

std::string FormatDuration(std::int64_t seconds) {
  if (seconds == 0) return "0s";
  std::string out;
  const std::int64_t h = seconds / 3600, m = (seconds % 3600) / 60, s = seconds % 60;
  if (h) out += std::to_string(h) + "h";
  if (m) out += std::to_string(m) + "m";
  if (s) out += std::to_string(s) + "s";
  return out;
}

}  // namespace fanout
