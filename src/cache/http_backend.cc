#include "cache/http_backend.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "base/file_util.h"
#include "base/sha256.h"
#include "base/unique_fd.h"
#include "cache/http_request.h"
#include "cache/libcurl.h"

namespace fanout::cache {
namespace {

/// An action result is a few hundred bytes; anything this large under `ac/` is not one.
constexpr std::size_t kMaxActionBytes = 16 << 20;

/// `url` without "user:password@" in its authority, for messages.
std::string WithoutUserinfo(const std::string& url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  const std::size_t authority = scheme_end + 3;
  std::size_t authority_end = url.find_first_of("/?#", authority);
  if (authority_end == std::string::npos) authority_end = url.size();
  const std::size_t at = url.substr(0, authority_end).rfind('@');
  if (at == std::string::npos || at < authority) return url;
  return url.substr(0, authority) + url.substr(at + 1);
}

/// Checks `url` as HttpOptions::url (see Create) and returns it without one trailing slash.
Expected<std::string> CheckUrl(const std::string& url) {
  if (url.empty()) {
    return MakeError("the cache URL is empty: give one such as https://cache.example/fanout");
  }
  const std::string shown = WithoutUserinfo(url);
  for (const char c : url) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return MakeError(fmt::format(
          "cache URL '{}' holds a space or control character: percent-encode it", shown));
    }
  }
  std::string scheme = url.substr(0, std::min(url.find("://"), url.size()));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (url.find("://") == std::string::npos || (scheme != "http" && scheme != "https")) {
    return MakeError(fmt::format("cache URL '{}': only http:// and https:// are supported", shown));
  }
  if (url.find('#') != std::string::npos) {
    return MakeError(fmt::format(
        "cache URL '{}' has a fragment ('#...'): give the base URL without one", shown));
  }
  if (url.find('?') != std::string::npos) {
    return MakeError(fmt::format(
        "cache URL '{}' has a query ('?...'): give the base URL without one; credentials go "
        "in a netrc file or a header",
        shown));
  }
  const std::size_t host = shown.find("://") + 3;
  if (host >= shown.size() || shown[host] == '/' || shown[host] == ':') {
    return MakeError(fmt::format(
        "cache URL '{}' names no host: give one such as https://cache.example/fanout", shown));
  }
  // libcurl's own parser has the last word (a port out of range, a malformed IPv6 address).
  // Without libcurl there is no remote cache at all, which creating the client reports.
  if (auto loaded = LoadLibcurl(); loaded.ok()) {
    const Libcurl& curl = **loaded;
    std::unique_ptr<CURLU, void (*)(CURLU*)> parsed(curl.url(), curl.url_cleanup);
    if (!parsed) return MakeError("cannot check the cache URL: out of memory");
    if (const CURLUcode code = curl.url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0)) {
      return MakeError(
          fmt::format("cache URL '{}' is not a valid URL: {}", shown, curl.url_strerror(code)));
    }
  }
  std::string base = url;
  if (base.back() == '/') base.pop_back();
  return base;
}

/// Checks a key or digest: the protocol's names are 64 lowercase hex digits, and nothing else
/// may reach a URL's path.
Status CheckName(const std::string& name, const char* what) {
  const bool ok = name.size() == 64 && std::all_of(name.begin(), name.end(), [](char c) {
                    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                  });
  if (ok) return {};
  return MakeError(fmt::format("{} '{}' is not 64 lowercase hex digits", what, name));
}

HttpRequest Request(HttpMethod method, std::string url, std::uint64_t body_size = 0) {
  HttpRequest request;
  request.method = method;
  request.url = std::move(url);
  request.body_size = body_size;
  return request;
}

bool IsSuccess(int status) { return status >= 200 && status <= 299; }

/// Whether another attempt may fare better.
bool WorthRetrying(const HttpResponse& response) {
  if (response.abandoned) return false;
  if (response.status == 0) return response.transient;
  return response.status >= 500 || response.status == 429;
}

/// What a status usually means for a cache, and what to do about it.
std::string StatusHint(int status) {
  switch (status) {
    case 401:
      return ": the server wants credentials; check the netrc file or the header the cache "
             "is given";
    case 403:
      return ": the server refuses this request with these credentials; check them and the "
             "server's permissions";
    case 405:
      return ": the server does not allow this method here (nginx needs 'dav_methods PUT')";
    case 413:
      return ": the body is larger than the server accepts (nginx: 'client_max_body_size 0')";
    default:
      if (status >= 300 && status <= 399) {
        return ": redirects are not followed for PUT or when a header is set; give the final "
               "URL";
      }
      return "";
  }
}

}  // namespace

struct HttpBackend::Impl {
  HttpOptions options;
  std::string base_url;   // as given, credentials and all
  std::string described;  // without credentials
  std::unique_ptr<HttpClient> client;
  std::mutex mutex;  // one request at a time on the one handle

  struct Sent {
    HttpResponse response;
    int attempts = 0;
  };

  /// Sends `request` until it gets an answer that another attempt would not change, at most
  /// 1 + retries times; `rewind` (when set) undoes what a failed attempt left behind.
  Expected<Sent> Send(const HttpRequest& request, const std::function<Status()>& rewind = {}) {
    Sent sent;
    const int attempts = 1 + std::max(0, options.retries);
    auto backoff = std::chrono::milliseconds(200);
    for (;;) {
      sent.response = client->Perform(request);
      ++sent.attempts;
      if (sent.attempts >= attempts || !WorthRetrying(sent.response)) return sent;
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 4, std::chrono::milliseconds(3200));
      if (rewind) FANOUT_TRY(rewind());
    }
  }

  /// The error for a request that did not succeed: what was asked, of which URL (without
  /// credentials), what came back, and how often it was tried.
  Error Failure(const HttpRequest& request, const Sent& sent) const {
    const std::string tries =
        sent.attempts > 1 ? fmt::format(" (after {} attempts)", sent.attempts) : "";
    const std::string what =
        fmt::format("{} {}", HttpMethodName(request.method), WithoutUserinfo(request.url));
    if (sent.response.status == 0) {
      return MakeError(
          fmt::format("cache request {} failed: {}{}", what, sent.response.transport_error, tries));
    }
    return MakeError(fmt::format("cache server answered HTTP {} to {}{}{}", sent.response.status,
                                 what, StatusHint(sent.response.status), tries));
  }

  std::string Url(const char* space, const std::string& name) const {
    return fmt::format("{}/{}/{}", base_url, space, name);
  }

  Expected<bool> Has(const BlobRef& blob) {
    HttpRequest request = Request(HttpMethod::kHead, Url("cas", blob.sha256));
    auto sent = Send(request);
    if (!sent.ok()) return sent.error();
    const HttpResponse& response = sent->response;
    if (response.status == 404) return false;
    if (!IsSuccess(response.status)) return Failure(request, *sent);
    // A stored blob of another size is as good as absent: storing it again repairs it.
    return !response.content_length || *response.content_length == blob.size;
  }

  Status Put(const HttpRequest& request) {
    auto sent = Send(request);
    if (!sent.ok()) return sent.error();
    if (!IsSuccess(sent->response.status)) return Failure(request, *sent);
    return {};
  }
};

HttpBackend::HttpBackend(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpBackend::~HttpBackend() = default;

Expected<std::unique_ptr<HttpBackend>> HttpBackend::Create(const HttpOptions& options) {
  auto base = CheckUrl(options.url);
  if (!base.ok()) return base.error();
  if (!options.header.empty()) FANOUT_TRY(CheckHeaderLine(options.header));
  if (!options.netrc_file.empty() && access(options.netrc_file.c_str(), R_OK) != 0) {
    return MakeError(fmt::format("cannot read the cache's netrc file '{}': {}", options.netrc_file,
                                 std::strerror(errno)));
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->base_url = *base;
  impl->described = WithoutUserinfo(*base);
  auto client =
      HttpClient::Create({options.netrc_file, options.header, options.connect_timeout_seconds,
                          options.stall_timeout_seconds});
  if (!client.ok()) return client.error();
  impl->client = std::move(*client);
  return std::unique_ptr<HttpBackend>(new HttpBackend(std::move(impl)));
}

std::string HttpBackend::Describe() const { return impl_->described; }

Expected<std::optional<std::string>> HttpBackend::GetAction(const std::string& key) {
  FANOUT_TRY(CheckName(key, "action key"));
  std::lock_guard lock(impl_->mutex);
  std::string body;
  bool too_large = false;
  HttpRequest request = Request(HttpMethod::kGet, impl_->Url("ac", key));
  request.on_body = [&](std::string_view piece) {
    too_large = body.size() + piece.size() > kMaxActionBytes;
    if (!too_large) body.append(piece);
    return !too_large;
  };
  auto sent = impl_->Send(request, [&]() -> Status {
    body.clear();
    return {};
  });
  if (!sent.ok()) return sent.error();
  if (too_large) {
    return MakeError(fmt::format(
        "cache entry {} is larger than {} MiB, so not an action result of fanout's: remove it "
        "from the server",
        WithoutUserinfo(request.url), kMaxActionBytes >> 20));
  }
  if (sent->response.status == 404) return std::optional<std::string>();
  if (!IsSuccess(sent->response.status)) return impl_->Failure(request, *sent);
  return std::optional<std::string>(std::move(body));
}

Status HttpBackend::PutAction(const std::string& key, const std::string& bytes) {
  FANOUT_TRY(CheckName(key, "action key"));
  std::lock_guard lock(impl_->mutex);
  HttpRequest request = Request(HttpMethod::kPut, impl_->Url("ac", key), bytes.size());
  request.read_body = [&](std::uint64_t offset, char* buffer, std::size_t length) {
    const std::size_t n = std::min<std::size_t>(length, bytes.size() - offset);
    std::memcpy(buffer, bytes.data() + offset, n);
    return static_cast<std::int64_t>(n);
  };
  return impl_->Put(request);
}

Expected<bool> HttpBackend::HasBlob(const BlobRef& blob) {
  FANOUT_TRY(CheckName(blob.sha256, "blob digest"));
  std::lock_guard lock(impl_->mutex);
  return impl_->Has(blob);
}

Expected<FetchOutcome> HttpBackend::FetchBlob(const BlobRef& blob, int dest_fd, std::string* why) {
  FANOUT_TRY(CheckName(blob.sha256, "blob digest"));
  std::lock_guard lock(impl_->mutex);
  // Where this blob starts in dest_fd: a retry cuts the file back to it.
  const off_t start = lseek(dest_fd, 0, SEEK_CUR);
  std::optional<Sha256> hash;
  hash.emplace();
  std::uint64_t received = 0;
  bool too_large = false;
  int write_errno = 0;
  auto cut_back = [&]() -> Status {
    if (received > 0 &&
        (start < 0 || ftruncate(dest_fd, start) != 0 || lseek(dest_fd, start, SEEK_SET) < 0)) {
      return MakeError(fmt::format("cannot start blob {} over after a failed download: {}",
                                   blob.sha256, std::strerror(start < 0 ? ESPIPE : errno)));
    }
    hash.reset();
    hash.emplace();
    received = 0;
    return {};
  };
  HttpRequest request = Request(HttpMethod::kGet, impl_->Url("cas", blob.sha256));
  request.on_body = [&](std::string_view piece) {
    if (received + piece.size() > blob.size) {
      too_large = true;
      return false;
    }
    if ((write_errno = WriteAllToFd(dest_fd, piece)) != 0) return false;
    hash->Update(piece);
    received += piece.size();
    return true;
  };
  auto sent = impl_->Send(request, cut_back);
  if (!sent.ok()) return sent.error();
  if (too_large) {
    if (why) *why = fmt::format("the server sent more than the blob's {} bytes", blob.size);
    return FetchOutcome::kCorrupt;
  }
  const int status = sent->response.status;
  if (write_errno != 0 || (!IsSuccess(status) && status != 404)) {
    (void)cut_back();  // best effort: the caller discards the file anyway
    if (write_errno != 0) {
      return MakeError(fmt::format("cannot write blob {} from {}: {}", blob.sha256,
                                   impl_->described, std::strerror(write_errno)));
    }
    return impl_->Failure(request, *sent);
  }
  if (status == 404) return FetchOutcome::kMissing;
  const std::string digest = hash->HexDigest();
  if (digest != blob.sha256 || received != blob.size) {
    if (why) *why = fmt::format("sha256 was {}, size {}", digest, received);
    return FetchOutcome::kCorrupt;
  }
  return FetchOutcome::kOk;
}

Status HttpBackend::PutBlob(const BlobRef& blob, const std::string& path) {
  FANOUT_TRY(CheckName(blob.sha256, "blob digest"));
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st;
  if (!fd || fstat(fd.get(), &st) != 0) {
    return MakeError(
        fmt::format("cannot read '{}' to store it in the cache: {}", path, std::strerror(errno)));
  }
  if (static_cast<std::uint64_t>(st.st_size) != blob.size) {
    return MakeError(fmt::format(
        "'{}' has {} bytes but its blob {} has {}: the file changed after it was hashed", path,
        st.st_size, blob.sha256, blob.size));
  }
  std::lock_guard lock(impl_->mutex);
  auto present = impl_->Has(blob);
  if (!present.ok()) return present.error();
  if (*present) return {};
  int read_errno = 0;
  HttpRequest request = Request(HttpMethod::kPut, impl_->Url("cas", blob.sha256), blob.size);
  request.read_body = [&](std::uint64_t offset, char* buffer, std::size_t length) {
    for (;;) {
      const ssize_t n = pread(fd.get(), buffer, length, static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) read_errno = n < 0 ? errno : ENODATA;  // ENODATA: the file shrank
      return static_cast<std::int64_t>(n);
    }
  };
  Status put = impl_->Put(request);
  if (read_errno != 0) {
    return MakeError(fmt::format(
        "cannot read '{}' to store it in the cache: {}", path,
        read_errno == ENODATA ? "the file shrank while it was sent" : std::strerror(read_errno)));
  }
  return put;
}

}  // namespace fanout::cache
