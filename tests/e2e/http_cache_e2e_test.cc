// The HTTP action cache client (src/cache/http_backend.cc) against a real server: nginx with
// WebDAV (tests/e2e/nginx_dav.h), as docs/cache.md suggests running one. What nginx cannot be
// made to do (fail, then succeed; cut a body short) comes from a scripted server below, which
// answers each connection with the next canned response.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/file_util.h"
#include "base/sha256.h"
#include "base/unique_fd.h"
#include "cache/http_backend.h"
#include "nginx_dav.h"
#include "test_util.h"

namespace fanout::testing {
namespace {

using cache::BlobRef;
using cache::FetchOutcome;
using cache::HttpBackend;
using cache::HttpOptions;

BlobRef RefOf(const std::string& content) { return {Sha256Hex(content), content.size()}; }
std::string Key(const std::string& seed) { return Sha256Hex("key:" + seed); }

constexpr double kConnectTimeout = 20;

HttpOptions Options(const std::string& url, int retries = 2) {
  HttpOptions options;
  options.url = url;
  options.connect_timeout_seconds = kConnectTimeout;
  options.stall_timeout_seconds = 20;
  options.retries = retries;
  return options;
}

std::unique_ptr<HttpBackend> MustCreate(const HttpOptions& options) {
  auto backend = HttpBackend::Create(options);
  EXPECT_TRUE(backend.ok()) << backend.error().message;
  return backend.ok() ? std::move(*backend) : nullptr;
}

/// How many lines of `log` contain `text`.
int CountLines(const std::string& log, const std::string& text) {
  int count = 0;
  for (std::size_t at = 0; (at = log.find(text, at)) != std::string::npos; at += text.size()) {
    ++count;
  }
  return count;
}

/// Answers its i-th connection with responses[i] (then closes it), and any connection past the
/// script with 410 (an answer no client retries).
class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<std::string> responses) : responses_(std::move(responses)) {
    listen_fd_.reset(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(listen_fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(listen_fd_.get(), 16) != 0 ||
        getsockname(listen_fd_.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot listen on a loopback port";
      return;
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/cache"; }
  int served() const { return served_; }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{listen_fd_.get(), POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      UniqueFd conn(accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!conn) continue;
      // Read the request (headers only: the tests send none with a body) before answering,
      // so closing does not reset the connection under the answer.
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        pollfd c{conn.get(), POLLIN, 0};
        if (poll(&c, 1, 5000) <= 0) break;
        const ssize_t n = read(conn.get(), buf, sizeof buf);
        if (n <= 0) break;
        request.append(buf, static_cast<std::size_t>(n));
      }
      const int i = served_++;
      const std::string response =
          i < static_cast<int>(responses_.size())
              ? responses_[i]
              : "HTTP/1.1 410 Gone\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      (void)WriteAllToFd(conn.get(), response);
      shutdown(conn.get(), SHUT_WR);
    }
  }

  std::vector<std::string> responses_;
  UniqueFd listen_fd_;
  int port_ = -1;
  std::atomic<int> served_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::string Answer(const std::string& status, const std::string& body) {
  return "HTTP/1.1 " + status + "\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

/// A file to fetch blobs into, which already holds `prefix` (FetchBlob writes after it).
class Destination {
 public:
  Destination(const TempDir& dir, const std::string& prefix)
      : path_(dir / "dest"),
        fd_(open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) {
    EXPECT_TRUE(fd_) << path_;
    EXPECT_EQ(WriteAllToFd(fd_.get(), prefix), 0);
  }
  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }
  std::string Content() const { return testing::ReadFile(path_); }

 private:
  std::string path_;
  UniqueFd fd_;
};

class HttpCache : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string missing = NginxMissing();
    if (!missing.empty()) {
      // CI runs as root with scripts/setup's packages; elsewhere a missing tool skips.
      if (geteuid() != 0) GTEST_SKIP() << missing;
      FAIL() << missing;
    }
    nginx_ = std::make_unique<NginxDav>();
    ASSERT_TRUE(nginx_->ok()) << nginx_->error();
  }

  /// Writes `content` to a file of its own and returns the file's path.
  std::string Source(const std::string& content) {
    const std::string path = tmp_ / ("src-" + Sha256Hex(content));
    WriteFile(path, content);
    return path;
  }

  std::unique_ptr<NginxDav> nginx_;
  TempDir tmp_;
};

TEST_F(HttpCache, ActionRoundTripsAndAnAbsentOneIsAMiss) {
  auto backend = MustCreate(Options(nginx_->Url()));
  ASSERT_TRUE(backend);
  const std::string key = Key("action");
  auto absent = backend->GetAction(key);
  ASSERT_TRUE(absent.ok()) << absent.error().message;
  EXPECT_FALSE(absent->has_value());

  // 13 bytes, a NUL and a byte that is no UTF-8 among them (ASan found the length 15 read
  // past the literal).
  const std::string first("result\0\x01\xff one", 13);
  ASSERT_TRUE(backend->PutAction(key, first).ok());  // nginx: 201 Created
  EXPECT_EQ(ReadFile(nginx_->StorePath() + "/ac/" + key), first);
  auto got = backend->GetAction(key);
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, first);

  Status replaced = backend->PutAction(key, "result two");  // nginx: 204 No Content
  ASSERT_TRUE(replaced.ok()) << replaced.error().message;
  got = backend->GetAction(key);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, "result two");
  EXPECT_EQ(CountLines(nginx_->AccessLog(), "PUT /cache/ac/" + key + " 201"), 1);
  EXPECT_EQ(CountLines(nginx_->AccessLog(), "PUT /cache/ac/" + key + " 204"), 1);
}

TEST_F(HttpCache, AnActionTooLargeToBeOneIsAnError) {
  auto backend = MustCreate(Options(nginx_->Url()));
  ASSERT_TRUE(backend);
  const std::string key = Key("huge");
  WriteFile(nginx_->StorePath() + "/ac/" + key, std::string((16 << 20) + 1, 'x'));
  auto got = backend->GetAction(key);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.error().message.find("larger than 16 MiB"), std::string::npos)
      << got.error().message;
  // The control: just under the cap is read.
  WriteFile(nginx_->StorePath() + "/ac/" + key, std::string(16 << 20, 'x'));
  got = backend->GetAction(key);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ((*got)->size(), std::size_t{16 << 20});
}

TEST_F(HttpCache, BlobRoundTripsAfterWhatTheDestinationHolds) {
  auto backend = MustCreate(Options(nginx_->Url()));
  ASSERT_TRUE(backend);
  const std::string content = "layer bytes\n" + std::string(1000, 'z');
  const BlobRef ref = RefOf(content);
  auto has = backend->HasBlob(ref);
  ASSERT_TRUE(has.ok()) << has.error().message;
  EXPECT_FALSE(*has);

  Status put = backend->PutBlob(ref, Source(content));
  ASSERT_TRUE(put.ok()) << put.error().message;
  EXPECT_EQ(ReadFile(nginx_->StorePath() + "/cas/" + ref.sha256), content);
  has = backend->HasBlob(ref);
  ASSERT_TRUE(has.ok()) << has.error().message;
  EXPECT_TRUE(*has);

  Destination dest(tmp_, "before:");
  std::string why;
  auto fetched = backend->FetchBlob(ref, dest.fd(), &why);
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_EQ(*fetched, FetchOutcome::kOk) << why;
  EXPECT_EQ(dest.Content(), "before:" + content);
}

TEST_F(HttpCache, PutBlobSendsNothingForAPresentBlobAndRefusesAWrongSize) {
  auto backend = MustCreate(Options(nginx_->Url()));
  ASSERT_TRUE(backend);
  const std::string content = "shared base layer";
  const BlobRef ref = RefOf(content);
  ASSERT_TRUE(backend->PutBlob(ref, Source(content)).ok());
  ASSERT_TRUE(backend->PutBlob(ref, Source(content)).ok());
  const std::string log = nginx_->AccessLog();
  EXPECT_EQ(CountLines(log, "HEAD /cache/cas/" + ref.sha256 + " "), 2) << log;
  EXPECT_EQ(CountLines(log, "PUT /cache/cas/" + ref.sha256 + " "), 1) << log;

  const std::string path = Source("a different size");
  Status wrong = backend->PutBlob(RefOf("other"), path);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find(path), std::string::npos) << wrong.error().message;
}

TEST_F(HttpCache, AbsentBlobIsMissingAndWritesNothing) {
  auto backend = MustCreate(Options(nginx_->Url()));
  ASSERT_TRUE(backend);
  Destination dest(tmp_, "");
  auto fetched = backend->FetchBlob(RefOf("never stored"), dest.fd());
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_EQ(*fetched, FetchOutcome::kMissing);
  EXPECT_EQ(dest.Content(), "");
  // nginx's 404 page, which must not land in the file, is there to be written.
  EXPECT_NE(CountLines(nginx_->AccessLog(), "GET /cache/cas/" + Sha256Hex("never stored") + " 404"),
            0);
}

TEST(HttpCacheScripted, NotFoundPageIsNotWrittenToTheDestination) {
  TempDir tmp;
  const std::string page = "<html>404 Not Found</html>";
  ScriptedServer server({Answer("404 Not Found", page)});
  auto backend = MustCreate(Options(server.Url()));
  ASSERT_TRUE(backend);
  // The page has the blob's size, so only the status can keep it out.
  Destination dest(tmp, "");
  auto fetched = backend->FetchBlob({Sha256Hex("x"), page.size()}, dest.fd());
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_EQ(*fetched, FetchOutcome::kMissing);
  EXPECT_EQ(dest.Content(), "");
  EXPECT_EQ(server.served(), 1);
}

TEST_F(HttpCache, BytesChangedOnTheServerAreCorrupt) {
  auto backend = MustCreate(Options(nginx_->Url()));
  ASSERT_TRUE(backend);
  const std::string content = "the real bytes";
  const BlobRef ref = RefOf(content);
  ASSERT_TRUE(backend->PutBlob(ref, Source(content)).ok());
  const std::string stored = nginx_->StorePath() + "/cas/" + ref.sha256;
  {
    Destination control(tmp_, "");
    auto fetched = backend->FetchBlob(ref, control.fd());
    ASSERT_TRUE(fetched.ok()) << fetched.error().message;
    EXPECT_EQ(*fetched, FetchOutcome::kOk);
  }
  for (const std::string& changed : {std::string("the fake bytes"), std::string("short"),
                                     std::string("the real bytes, and more")}) {
    WriteFile(stored, changed);
    Destination dest(tmp_, "");
    std::string why;
    auto fetched = backend->FetchBlob(ref, dest.fd(), &why);
    ASSERT_TRUE(fetched.ok()) << fetched.error().message;
    EXPECT_EQ(*fetched, FetchOutcome::kCorrupt) << changed;
    if (changed.size() <= content.size()) {
      EXPECT_EQ(why,
                "sha256 was " + Sha256Hex(changed) + ", size " + std::to_string(changed.size()));
    } else {
      EXPECT_NE(why.find("more than the blob's 14 bytes"), std::string::npos) << why;
    }
  }
}

TEST_F(HttpCache, LargeBlobStreamsBothWaysWithContentLength) {
  auto backend = MustCreate(Options(nginx_->Url()));
  ASSERT_TRUE(backend);
  // 32 MiB of noise, written and hashed a piece at a time so the test holds none of it whole.
  constexpr std::size_t kPiece = 1 << 20, kPieces = 32;
  const std::string path = tmp_ / "large";
  Sha256 hash;
  {
    UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    std::mt19937_64 random(42);
    std::string piece(kPiece, '\0');
    for (std::size_t i = 0; i < kPieces; ++i) {
      for (char& c : piece) c = static_cast<char>(random());
      ASSERT_EQ(WriteAllToFd(fd.get(), piece), 0);
      hash.Update(piece);
    }
  }
  const BlobRef ref{hash.HexDigest(), kPiece * kPieces};
  rusage before{};
  getrusage(RUSAGE_SELF, &before);

  Status put = backend->PutBlob(ref, path);
  ASSERT_TRUE(put.ok()) << put.error().message;
  auto stored = Sha256File(nginx_->StorePath() + "/cas/" + ref.sha256);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(*stored, ref.sha256);
  // Sent with its length, never chunked.
  EXPECT_EQ(CountLines(nginx_->AccessLog(), "PUT /cache/cas/" + ref.sha256 +
                                                " 201 len=" + std::to_string(ref.size) + " te=-"),
            1)
      << nginx_->AccessLog();

  Destination dest(tmp_, "");
  std::string why;
  auto fetched = backend->FetchBlob(ref, dest.fd(), &why);
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_EQ(*fetched, FetchOutcome::kOk) << why;
  auto written = Sha256File(dest.path());
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(*written, ref.sha256);

  // Streamed: the process's peak memory grew by far less than the blob (ru_maxrss is in KiB).
  rusage after{};
  getrusage(RUSAGE_SELF, &after);
  EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 8 * 1024);
}

TEST_F(HttpCache, StoppedServerIsAQuickErrorUntilItStartsAgain) {
  auto backend = MustCreate(Options(nginx_->Url()));
  ASSERT_TRUE(backend);
  const std::string key = Key("survives");
  const std::string content = "a blob";
  ASSERT_TRUE(backend->PutAction(key, "stored").ok());
  ASSERT_TRUE(backend->PutBlob(RefOf(content), Source(content)).ok());

  nginx_->Stop();
  auto got = backend->GetAction(key);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.error().message.find("GET " + nginx_->Url() + "/ac/" + key), std::string::npos)
      << got.error().message;
  EXPECT_NE(got.error().message.find("after 3 attempts"), std::string::npos) << got.error().message;
  // Refused, not waited out: curl says it could not connect, not that a timeout was reached.
  EXPECT_NE(got.error().message.find("Couldn't connect to server"), std::string::npos)
      << got.error().message;
  EXPECT_EQ(got.error().message.find("Timeout"), std::string::npos) << got.error().message;
  EXPECT_FALSE(backend->HasBlob(RefOf(content)).ok());
  EXPECT_FALSE(backend->PutAction(key, "x").ok());
  Destination dest(tmp_, "kept");
  EXPECT_FALSE(backend->FetchBlob(RefOf(content), dest.fd()).ok());
  EXPECT_EQ(dest.Content(), "kept");

  ASSERT_TRUE(nginx_->Start()) << nginx_->error();
  got = backend->GetAction(key);
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, "stored");
}

TEST_F(HttpCache, ServerErrorIsRetriedThenNamed) {
  const std::string key = Key("broken");
  const std::string line = "GET /broken/ac/" + key + " 500";
  auto backend = MustCreate(Options(nginx_->BrokenUrl(), 2));
  ASSERT_TRUE(backend);
  auto got = backend->GetAction(key);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.error().message.find("HTTP 500 to GET " + nginx_->BrokenUrl() + "/ac/" + key),
            std::string::npos)
      << got.error().message;
  EXPECT_EQ(CountLines(nginx_->AccessLog(), line), 3);

  auto once = MustCreate(Options(nginx_->BrokenUrl(), 0));
  ASSERT_TRUE(once);
  EXPECT_FALSE(once->GetAction(key).ok());
  EXPECT_EQ(CountLines(nginx_->AccessLog(), line), 4);
}

TEST(HttpCacheScripted, RetriedFetchStartsOverWhereTheBlobBegins) {
  TempDir tmp;
  const std::string content = "0123456789abcdefghijklmnopqrstuvwxyz";
  const std::vector<std::string> script = {
      Answer("503 Service Unavailable", "busy"),
      // The whole length announced, half sent, and the connection closed.
      Answer("200 OK", content).substr(0, Answer("200 OK", content).size() - content.size() / 2),
      Answer("200 OK", content),
  };
  {
    ScriptedServer server(script);
    auto backend = MustCreate(Options(server.Url(), 2));
    ASSERT_TRUE(backend);
    Destination dest(tmp, "head:");
    std::string why;
    auto fetched = backend->FetchBlob(RefOf(content), dest.fd(), &why);
    ASSERT_TRUE(fetched.ok()) << fetched.error().message;
    EXPECT_EQ(*fetched, FetchOutcome::kOk) << why;
    EXPECT_EQ(dest.Content(), "head:" + content);
    EXPECT_EQ(server.served(), 3);
  }
  // The control: one retry fewer and the cut-short body is the last answer; the file is cut back.
  ScriptedServer server(script);
  auto backend = MustCreate(Options(server.Url(), 1));
  ASSERT_TRUE(backend);
  Destination dest(tmp, "head:");
  auto fetched = backend->FetchBlob(RefOf(content), dest.fd());
  ASSERT_FALSE(fetched.ok());
  EXPECT_NE(fetched.error().message.find("after 2 attempts"), std::string::npos)
      << fetched.error().message;
  EXPECT_EQ(dest.Content(), "head:");
  EXPECT_EQ(server.served(), 2);
}

TEST(HttpCacheScripted, TooManyRequestsIsRetriedAndForbiddenIsNot) {
  ScriptedServer busy({Answer("429 Too Many Requests", ""), Answer("200 OK", "result")});
  auto backend = MustCreate(Options(busy.Url(), 2));
  ASSERT_TRUE(backend);
  auto got = backend->GetAction(Key("429"));
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, "result");
  EXPECT_EQ(busy.served(), 2);

  ScriptedServer forbidding({Answer("403 Forbidden", ""), Answer("200 OK", "result")});
  backend = MustCreate(Options(forbidding.Url(), 2));
  ASSERT_TRUE(backend);
  got = backend->GetAction(Key("403"));
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.error().message.find("HTTP 403"), std::string::npos) << got.error().message;
  EXPECT_EQ(forbidding.served(), 1);
}

TEST_F(HttpCache, NetrcCredentialsAreSentAndRequired) {
  const std::string key = Key("auth");
  auto anonymous = MustCreate(Options(nginx_->AuthUrl()));
  ASSERT_TRUE(anonymous);
  Status refused = anonymous->PutAction(key, "x");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("HTTP 401"), std::string::npos) << refused.error().message;

  HttpOptions options = Options(nginx_->AuthUrl());
  options.netrc_file = nginx_->NetrcFile();
  auto authorised = MustCreate(options);
  ASSERT_TRUE(authorised);
  Status put = authorised->PutAction(key, "with credentials");
  ASSERT_TRUE(put.ok()) << put.error().message;
  auto got = authorised->GetAction(key);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->value_or(""), "with credentials");

  WriteFile(tmp_ / "wrong-netrc", "machine 127.0.0.1 login reader password wrong\n");
  options.netrc_file = tmp_ / "wrong-netrc";
  auto wrong = MustCreate(options);
  ASSERT_TRUE(wrong);
  got = wrong->GetAction(key);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.error().message.find("HTTP 401"), std::string::npos) << got.error().message;
}

TEST_F(HttpCache, HeaderIsSentWithEveryRequest) {
  const std::string key = Key("token");
  const std::string content = "behind a token";
  auto without = MustCreate(Options(nginx_->TokenUrl()));
  ASSERT_TRUE(without);
  Status refused = without->PutAction(key, "x");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("HTTP 403"), std::string::npos) << refused.error().message;

  HttpOptions options = Options(nginx_->TokenUrl());
  options.header = NginxDav::kTokenHeader;
  auto with = MustCreate(options);
  ASSERT_TRUE(with);
  ASSERT_TRUE(with->PutAction(key, "with the token").ok());
  auto got = with->GetAction(key);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->value_or(""), "with the token");
  Status put = with->PutBlob(RefOf(content), Source(content));
  ASSERT_TRUE(put.ok()) << put.error().message;
  Destination dest(tmp_, "");
  auto fetched = with->FetchBlob(RefOf(content), dest.fd());
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_EQ(*fetched, FetchOutcome::kOk);

  options.header = "X-Fanout-Token: wrong";
  auto wrong = MustCreate(options);
  ASSERT_TRUE(wrong);
  got = wrong->GetAction(key);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.error().message.find("HTTP 403"), std::string::npos) << got.error().message;
}

TEST(HttpCacheCreate, RejectsWhatIsNotABaseHttpUrl) {
  const struct {
    std::string url, message;
  } cases[] = {
      {"", "the cache URL is empty"},
      {"ftp://x", "cache URL 'ftp://x': only http:// and https:// are supported"},
      {"cache.example/fanout", "only http:// and https:// are supported"},
      {"https://cache.example/fanout?token=1", "has a query"},
      {"https://cache.example/fanout#top", "has a fragment"},
      {"http:///fanout", "names no host"},
      {"http://cache example/", "space or control character"},
      {"http://cache.example:99999/", "not a valid URL"},
      {"ftp://user:secret@x/", "cache URL 'ftp://x/': only http"},
  };
  for (const auto& c : cases) {
    auto backend = HttpBackend::Create(Options(c.url));
    ASSERT_FALSE(backend.ok()) << c.url;
    EXPECT_NE(backend.error().message.find(c.message), std::string::npos)
        << c.url << ": " << backend.error().message;
    EXPECT_EQ(backend.error().message.find("secret"), std::string::npos);
  }
  // The controls: base URLs are accepted, one trailing slash dropped, credentials not shown.
  auto plain = HttpBackend::Create(Options("https://cache.example/fanout/"));
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ((*plain)->Describe(), "https://cache.example/fanout");
  auto with_user = HttpBackend::Create(Options("HTTP://user:secret@cache.example:8080/c"));
  ASSERT_TRUE(with_user.ok()) << with_user.error().message;
  EXPECT_EQ((*with_user)->Describe(), "HTTP://cache.example:8080/c");
}

TEST(HttpCacheCreate, RejectsABadHeaderNetrcOrKey) {
  for (const std::string header :
       {"s3cr3t-without-a-colon", ": s3cr3t", "X-Token: s3cr3t\r\nX-Other: b", "X Token: s3cr3t"}) {
    HttpOptions options = Options("http://127.0.0.1:1/cache");
    options.header = header;
    auto backend = HttpBackend::Create(options);
    ASSERT_FALSE(backend.ok()) << header;
    EXPECT_NE(backend.error().message.find("header"), std::string::npos) << backend.error().message;
    EXPECT_EQ(backend.error().message.find("s3cr3t"), std::string::npos)
        << "the header's value is a secret: " << backend.error().message;
  }
  HttpOptions options = Options("http://127.0.0.1:1/cache");
  options.header = "X-Token: value";
  ASSERT_TRUE(HttpBackend::Create(options).ok());  // the control

  options.netrc_file = "/nonexistent/netrc";
  auto no_netrc = HttpBackend::Create(options);
  ASSERT_FALSE(no_netrc.ok());
  EXPECT_NE(no_netrc.error().message.find("/nonexistent/netrc"), std::string::npos)
      << no_netrc.error().message;

  // A key is a path segment: nothing but 64 lowercase hex reaches the URL.
  auto backend = HttpBackend::Create(Options("http://127.0.0.1:1/cache"));
  ASSERT_TRUE(backend.ok());
  for (const std::string& key :
       {std::string("../etc/passwd"), Key("k").substr(1), std::string(64, 'A')}) {
    auto got = (*backend)->GetAction(key);
    ASSERT_FALSE(got.ok());
    EXPECT_NE(got.error().message.find("64 lowercase hex"), std::string::npos)
        << got.error().message;
  }
}

}  // namespace
}  // namespace fanout::testing
