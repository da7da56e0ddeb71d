// The subordinate id ranges (/etc/subuid, /etc/subgid) of the user an unprivileged fanout runs
// as, and the setuid helpers that map them into a user namespace (newuidmap and newgidmap, from
// Debian's `uidmap`). A user namespace an unprivileged process makes for itself can map only
// its own id; an image build needs many (layers hold files of many owners, and RUN steps set
// supplementary groups), so the buildah engine's sandbox, run unprivileged, maps its root to the
// user and ids 1.. to the user's range, as rootless podman and buildah do (docs/images.md).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "base/expected.h"

namespace fanout::sandbox {

/// The caller's ids and its subordinate ranges, with the helpers that map them.
struct SubordinateIds {
  uid_t uid = 0;            ///< the caller's uid: the namespace's root
  gid_t gid = 0;            ///< the caller's gid: the namespace's group 0
  uid_t uid_start = 0;      ///< first subordinate uid: the namespace's uid 1
  gid_t gid_start = 0;      ///< first subordinate gid: the namespace's gid 1
  std::uint32_t range = 0;  ///< subordinate ids mapped (the smaller of the two ranges)
  std::string newuidmap;    ///< the helpers' paths
  std::string newgidmap;
  /// Ids the namespace holds: 0 (the caller) and 1 to `range`.
  std::uint32_t count() const { return range + 1; }
};

/// The START and COUNT of the first well-formed "NAME:START:COUNT" line of `text` (the format
/// of /etc/subuid and /etc/subgid) whose NAME is `name` or, when given, the decimal `id`;
/// false when none.
bool FindSubordinateRange(const std::string& text, const std::string& name,
                          std::optional<std::uint64_t> id, std::uint64_t* start,
                          std::uint64_t* count);

/// The calling (unprivileged) user's ranges and helpers; an error saying what is missing and
/// how to add it when the user has no range or the helpers are not installed.
Expected<SubordinateIds> FindSubordinateIds();

/// Maps the user namespace of `pid` (a process the caller made, waiting to be mapped) with the
/// helpers: inside 0 is the caller, 1 to `range` the subordinate ids, for uids and gids alike.
/// The namespace keeps `setgroups` allowed. Returns an error text, empty on success.
std::string MapSubordinateIds(pid_t pid, const SubordinateIds& ids);

}  // namespace fanout::sandbox
