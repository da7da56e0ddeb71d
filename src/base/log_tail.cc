#include "base/log_tail.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/unique_fd.h"

namespace fanout {

std::string ReadLogTail(const std::string& path, int max_lines) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return "";
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return "";
  constexpr off_t kMax = 64 * 1024;
  const off_t start = st.st_size > kMax ? st.st_size - kMax : 0;
  std::string text(static_cast<size_t>(st.st_size - start), '\0');
  ssize_t n = pread(fd.get(), text.data(), text.size(), start);
  if (n < 0) return "";
  text.resize(static_cast<size_t>(n));
  while (!text.empty() && text.back() == '\n') text.pop_back();
  size_t pos = text.size();
  for (int seen = 0; pos > 0; --pos) {
    if (text[pos - 1] == '\n' && ++seen == max_lines) break;
  }
  return text.substr(pos);
}

}  // namespace fanout
