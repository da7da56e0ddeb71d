#ifndef FANOUT_BASE_TEMP_NAME_H_
#define FANOUT_BASE_TEMP_NAME_H_

#include <cstdint>

namespace fanout {

/// 64 random bits for a temporary file's name, from the kernel (getrandom). A generator seeded
/// once would give a forked process (each of the exec server's workers) its parent's sequence,
/// and std::random_device asks the CPU what it supports first: each CPUID instruction is a trap
/// to the hypervisor in a virtual machine (docs/edge-cost.md). Never fails: without getrandom
/// the bits come from the clock, the pid and a counter (names are still tried with O_EXCL or
/// made unique by the pid where that matters).
std::uint64_t TempNameBits();

}  // namespace fanout

#endif  // FANOUT_BASE_TEMP_NAME_H_
