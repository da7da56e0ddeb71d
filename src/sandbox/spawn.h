// How a sandbox starts its command's first process: a child that shares its supervisor's memory
// until it executes the command, as posix_spawn's child does, instead of a copy of it. A fork
// of fanout copies its page tables and then, page by page, whatever the child writes before its
// exec; the child here runs on a stack of its own and writes nothing that outlives the exec.
#pragma once

#include <sys/types.h>

namespace fanout::sandbox {

/// The stack a spawned child starts on. Freed when destroyed: only after that child has
/// executed its command or ended.
class SpawnStack {
 public:
  SpawnStack();
  ~SpawnStack();
  SpawnStack(const SpawnStack&) = delete;
  SpawnStack& operator=(const SpawnStack&) = delete;
  bool ok() const { return base_ != nullptr; }
  void* top() const;

 private:
  void* base_ = nullptr;
};

/// Runs `fn(arg)` in a child (clone(2) with `flags` | CLONE_VM | SIGCHLD) on `stack`; the child
/// must end by exec or _exit. With CLONE_VFORK in `flags` this returns once it has; without,
/// the caller may do nothing but system calls (no allocation, no object freed) until it has
/// seen it (a close-on-exec pipe ending). Under ThreadSanitizer or AddressSanitizer, whose
/// per-thread state the two would share, the child gets a copy of the memory instead, as a
/// fork would. Returns the child's pid, or -1 with errno set.
pid_t SpawnSharingMemory(int (*fn)(void*), void* arg, int flags, const SpawnStack& stack);

/// Whether SpawnSharingMemory's child shares the memory in this build (not under a sanitizer).
bool SpawnSharesMemory();

}  // namespace fanout::sandbox
