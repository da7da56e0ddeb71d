// A container registry of the tests' own: Debian's docker-registry (distribution 2.8) on a
// loopback port, storing under a temporary directory, with htpasswd authentication; started
// once and stopped (and its storage removed) when the owner goes. Used by
// tests/e2e/publish_e2e_test.cc and tests/e2e/image_cache_e2e_test.cc.
#pragma once

#include <sys/types.h>

#include <string>

namespace fanout::testing {

class LocalRegistry {
 public:
  enum class Access {
    kPassword,   ///< htpasswd: every request needs authfile()'s credentials
    kAnonymous,  ///< no authentication (what a Docker daemon's cache import can reach)
  };
  /// Starts the registry; on failure error() says why (with the end of its log).
  explicit LocalRegistry(Access access = Access::kPassword);
  ~LocalRegistry();
  LocalRegistry(const LocalRegistry&) = delete;
  LocalRegistry& operator=(const LocalRegistry&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  /// "127.0.0.1:PORT"
  const std::string& host() const { return host_; }
  /// A credentials file (docker's config.json shape) that the registry accepts.
  const std::string& authfile() const { return authfile_; }
  /// The registry's log: one access-log line per HTTP request.
  std::string Log() const;

 private:
  std::string dir_, host_, authfile_, error_;
  pid_t pid_ = -1;
};

/// Why a registry cannot be run here ("" when it can): docker-registry must be installed
/// (scripts/setup installs it).
std::string RegistryMissing();

}  // namespace fanout::testing
