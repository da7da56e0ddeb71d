// Finding a program as a shell would: the first executable regular file of that name in a
// directory of $PATH.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fanout {

/// The path of `name` in the first directory of $PATH (an empty entry is the current
/// directory; no $PATH: /usr/local/bin:/usr/bin:/bin) that holds an executable regular file of
/// that name; nullopt when none does.
std::optional<std::string> FindOnPath(std::string_view name);

/// The edge client (base/edge_wire.h) that goes with the fanout binary at the absolute path
/// `fanout_binary`: `fanout-edge` beside it (a build tree), or ../libexec/fanout/fanout-edge
/// from its directory (an installation, bin/ and libexec/ under one prefix); nullopt when
/// neither is an executable regular file.
std::optional<std::string> FindEdgeClient(std::string_view fanout_binary);

}  // namespace fanout
