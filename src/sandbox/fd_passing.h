// Passing a file descriptor between processes over a Unix socket (SCM_RIGHTS): the sandboxed
// child hands its metadata guard listener (sandbox/metadata_guard.h) to the supervisor.
#pragma once

#include "base/expected.h"
#include "base/unique_fd.h"

namespace fanout::sandbox {

/// Sends `fd` over the connected Unix socket `socket` (SCM_RIGHTS).
Status SendFd(int socket, int fd);

/// Receives one fd sent with SendFd, close-on-exec, waiting at most `timeout_ms` (negative: no
/// bound). Fails when the peer closes without sending, so close your copy of its end first.
Expected<UniqueFd> ReceiveFd(int socket, int timeout_ms);

}  // namespace fanout::sandbox
