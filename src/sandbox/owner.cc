#include "sandbox/owner.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "sandbox/fs_util.h"

namespace fanout::sandbox {

Status Owner::Apply(const std::string& path) const {
  if (!active) return {};
  if (fchownat(AT_FDCWD, path.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0) {
    return MakeError(
        fmt::format("cannot give '{}' to the build uid {}: {}", path, uid, std::strerror(errno)));
  }
  return {};
}

Status Owner::ApplyTree(const std::string& root) const {
  if (!active) return {};
  FANOUT_TRY(Apply(root));
  Status inner;
  FANOUT_TRY(WalkDir(root, [&](const WalkEntry& e) {
    if (inner.ok() && !Owns(e.st) &&
        fchownat(e.dirfd, e.name, uid, gid, AT_SYMLINK_NOFOLLOW) != 0) {
      inner = MakeError(fmt::format("cannot give '{}/{}' to uid {}: {}", root, e.path, uid,
                                    std::strerror(errno)));
    }
    return WalkAction::kContinue;
  }));
  return inner;
}

}  // namespace fanout::sandbox
