// A file mapped read-only into memory, for reading a small part of a large file without
// copying it (plan/plan_index.h). Unmapped when destroyed.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/expected.h"

namespace fanout {

class MappedFile {
 public:
  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  /// Maps `path` (a regular file; an empty one gives empty text). The mapping shows the file
  /// as it was at this call only if nobody writes it in place: fanout replaces its files by
  /// rename, which leaves a mapping of the old file intact.
  static Expected<MappedFile> Open(const std::string& path);

  std::string_view text() const { return {data_, size_}; }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace fanout
