// The build's exec server: started by `fanout build` before Ninja, it runs each edge's
// `fanout exec` in a worker forked from itself, so that an edge costs a small client's start
// (src/edge/fanout_edge.cc) and a fork rather than the start of fanout with its libraries.
// The worker runs exactly the command line `fanout exec` would run, with the edge's standard
// streams, working directory, umask and environment; the sandbox is set up by it as by any
// `fanout exec`. docs/exec-server.md has the design, its protections and its figures; the
// exchange is in src/base/edge_wire.h.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/expected.h"
#include "base/unique_fd.h"

namespace fanout {

class CommandLine;  // cli/cli.h

/// The name `fanout build` gives its server's socket directory, then six random characters
/// (mkdtemp); the server removes only a directory so named when it ends.
inline constexpr std::string_view kExecServerDirPrefix = "fanout-exec-";

/// The dynamic loader's switch (ld.so(8)) `fanout build` starts its server with, set to 1:
/// every symbol bound once at the server's start instead of in each process it forks
/// (ExecServerProcess::Start says why). The server removes it from its environment first thing.
inline constexpr const char* kBindNowVariable = "LD_BIND_NOW";

/// `fanout exec-server --socket-fd N [--build-dir DIR]`: serves the listening Unix socket N
/// until SIGTERM, SIGINT or SIGHUP (or its parent's death), then stops its workers as Ninja
/// would stop edges (SIGTERM; each records its target as interrupted) and waits for them. The
/// secret a request must carry is read from $FANOUT_EXEC_SERVER_TOKEN, which is then removed
/// from the environment. Only a peer of this process's own uid is served. What every edge
/// would do first is done once, before the first fork: libgit2's set-up, the JSON parser's
/// choice of implementation, the command line of `fanout exec`, and, for the build directory
/// DIR when given, the sandbox probe.
int RunExecServer(int listen_fd, const std::string& build_dir);

/// One accepted connection, in the worker forked for it: reads and checks the request, runs
/// its `fanout exec` by `exec_command_line` (set up for `exec` by the server, once) and sends
/// the exit code. Never returns.
[[noreturn]] void ServeEdge(UniqueFd conn, const std::string& token,
                            CommandLine* exec_command_line);

/// The server as `fanout build` holds it: its process, socket and secret. Stopping it (or
/// destroying it) sends SIGTERM, waits for it and removes its socket's directory.
class ExecServerProcess {
 public:
  /// Makes a private directory (0700) under $TMPDIR or /tmp, listens there, and
  /// starts `/proc/self/exe exec-server` for the edges of `build_dir`. The socket listens
  /// before this returns, so every edge Ninja starts afterwards finds it.
  static Expected<ExecServerProcess> Start(const std::string& build_dir);

  ExecServerProcess() = default;
  ExecServerProcess(ExecServerProcess&& o) noexcept;
  ExecServerProcess& operator=(ExecServerProcess&& o) noexcept;
  ExecServerProcess(const ExecServerProcess&) = delete;
  ExecServerProcess& operator=(const ExecServerProcess&) = delete;
  ~ExecServerProcess() { Stop(); }

  pid_t pid() const { return pid_; }
  const std::string& socket_path() const { return socket_path_; }
  const std::string& token() const { return token_; }
  void Stop();

 private:
  pid_t pid_ = -1;
  UniqueFd pidfd_;
  std::string dir_;
  std::string socket_path_;
  std::string token_;
};

}  // namespace fanout
