// What the edge client (src/edge/fanout_edge.cc) and the build's exec server
// (src/cli/exec_server.h) say to each other over the server's Unix socket. docs/exec-server.md
// describes the exchange; this header is its one definition, and plain data only: the client
// is linked without the C++ library (it is started once per edge, and its start-up is the
// point of it).
//
// 1. The client connects and sends one message: an EdgeRequest, then `payload_bytes` of
//    NUL-terminated strings (the `argc` arguments, then the `envc` environment entries), with
//    four descriptors attached (SCM_RIGHTS): its standard input, output and error, and its
//    working directory (O_PATH).
// 2. The server answers kEdgeAccepted with the worker's pidfd attached (the client forwards its
//    signals to it), or kEdgeRefused with a reason and no descriptor; the client then runs
//    `fanout` itself, as it would have without a server.
// 3. When the run ends the worker sends kEdgeExited with the exit code, and the client exits
//    with it; a worker killed by signal N (as `fanout exec` re-raises an interruption) is
//    reported by the server as kEdgeKilled N, and the client dies by SIGINT, SIGTERM or SIGHUP
//    likewise, so that Ninja sees an interrupted edge, or exits with 128+N.
#pragma once

#include <stdint.h>

namespace fanout::edge {

/// The environment variables `fanout build` gives Ninja (and so each edge's client): the
/// socket's path, and the secret a request must carry. Neither reaches a target's command.
inline constexpr const char kServerVariable[] = "FANOUT_EXEC_SERVER";
inline constexpr const char kTokenVariable[] = "FANOUT_EXEC_SERVER_TOKEN";

/// The client's file name, next to the `fanout` binary or in ../libexec/fanout/ from it.
inline constexpr const char kClientName[] = "fanout-edge";

inline constexpr uint32_t kMagic = 0x46584531;  // "FXE1"
inline constexpr uint32_t kTokenBytes = 64;     // hex of 32 random bytes
/// A request's strings are at most this long (Linux's own limit on arguments and environment
/// is a quarter of the stack limit, 2 MiB by default).
inline constexpr uint32_t kMaxPayloadBytes = 8u << 20;
/// The descriptors a request carries, in order.
inline constexpr int kRequestFds = 4;

struct EdgeRequest {
  uint32_t magic;
  uint32_t umask;
  uint32_t argc;  ///< argv[0] is the fanout binary the edge names; argv[1] must be "exec"
  uint32_t envc;
  uint32_t payload_bytes;
  char token[kTokenBytes];
};

enum EdgeReplyKind : uint32_t {
  kEdgeAccepted = 1,  ///< a pidfd of the worker is attached
  kEdgeRefused = 2,   ///< `value` is an EdgeRefusal
  kEdgeExited = 3,    ///< `value` is the exit code
  kEdgeKilled = 4,    ///< the worker was killed by signal `value`
};

enum EdgeRefusal : int32_t {
  kRefusedMalformed = 1,    ///< not a request of this version
  kRefusedToken = 2,        ///< the secret is wrong
  kRefusedCommand = 3,      ///< not `exec`, or another fanout binary than the server's
  kRefusedUnavailable = 4,  ///< the server cannot start a worker (or is stopping)
};

struct EdgeReply {
  uint32_t kind;
  int32_t value;
};

}  // namespace fanout::edge
