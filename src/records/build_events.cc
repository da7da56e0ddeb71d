#include "records/build_events.h"

#include <fcntl.h>
#include <unistd.h>

#include "base/unique_fd.h"

namespace fanout::records {

const std::vector<Field<BuildEvent>>& BuildEvent::Fields() {
  using R = BuildEvent;
  // clang-format off
  static const std::vector<Field<R>> kFields = {
      Required("target", &R::target),
      Required("time", &R::time),
      Required("pool", &R::pool),
      Optional("status", &R::status),
      Optional("duration_seconds", &R::duration_seconds),
      Optional("message", &R::message),
  };
  // clang-format on
  return kFields;
}

std::string EventLine(const BuildEvent& event) {
  Json j = Codec<BuildEvent>::Write(event);
  j["version"] = kBuildEventVersion;
  return j.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

void AppendEvent(const std::string& build_dir, const BuildEvent& event) {
  const std::string path = build_dir + "/" + kBuildEventsPath;
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) return;
  const std::string line = EventLine(event);
  if (write(fd.get(), line.data(), line.size()) < 0) {
    // progress only: a build goes on without it
  }
}

std::vector<BuildEvent> ParseEvents(std::string_view text, std::size_t* consumed) {
  std::vector<BuildEvent> events;
  const std::size_t size = text.size();
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    if (nl == std::string_view::npos) break;  // a line still being written
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) continue;
    // Not j.value("version", 0): it throws when the member is there with another type, and
    // the build monitor's thread would take the build down with it (found by
    // fuzz/fuzz_build_events).
    const auto version = j.find("version");
    if (version == j.end() || !version->is_number_integer() || *version != kBuildEventVersion) {
      continue;
    }
    j.erase("version");
    BuildEvent e;
    if (!Codec<BuildEvent>::Read(j, e)) events.push_back(std::move(e));
  }
  if (consumed) *consumed = size - text.size();
  return events;
}

}  // namespace fanout::records
