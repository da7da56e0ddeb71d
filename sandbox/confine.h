// Restrictions a sandboxed process applies to itself just before it executes the command:
// default signal handling, no new privileges, resource limits, and, where namespaces are not
// available, a seccomp filter (no IP sockets); Landlock is in landlock.h.
// Every function here runs in a freshly forked child; they only make system calls.
#pragma once

#include <string>

#include "src/description.h"

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

/// Installs a seccomp filter that makes socket(2) fail with EACCES for AF_INET, AF_INET6 and
/// AF_PACKET (Unix sockets still work). Needs no privilege once no_new_privs is set.
std::string DenyNetworkSockets();

}  // namespace fanout::sandbox
