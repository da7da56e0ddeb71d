#include "sandbox/exec_profile.h"

#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <utility>
#include <vector>

#include "base/json_writer.h"
#include "base/unique_fd.h"
#include "sandbox/isolate_tiers.h"

namespace fanout::sandbox::profile {

namespace {

/// The file named by $FANOUT_EXEC_PROFILE, or nullptr (read once).
const char* Path() {
  static const char* const path = [] {
    const char* p = std::getenv("FANOUT_EXEC_PROFILE");
    return p && *p ? p : nullptr;
  }();
  return path;
}

struct State {
  double start = MonotonicSeconds();
  double last = start;
  std::vector<std::pair<std::string, double>> phases;
  std::vector<std::pair<std::string, double>> points;
  bool served = false;
};

State& Get() {
  static State state;
  return state;
}

}  // namespace

bool Enabled() { return Path() != nullptr; }

void Begin() {
  if (Enabled()) Get();
}

void Mark(std::string_view phase) {
  if (!Enabled()) return;
  State& s = Get();
  const double now = MonotonicSeconds();
  s.phases.emplace_back(std::string(phase), now - s.last);
  s.last = now;
}

void Point(std::string_view name, double monotonic_seconds) {
  if (!Enabled()) return;
  Get().points.emplace_back(std::string(name), monotonic_seconds);
}

void Served() {
  if (Enabled()) Get().served = true;
}

void Write(std::string_view target) {
  if (!Enabled()) return;
  State& s = Get();
  auto us = [](double seconds) { return static_cast<std::int64_t>(std::llround(seconds * 1e6)); };
  std::string line;
  JsonWriter w(&line);
  w.BeginObject();
  w.Key("end_us");
  w.Int(us(s.last));  // the end of the last phase, so that the phases add up to end - start
  w.Key("phases");
  w.BeginArray();
  for (const auto& [name, seconds] : s.phases) {
    w.BeginArray();
    w.String(name);
    w.Int(us(seconds));
    w.EndArray();
  }
  w.EndArray();
  w.Key("points_us");
  w.BeginObject();
  for (const auto& [name, t] : s.points) {
    w.Key(name);
    w.Int(us(t));
  }
  w.EndObject();
  w.Key("served");
  w.Bool(s.served);
  w.Key("start_us");
  w.Int(us(s.start));
  w.Key("target");
  w.String(target);
  w.EndObject();
  line += '\n';
  // One write of one line in append mode: concurrent edges do not interleave.
  UniqueFd fd(open(Path(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (fd && write(fd.get(), line.data(), line.size()) < 0) {
  }
}

}  // namespace fanout::sandbox::profile
