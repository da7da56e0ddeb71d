#include "base/temp_name.h"

#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <atomic>

namespace fanout {

std::uint64_t TempNameBits() {
  std::uint64_t bits = 0;
  if (getrandom(&bits, sizeof(bits), GRND_NONBLOCK) == static_cast<ssize_t>(sizeof(bits))) {
    return bits;
  }
  static std::atomic<std::uint64_t> counter{0};
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (static_cast<std::uint64_t>(now.tv_sec) * 1000000000u +
          static_cast<std::uint64_t>(now.tv_nsec)) ^
         (static_cast<std::uint64_t>(getpid()) << 40) ^ counter.fetch_add(1);
}

}  // namespace fanout
