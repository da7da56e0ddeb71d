#include "cache/http_request.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>

#include <fmt/format.h>

#include "cache/libcurl.h"

namespace fanout::cache {
namespace {

using CurlHandle = std::unique_ptr<CURL, decltype(Libcurl::easy_cleanup)>;
using CurlSlist = std::unique_ptr<curl_slist, decltype(Libcurl::slist_free_all)>;

/// The result of curl_global_init, run once per process (it is not thread-safe).
CURLcode GlobalInit(const Libcurl& curl) {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [&curl] { result = curl.global_init(CURL_GLOBAL_DEFAULT); });
  return result;
}

/// Failures that the same request may not meet again a moment later. The rest come from the
/// request itself, the configuration or the caller's callbacks, and would only repeat.
bool IsTransient(CURLcode code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_LOGIN_DENIED:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_FILESIZE_EXCEEDED:
    case CURLE_TOO_MANY_REDIRECTS:
    case CURLE_WRITE_ERROR:
    case CURLE_READ_ERROR:
    case CURLE_ABORTED_BY_CALLBACK:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_OUT_OF_MEMORY:
      return false;
    default:
      return true;
  }
}

/// What the callbacks of one Perform share.
struct Transfer {
  const Libcurl* curl = nullptr;
  CURL* handle = nullptr;
  const HttpRequest* request = nullptr;
  std::uint64_t read_offset = 0;
  bool abandoned = false;
};

size_t OnWrite(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  long status = 0;
  transfer->curl->easy_getinfo(transfer->handle, CURLINFO_RESPONSE_CODE, &status);
  // Only a success's body is the caller's; an error page is read and dropped.
  if (status < 200 || status > 299 || !transfer->request->on_body) return bytes;
  if (!transfer->request->on_body(std::string_view(data, bytes))) {
    transfer->abandoned = true;
    return CURL_WRITEFUNC_ERROR;
  }
  return bytes;
}

size_t OnRead(char* buffer, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const HttpRequest& request = *transfer->request;
  const std::uint64_t left = request.body_size - std::min(request.body_size, transfer->read_offset);
  const size_t want = static_cast<size_t>(std::min<std::uint64_t>(size * count, left));
  if (want == 0) return 0;
  const std::int64_t got = request.read_body(transfer->read_offset, buffer, want);
  if (got <= 0) {
    // A file that ends before its announced size is as wrong as one that cannot be read.
    transfer->abandoned = true;
    return CURL_READFUNC_ABORT;
  }
  transfer->read_offset += static_cast<std::uint64_t>(got);
  return static_cast<size_t>(got);
}

// libcurl rewinds an upload to send it again (a redirect, an authentication round trip).
int OnSeek(void* user, curl_off_t offset, int origin) {
  auto* transfer = static_cast<Transfer*>(user);
  if (origin != SEEK_SET || offset < 0) return CURL_SEEKFUNC_CANTSEEK;
  transfer->read_offset = static_cast<std::uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

}  // namespace

const char* HttpMethodName(HttpMethod method) {
  switch (method) {
    case HttpMethod::kGet:
      return "GET";
    case HttpMethod::kHead:
      return "HEAD";
    case HttpMethod::kPut:
      return "PUT";
  }
  return "?";
}

Status CheckHeaderLine(const std::string& header) {
  const std::size_t colon = header.find(':');
  const std::string name = header.substr(0, colon);
  if (header.find_first_of("\r\n") != std::string::npos) {
    return MakeError(
        fmt::format("cache header '{}' holds a line break: give exactly one \"Name: value\" line",
                    name.substr(0, std::min(name.size(), name.find_first_of("\r\n")))));
  }
  if (colon == std::string::npos || colon == 0) {
    return MakeError(
        "the cache header is not a \"Name: value\" line: give a name, a colon and the value "
        "(e.g. \"Authorization: Bearer TOKEN\")");
  }
  for (const char c : name) {
    if (c <= ' ' || c == 0x7f) {
      return MakeError(fmt::format(
          "cache header name '{}' holds a space or control character: give \"Name: value\"", name));
    }
  }
  return {};
}

struct HttpClient::Impl {
  explicit Impl(const Libcurl& c)
      : curl(c), headers(nullptr, c.slist_free_all), handle(nullptr, c.easy_cleanup) {}

  const Libcurl& curl;
  HttpClientOptions options;
  CurlSlist headers;
  // libcurl keeps the pointer until the next reset, so it lives as long as the handle.
  char error_buffer[CURL_ERROR_SIZE] = "";
  CurlHandle handle;  // last: cleaned up first, while what it points to still exists

  /// Sets what every request of this client shares, after a reset.
  void SetCommonOptions() {
    CURL* h = handle.get();
    // Named as libcurl's function, so that curl.h's type-checking macro (typecheck-gcc.h)
    // still checks every option's value at compile time.
    const auto curl_easy_setopt = curl.easy_setopt;
    error_buffer[0] = '\0';
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "fanout-cache");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::ceil(options.connect_timeout_seconds * 1000)));
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME,
                     std::max(1L, static_cast<long>(std::ceil(options.stall_timeout_seconds))));
    curl_easy_setopt(h, CURLOPT_FAILONERROR, 0L);
    if (!options.netrc_file.empty()) {
      curl_easy_setopt(h, CURLOPT_NETRC, static_cast<long>(CURL_NETRC_REQUIRED));
      curl_easy_setopt(h, CURLOPT_NETRC_FILE, options.netrc_file.c_str());
    }
    if (headers) curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  }
};

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() = default;

Expected<std::unique_ptr<HttpClient>> HttpClient::Create(const HttpClientOptions& options) {
  auto loaded = LoadLibcurl();
  if (!loaded.ok()) return loaded.error();
  const Libcurl& curl = **loaded;
  if (const CURLcode code = GlobalInit(curl); code != CURLE_OK) {
    return MakeError(fmt::format("cannot initialise libcurl: {}", curl.easy_strerror(code)));
  }
  auto impl = std::make_unique<Impl>(curl);
  impl->options = options;
  if (!options.header.empty()) {
    FANOUT_TRY(CheckHeaderLine(options.header));
    impl->headers.reset(curl.slist_append(nullptr, options.header.c_str()));
    if (!impl->headers) return MakeError("cannot initialise libcurl: out of memory");
  }
  impl->handle.reset(curl.easy_init());
  if (!impl->handle) return MakeError("cannot initialise libcurl: curl_easy_init failed");
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

HttpResponse HttpClient::Perform(const HttpRequest& request) {
  const Libcurl& curl = impl_->curl;
  const auto curl_easy_setopt = curl.easy_setopt;  // see SetCommonOptions
  CURL* h = impl_->handle.get();
  // A reset forgets the last request's options but keeps its connection open for this one.
  curl.easy_reset(h);
  impl_->SetCommonOptions();
  Transfer transfer;
  transfer.curl = &curl;
  transfer.handle = h;
  transfer.request = &request;
  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnWrite);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
  const bool follow = request.method != HttpMethod::kPut && impl_->options.header.empty();
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, follow ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
  switch (request.method) {
    case HttpMethod::kGet:
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
      break;
    case HttpMethod::kHead:
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
      break;
    case HttpMethod::kPut:
      // A known size: libcurl sends Content-Length and never chunks.
      curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body_size));
      curl_easy_setopt(h, CURLOPT_READFUNCTION, &OnRead);
      curl_easy_setopt(h, CURLOPT_READDATA, &transfer);
      curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, &OnSeek);
      curl_easy_setopt(h, CURLOPT_SEEKDATA, &transfer);
      break;
  }
  const CURLcode code = curl.easy_perform(h);
  HttpResponse response;
  response.abandoned = transfer.abandoned;
  if (code != CURLE_OK) {
    response.transport_error =
        impl_->error_buffer[0] ? impl_->error_buffer : curl.easy_strerror(code);
    response.transient = !transfer.abandoned && IsTransient(code);
    return response;
  }
  long status = 0;
  curl.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  curl_off_t length = -1;
  if (curl.easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK &&
      length >= 0) {
    response.content_length = static_cast<std::uint64_t>(length);
  }
  return response;
}

}  // namespace fanout::cache
