// Who a target's command runs as when fanout itself runs as root. Root's uid is never handed to
// a command: in the namespaces tier the command's user namespace maps its root to the first id
// of an unprivileged host range; in the process tier the command switches to that id and drops
// every capability. The range is, in order of preference: the /etc/subuid and /etc/subgid
// entries of a user named `fanout`, FANOUT_SANDBOX_IDS=START[:COUNT] in fanout's environment,
// or the default 1879048192:65536 (just above systemd's container range, used by no account).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/expected.h"

namespace fanout::sandbox {

/// The unprivileged host id range a root runner's commands run as.
struct BuildIdentity {
  bool active = false;      ///< false: fanout is not root, the command keeps the caller's ids
  uid_t uid = 0;            ///< first host uid of the range (the command's uid, or its root inside)
  gid_t gid = 0;            ///< first host gid of the range
  std::uint32_t count = 0;  ///< ids in the range (uids and gids alike)
  std::string origin;       ///< where the range came from, for `fanout doctor` and the record
};

/// The default range: 1879048192 (0x70000000), 65536 ids.
inline constexpr uid_t kDefaultBuildIdStart = 0x70000000;
inline constexpr std::uint32_t kDefaultBuildIdCount = 65536;

/// The identity commands run as: inactive unless the effective uid is 0. Fails when
/// FANOUT_SANDBOX_IDS is malformed or names a range that includes id 0.
Expected<BuildIdentity> ResolveBuildIdentity();

/// Parses START[:COUNT] (COUNT defaults to 65536); nullopt-like error when malformed.
Expected<BuildIdentity> ParseBuildIds(const std::string& text);

/// Writes the maps of the user namespace of `pid`: uid and gid 0 to `count` - 1 inside map to
/// the range's host ids, and inside gid `count` + i maps to `extra_gids[i]` (the groups of
/// declared sockets). Needs CAP_SETUID and CAP_SETGID outside (fanout runs as root). Returns an
/// error text, empty on success.
std::string WriteRangeIdMaps(pid_t pid, const BuildIdentity& id,
                             const std::vector<gid_t>& extra_gids);

/// Switches the calling (forked, single-threaded) process to `id`'s first uid and gid with
/// `groups` as its supplementary groups, after emptying the capability bounding set and the
/// ambient set; then checks that no capability is left. Returns an error text, empty on
/// success.
std::string DropToIdentity(const BuildIdentity& id, const std::vector<gid_t>& groups);

}  // namespace fanout::sandbox
