// A remote action cache of the tests' own: Debian's nginx with its WebDAV module on a loopback
// port, as docs/cache.md suggests serving one, run from a temporary prefix (its configuration,
// logs, temporary files and store) as a single process of the current user, so it runs and
// writes its store as root or not. Started by the constructor, stopped (and its prefix
// removed) when the owner goes; Stop() and Start() take it away and bring it back on the same
// port. Used by tests/e2e/http_cache_e2e_test.cc.
#pragma once

#include <sys/types.h>

#include <string>

#include "test_util.h"

namespace fanout::testing {

class NginxDav {
 public:
  /// The header line TokenUrl() requires.
  static constexpr const char* kTokenHeader = "X-Fanout-Token: abc";

  /// Starts nginx; on failure error() says why (with the end of its error log).
  NginxDav();
  ~NginxDav();
  NginxDav(const NginxDav&) = delete;
  NginxDav& operator=(const NginxDav&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  /// Stops the server (SIGTERM, then SIGKILL) and waits for it; the store stays.
  void Stop();
  /// Starts the server again on the same port; false (and error()) when it does not answer.
  bool Start();

  /// "http://127.0.0.1:PORT/cache": GET, HEAD and PUT below it, for anyone.
  std::string Url() const { return Location("cache"); }
  /// The same store, for requests with the credentials of NetrcFile() only (else 401).
  std::string AuthUrl() const { return Location("auth"); }
  /// The same store, for requests with kTokenHeader only (else 403).
  std::string TokenUrl() const { return Location("token"); }
  /// A location that answers every request with HTTP 500.
  std::string BrokenUrl() const { return Location("broken"); }
  /// The directory the locations serve: `ac/` and `cas/` appear below it.
  std::string StorePath() const { return dir_ / "store"; }
  /// A netrc file with the credentials AuthUrl() accepts.
  std::string NetrcFile() const { return dir_ / "netrc"; }
  /// One line per request answered so far: "METHOD URI STATUS len=CONTENT-LENGTH
  /// te=TRANSFER-ENCODING" ("-" for a header not sent). Waits (a few milliseconds) until the
  /// lines of every request answered before the call are written.
  std::string AccessLog();

 private:
  std::string Location(const std::string& name) const;
  /// Writes the configuration for port_, spawns nginx and waits until it accepts connections.
  bool Spawn();

  TempDir dir_;
  std::string error_;
  int port_ = -1;
  pid_t pid_ = -1;
  int syncs_ = 0;
};

/// Why nginx cannot be run here ("" when it can): Debian's nginx, with its WebDAV module, must
/// be installed (scripts/setup installs it).
std::string NginxMissing();

}  // namespace fanout::testing
