#include "base/sha256.h"

#include <fcntl.h>
#include <nettle/sha2.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "base/unique_fd.h"

namespace fanout {

struct Sha256::Impl {
  sha256_ctx ctx;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) { sha256_init(&impl_->ctx); }
Sha256::~Sha256() = default;

void Sha256::Update(std::string_view data) {
  sha256_update(&impl_->ctx, data.size(), reinterpret_cast<const uint8_t*>(data.data()));
}

void Sha256::UpdateField(std::string_view data) {
  char len[24];
  char* end = std::to_chars(len, len + sizeof len - 1, data.size()).ptr;
  *end++ = ':';
  Update(std::string_view(len, static_cast<std::size_t>(end - len)));
  Update(data);
}

std::string Sha256::HexDigest() {
  uint8_t md[SHA256_DIGEST_SIZE];
  sha256_digest(&impl_->ctx, sizeof md, md);  // also starts the context afresh
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(2 * sizeof md, '0');
  for (std::size_t i = 0; i < sizeof md; ++i) {
    out[2 * i] = kHex[md[i] >> 4];
    out[2 * i + 1] = kHex[md[i] & 15];
  }
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
