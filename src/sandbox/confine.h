// Restrictions a sandboxed process applies to itself just before it executes the command:
// default signal handling, no new privileges, resource limits, and, where namespaces are not
// a seccomp filter (no io_uring; no IP sockets without network); Landlock is in landlock.h.
// Every function here runs in a freshly forked child; they only make system calls.
#pragma once

#include <linux/filter.h>

#include <string>
#include <vector>

#include "description/description.h"

namespace fanout::sandbox {

/// Restores every signal to its default disposition and unblocks all signals.
void ResetSignals();

/// Sets PR_SET_NO_NEW_PRIVS (setuid binaries and file capabilities stop granting anything).
/// Returns an error text, empty on success.
std::string SetNoNewPrivs();

/// Applies `limits` as rlimits: nofile -> RLIMIT_NOFILE, memory -> RLIMIT_DATA (private
/// writable memory, which unlike RLIMIT_AS ignores address space that runtimes only reserve),
/// pids -> RLIMIT_NPROC. Also disables core dumps. Returns an error text, empty on success.
std::string ApplyRlimits(const Limits& limits);

/// The start every seccomp filter of fanout shares: another architecture's system calls kill
/// the process, x86_64's x32 calls fail with `x32_errno`, and the system call number is left
/// loaded for the comparisons that follow.
std::vector<sock_filter> SeccompPrologue(int x32_errno);

/// Installs the command's seccomp filter: io_uring's three system calls fail with ENOSYS
/// (io_uring's operations bypass seccomp and, before Landlock ABI 4, every network rule); with
/// `network` false, socket(2) succeeds only for AF_UNIX and NETLINK_ROUTE and fails with
/// EACCES for every other family. Sets no_new_privs. Returns an error text, empty on success.
std::string InstallSeccompFilter(bool network);

}  // namespace fanout::sandbox
