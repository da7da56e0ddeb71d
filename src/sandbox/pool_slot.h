// A slot of a pool, held by `fanout exec --pool-slots` for as long as the target runs, for
// builds whose scheduler has no pools (GNU Make; docs/cli.md, `fanout exec`). Each of a pool's D
// slots is a lock file under BUILD/.fanout/pools/, held with flock(2): the kernel drops the lock
// when the holder dies in any way, SIGKILL included, so a killed build never leaks a slot. Under
// Ninja the generated edges do not ask for a slot: Ninja's own pools already limit them.
#pragma once

#include <functional>
#include <string>

#include "base/expected.h"
#include "base/unique_fd.h"

namespace fanout::sandbox {

/// What waiting for a slot ended with.
struct PoolSlot {
  UniqueFd lock;   ///< the held slot's lock file (close-on-exec); empty if interrupted
  int index = -1;  ///< which slot, 0 .. depth-1
  double waited_seconds = 0;
  int signal = 0;  ///< non-zero: SIGINT, SIGTERM or SIGHUP came while waiting
};

/// Takes a free slot of `pool` (depth `depth` >= 1), its lock files in `dir` (created if
/// missing), waiting while all are held. `on_wait` is called once, when the first try finds
/// every slot taken. `signal_fd` (a signalfd, or -1) ends the wait when an interrupt arrives.
Expected<PoolSlot> TakePoolSlot(const std::string& dir, const std::string& pool, int depth,
                                int signal_fd, const std::function<void()>& on_wait);

}  // namespace fanout::sandbox
