#include "src/file_util.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

#include <fmt/format.h>
#include <boost/filesystem.hpp>

#include "src/unique_fd.h"

namespace fanout {

Expected<std::string> ReadFile(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return MakeError(fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return MakeError(fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Status WriteFileAtomically(const std::string& path, std::string_view content) {
  boost::system::error_code ec;
  boost::filesystem::path p(path);
  if (p.has_parent_path()) boost::filesystem::create_directories(p.parent_path(), ec);
  static thread_local std::mt19937_64 rng(std::random_device{}() ^ getpid());
  std::string tmp = fmt::format("{}.tmp.{}.{:x}", path, getpid(), rng());
  {
    UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) return MakeError(fmt::format("cannot write '{}': {}", tmp, std::strerror(errno)));
    size_t off = 0;
    while (off < content.size()) {
      ssize_t n = write(fd.get(), content.data() + off, content.size() - off);
      if (n < 0) {
        if (errno == EINTR) continue;
        int err = errno;
        unlink(tmp.c_str());
        return MakeError(fmt::format("cannot write '{}': {}", tmp, std::strerror(err)));
      }
      off += static_cast<size_t>(n);
    }
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return MakeError(fmt::format("cannot rename '{}' to '{}': {}", tmp, path, std::strerror(err)));
  }
  return {};
}

Status WriteFileIfChanged(const std::string& path, std::string_view content, bool* changed) {
  if (changed) *changed = false;
  auto old = ReadFile(path);
  if (old.ok() && *old == content) return {};
  FANOUT_TRY(WriteFileAtomically(path, content));
  if (changed) *changed = true;
  return {};
}

Status WriteGithubOutput(const std::string& text) {
  const char* path = std::getenv("GITHUB_OUTPUT");
  if (!path || !*path) {
    fmt::print("{}", text);
    return {};
  }
  std::FILE* f = std::fopen(path, "a");
  if (!f) return MakeError(fmt::format("cannot append to $GITHUB_OUTPUT '{}'", path), kExitUsage);
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok) {
    return MakeError(fmt::format("cannot write to $GITHUB_OUTPUT '{}'", path), kExitUsage);
  }
  return {};
}

struct Sha256::Impl {
  EVP_MD_CTX* ctx;
};

Sha256::Sha256() : impl_(new Impl{EVP_MD_CTX_new()}) {
  EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr);
}
Sha256::~Sha256() {
  EVP_MD_CTX_free(impl_->ctx);
  delete impl_;
}
void Sha256::Update(std::string_view data) {
  EVP_DigestUpdate(impl_->ctx, data.data(), data.size());
}
void Sha256::UpdateField(std::string_view data) {
  std::string len = std::to_string(data.size()) + ":";
  Update(len);
  Update(data);
}
std::string Sha256::HexDigest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(impl_->ctx, md, &len);
  std::string out;
  out.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) out += fmt::format("{:02x}", md[i]);
  return out;
}

std::string Sha256Hex(std::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.HexDigest();
}

Expected<std::string> Sha256File(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return MakeError(fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
  Sha256 h;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return MakeError(fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
    }
    if (n == 0) break;
    h.Update(std::string_view(buf, static_cast<size_t>(n)));
  }
  return h.HexDigest();
}

}  // namespace fanout
