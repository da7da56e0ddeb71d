// The reader of BUILD/.fanout/events.jsonl (records/build_events.h), the log `fanout build`
// follows while Ninja runs. (fanout reads nothing from Ninja's own .ninja_log but its
// modification time, so this is the build log reader there is to fuzz.) Checks: no crash;
// `consumed` ends at a line boundary within the text; every event read writes back to a line
// that reads as the same event.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "records/build_events.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace records = fanout::records;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::size_t consumed = 0;
  const std::vector<records::BuildEvent> events = records::ParseEvents(text, &consumed);
  if (consumed > text.size()) __builtin_trap();
  if (consumed > 0 && text[consumed - 1] != '\n') __builtin_trap();
  for (const records::BuildEvent& event : events) {
    const std::vector<records::BuildEvent> again = records::ParseEvents(records::EventLine(event));
    if (again.size() != 1 || !(again[0] == event)) __builtin_trap();
  }
  return 0;
}
