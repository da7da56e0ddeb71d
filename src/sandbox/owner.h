// The owner of what a sandboxed command may write: its private copy, home and tmp, and the
// bases an overlay is made from. When fanout runs as root that is the build uid (identity.h),
// since the command never runs as root; otherwise nothing is changed.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <string>

#include "base/expected.h"

namespace fanout::sandbox {

/// Who owns what a command may write (its copy, home and tmp): the build uid when fanout runs
/// as root (identity.h), else whoever fanout runs as (nothing is changed).
struct Owner {
  bool active = false;
  uid_t uid = 0;
  gid_t gid = 0;
  /// Whether `st` is owned as it should be (always, when inactive).
  bool Owns(const struct stat& st) const {
    return !active || (st.st_uid == uid && st.st_gid == gid);
  }
  /// lchown `path` to the owner (nothing when inactive).
  Status Apply(const std::string& path) const;
  /// Apply to `root` and everything beneath it, without following symlinks.
  Status ApplyTree(const std::string& root) const;
};

}  // namespace fanout::sandbox
