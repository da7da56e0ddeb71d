// BUILD/.fanout/source.json: the source the snapshot step resolved (git/source.h's
// SourceState), written by the snapshot and read by every edge (`fanout exec`) and by gather.
// Its fields are listed once (source_state.cc) for writing and reading.
#pragma once

#include <string>

#include "base/expected.h"
#include "git/source.h"

namespace fanout {

/// source.json's text for `state` (2-space indent, sorted keys).
std::string SourceStateToJson(const SourceState& state);

/// Parses source.json's text; errors name `path` and say to run the snapshot again.
Expected<SourceState> SourceStateFromJson(const std::string& text, const std::string& path);

/// Reads BUILD/.fanout/source.json; a missing file says the snapshot step writes it.
Expected<SourceState> ReadSourceState(const std::string& build_dir);

}  // namespace fanout
