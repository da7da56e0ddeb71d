#include "sandbox/secrets.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "base/file_util.h"
#include "sandbox/environment.h"

// Linux 6.3's flag, which Debian 12's headers predate: the memfd can never be made executable.
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif

namespace fanout::sandbox {
namespace {

std::string HomeOf(const std::map<std::string, std::string>& host) {
  auto it = host.find("HOME");
  return it == host.end() ? "" : it->second;
}

/// A sealed memfd holding `value`: nobody, the command included, can change or grow it.
Expected<UniqueFd> SealedCopy(const std::string& id, std::string_view value) {
  UniqueFd fd(memfd_create(("fanout-secret-" + id).c_str(),
                           MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL));
  // Kernels before 6.3 do not know MFD_NOEXEC_SEAL.
  if (!fd && errno == EINVAL) {
    fd.reset(memfd_create(("fanout-secret-" + id).c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING));
  }
  if (!fd) return MakeError(fmt::format("memfd_create: {}", std::strerror(errno)));
  if (int err = WriteAllToFd(fd.get(), value); err != 0) {
    return MakeError(fmt::format("writing a memfd: {}", std::strerror(err)));
  }
  if (fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
    return MakeError(fmt::format("sealing a memfd: {}", std::strerror(errno)));
  }
  return fd;
}

/// The file's content, at most kMaxSecretBytes.
Expected<std::string> ReadSecretFile(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd) return MakeError(std::strerror(errno));
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return MakeError(std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return MakeError("it is not a regular file");
  if (static_cast<std::uint64_t>(st.st_size) > kMaxSecretBytes) {
    return MakeError(fmt::format("it holds {} bytes, more than the {} a secret may", st.st_size,
                                 kMaxSecretBytes));
  }
  std::string value(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  while (done < value.size()) {
    const ssize_t n = read(fd.get(), value.data() + done, value.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return MakeError(std::strerror(errno));
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  value.resize(done);
  return value;
}

}  // namespace

std::string ExpandHome(const std::string& path, const std::string& home) {
  if (!path.starts_with("~/")) return path;
  std::string h = home;
  while (h.size() > 1 && h.back() == '/') h.pop_back();
  return h + path.substr(1);
}

bool SecretFileAllowed(std::string_view allow_list, const std::string& path,
                       const std::string& home) {
  while (!allow_list.empty()) {
    const std::size_t colon = allow_list.find(':');
    const std::string entry = ExpandHome(std::string(allow_list.substr(0, colon)), home);
    allow_list = colon == std::string_view::npos ? "" : allow_list.substr(colon + 1);
    if (entry.empty() || entry[0] != '/') continue;
    if (entry.back() == '/' ? path.starts_with(entry) && path.size() > entry.size()
                            : path == entry) {
      return true;
    }
  }
  return false;
}

Expected<std::vector<OpenSecret>> OpenSecrets(const std::vector<ImageSecret>& secrets,
                                              const std::map<std::string, std::string>& host,
                                              const std::string& target) {
  std::vector<OpenSecret> open;
  for (const ImageSecret& secret : secrets) {
    std::string value;
    if (secret.source == ImageSecret::Source::kEnv) {
      auto allow = host.find(kPassEnvAllowVariable);
      if (allow != host.end() && !PassEnvAllowed(allow->second, secret.name)) {
        return MakeError(fmt::format(
            "secret '{}' of '{}' reads the variable '{}', which {} does not allow; the runner "
            "must add it to {} to give this build the secret",
            secret.id, target, secret.name, kPassEnvAllowVariable, kPassEnvAllowVariable));
      }
      auto it = host.find(secret.name);
      if (it == host.end()) {
        return MakeError(fmt::format(
            "secret '{}' of '{}' reads the variable '{}', which is not set; set it in the "
            "environment of 'fanout build', or remove the secret",
            secret.id, target, secret.name));
      }
      if (it->second.size() > kMaxSecretBytes) {
        return MakeError(
            fmt::format("secret '{}' of '{}': the variable '{}' holds more than "
                        "the {} bytes a secret may",
                        secret.id, target, secret.name, kMaxSecretBytes));
      }
      value = it->second;
    } else {
      const std::string home = HomeOf(host);
      const std::string path = ExpandHome(secret.name, home);
      auto allow = host.find(kSecretFilesAllowVariable);
      if (allow == host.end() || !SecretFileAllowed(allow->second, path, home)) {
        return MakeError(fmt::format(
            "secret '{}' of '{}' reads the file '{}', which {} does not allow; a description "
            "comes from the repository, so the runner names the files a build may read: set "
            "{}={} (':'-separated; a directory ending in '/' allows what is beneath it) in the "
            "environment of 'fanout build'",
            secret.id, target, path, kSecretFilesAllowVariable, kSecretFilesAllowVariable, path));
      }
      auto read = ReadSecretFile(path);
      if (!read.ok()) {
        return MakeError(fmt::format("secret '{}' of '{}': cannot read '{}': {}", secret.id, target,
                                     path, read.error().message));
      }
      value = std::move(*read);
    }
    auto fd = SealedCopy(secret.id, value);
    explicit_bzero(value.data(), value.size());
    if (!fd.ok()) {
      return MakeError(
          fmt::format("secret '{}' of '{}': {}", secret.id, target, fd.error().message));
    }
    open.push_back({secret.id, std::move(*fd)});
  }
  return open;
}

}  // namespace fanout::sandbox
