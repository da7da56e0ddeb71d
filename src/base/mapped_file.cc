#include "base/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "base/unique_fd.h"

namespace fanout {

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    if (data_) munmap(const_cast<char*>(data_), size_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (data_) munmap(const_cast<char*>(data_), size_);
}

Expected<MappedFile> MappedFile::Open(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st;
  if (!fd || fstat(fd.get(), &st) != 0) {
    return MakeError(fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) return MakeError(fmt::format("'{}' is not a regular file", path));
  MappedFile file;
  if (st.st_size == 0) return file;
  void* data =
      mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (data == MAP_FAILED) {
    return MakeError(fmt::format("cannot map '{}': {}", path, std::strerror(errno)));
  }
  file.data_ = static_cast<const char*>(data);
  file.size_ = static_cast<std::size_t>(st.st_size);
  return file;
}

}  // namespace fanout
