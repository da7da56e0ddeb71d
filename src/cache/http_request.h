// One libcurl easy handle for the HTTP cache (cache/http_backend.h): requests one at a time,
// on a connection kept alive between them, each with the connect timeout, the low-speed limit,
// the credentials and the extra header of its client. A request's body is read from the caller
// as it is sent, and an answer's body handed to the caller as it comes, so neither is ever
// held whole in memory. This layer knows HTTP, not the cache: it reports the status and leaves
// what it means (hit, miss, retry) to its caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/expected.h"

namespace fanout::cache {

/// What every request of a client shares.
struct HttpClientOptions {
  std::string netrc_file;  ///< empty: none
  std::string header;      ///< one "Name: value" line; empty: none
  double connect_timeout_seconds = 5;
  double stall_timeout_seconds = 30;  ///< below 1 KiB/s for this long: abandoned
};

enum class HttpMethod { kGet, kHead, kPut };

/// "GET", "HEAD", "PUT".
const char* HttpMethodName(HttpMethod method);

/// One request.
struct HttpRequest {
  HttpMethod method = HttpMethod::kGet;
  std::string url;
  /// PUT: the body's exact size (sent as Content-Length) and its reader, which fills `buffer`
  /// with up to `length` bytes from byte `offset` of the body and returns how many, or -1 to
  /// abandon the request (the reader keeps its own reason).
  std::uint64_t body_size = 0;
  std::function<std::int64_t(std::uint64_t offset, char* buffer, std::size_t length)> read_body;
  /// GET: receives each piece of the body of a 2xx answer, in order; never a byte of any other
  /// answer's body (a 404 page). Returning false abandons the request. Unset: bodies dropped.
  std::function<bool(std::string_view piece)> on_body;
};

/// How a request ended.
struct HttpResponse {
  int status = 0;  ///< the final HTTP status; 0 when no answer came
  /// Why no (complete) answer came: the transport's message; empty when one did.
  std::string transport_error;
  /// The transport failure may pass (refused, reset, timed out) rather than being a fault of
  /// the request or the configuration (a malformed URL, a certificate that is not trusted).
  bool transient = false;
  /// read_body or on_body abandoned the request.
  bool abandoned = false;
  /// The answer's Content-Length, when it gave one.
  std::optional<std::uint64_t> content_length;
};

/// An easy handle, reused for keep-alive. Not safe for use by two threads at once. GET and HEAD
/// follow redirects (to http or https, at most 5) unless a header is set, which libcurl would
/// send on to whatever host a redirect names; PUT never follows one.
class HttpClient {
 public:
  /// Fails only when libcurl cannot be initialised or the header is not one "Name: value" line.
  static Expected<std::unique_ptr<HttpClient>> Create(const HttpClientOptions& options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// Sends `request` once and waits for the whole answer (no retries here).
  HttpResponse Perform(const HttpRequest& request);

 private:
  struct Impl;
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Checks a header line for HttpClientOptions::header: "Name: value", a name of visible
/// characters, no CR or LF. The error names the header's name, never its value (a secret).
Status CheckHeaderLine(const std::string& header);

}  // namespace fanout::cache
