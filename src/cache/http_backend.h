// A remote action cache over HTTP (docs/cache.md): the Bazel HTTP cache protocol, `GET`,
// `HEAD` and `PUT` on `<url>/ac/<key>` and `<url>/cas/<sha256>`, as bazel-remote, nginx with
// WebDAV, and buckets behind a proxy serve it. Any 2xx is success (bazel-remote answers 200,
// nginx 201 or 204), 404 is a miss. Requests have a connect timeout and a low-speed limit and
// are retried (transport errors, 5xx, 429) with a short backoff; what still fails is an error
// for the caller, which treats it as a miss and warns: a broken cache never fails a build.
// Credentials come from a netrc file or one header taken from an environment variable, never
// from the description, and never enter a sandbox.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "base/expected.h"
#include "cache/backend.h"

namespace fanout::cache {

struct HttpOptions {
  std::string url;         ///< base URL, without a trailing slash
  std::string netrc_file;  ///< empty: none
  std::string header;      ///< one "Name: value" line sent with every request; empty: none
  double connect_timeout_seconds = 5;
  /// A transfer slower than 1 KiB/s for this long is abandoned.
  double stall_timeout_seconds = 30;
  int retries = 2;  ///< attempts after the first
};

class HttpBackend : public Backend {
 public:
  /// Checks the URL (http or https, no query or fragment); does not connect.
  static Expected<std::unique_ptr<HttpBackend>> Create(const HttpOptions& options);
  ~HttpBackend() override;

  std::string Describe() const override;
  Expected<std::optional<std::string>> GetAction(const std::string& key) override;
  Status PutAction(const std::string& key, const std::string& bytes) override;
  Expected<bool> HasBlob(const BlobRef& blob) override;
  Expected<FetchOutcome> FetchBlob(const BlobRef& blob, int dest_fd,
                                   std::string* why = nullptr) override;
  Status PutBlob(const BlobRef& blob, const std::string& path) override;

 private:
  struct Impl;
  explicit HttpBackend(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace fanout::cache
