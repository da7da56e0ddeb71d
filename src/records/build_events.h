// BUILD/.fanout/events.jsonl: one line per target start and end, appended by `fanout exec` as
// it happens, so `fanout build` can say what runs while Ninja (which reports an edge only when
// it ends) runs it (docs/build-directory.md). One JSON object per line, each written with a
// single write(2) to a file opened with O_APPEND: concurrent edges never interleave a line.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "records/field_table.h"
#include "records/target_status.h"

namespace fanout::records {

inline constexpr int kBuildEventVersion = 1;
/// Relative to the build directory.
inline constexpr const char* kBuildEventsPath = ".fanout/events.jsonl";

/// A target started (status unset) or ended (status set).
struct BuildEvent {
  std::string target;
  double time = 0;                     ///< unix seconds
  std::string pool;                    ///< "" when the target has none
  std::optional<TargetStatus> status;  ///< set on the end event
  std::optional<double> duration_seconds;
  std::optional<std::string> message;  ///< why it failed
  static const std::vector<Field<BuildEvent>>& Fields();
  bool operator==(const BuildEvent&) const = default;
};

/// The event as one line of events.jsonl, with its newline.
std::string EventLine(const BuildEvent& event);
/// Appends the event to BUILD/.fanout/events.jsonl (best effort: progress, not a result).
void AppendEvent(const std::string& build_dir, const BuildEvent& event);
/// The events in the complete lines of `text` (the file from some offset on); `consumed` gets
/// the length of those lines (an unterminated last line is still being written). A line that
/// is not a valid event (from another version) is skipped.
std::vector<BuildEvent> ParseEvents(std::string_view text, std::size_t* consumed = nullptr);

}  // namespace fanout::records
