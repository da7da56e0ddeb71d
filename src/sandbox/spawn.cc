#include "sandbox/spawn.h"

#include <sched.h>
#include <signal.h>
#include <sys/mman.h>

namespace fanout::sandbox {
namespace {

constexpr size_t kStackSize = 1 << 20;

// The sanitizers' runtimes keep per-thread state (ThreadSanitizer's clocks, AddressSanitizer's
// fake stack frames) that a child sharing the memory and the thread pointer would use at the
// same time as its parent: under them the child gets a copy, as a fork would.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr bool kShareMemory = false;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
constexpr bool kShareMemory = false;
#else
constexpr bool kShareMemory = true;
#endif
#else
constexpr bool kShareMemory = true;
#endif

}  // namespace

SpawnStack::SpawnStack() {
  void* p = mmap(nullptr, kStackSize, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (p != MAP_FAILED) base_ = p;
}

SpawnStack::~SpawnStack() {
  if (base_) munmap(base_, kStackSize);
}

void* SpawnStack::top() const { return static_cast<char*>(base_) + kStackSize; }

pid_t SpawnSharingMemory(int (*fn)(void*), void* arg, int flags, const SpawnStack& stack) {
  return clone(fn, stack.top(), flags | (kShareMemory ? CLONE_VM : 0) | SIGCHLD, arg);
}

bool SpawnSharesMemory() { return kShareMemory; }

}  // namespace fanout::sandbox
