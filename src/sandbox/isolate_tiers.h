// The two isolation tiers behind Sandbox::Start (sandbox/isolate.h), one file each:
// isolate_process.cc (the process tier: Landlock, seccomp, another uid) and
// isolate_namespaces.cc (the namespaces tier: a PID 1 in new mount, pid, ipc, uts, net and
// user namespaces); what both use is in isolate.cc.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "base/expected.h"
#include "sandbox/isolate.h"

namespace fanout::sandbox {

/// Seconds on the monotonic clock.
double MonotonicSeconds();

/// Turns this (forked) process into the command, restricted by the Landlock ruleset
/// `landlock_fd` unless it is -1; `parent` is the supervisor, `guard_socket` (unless -1) where
/// the metadata guard's listener goes. Returns only on failure, with the reason.
std::string ExecCommand(const SandboxSpec& spec, int landlock_fd, pid_t parent,
                        int guard_socket = -1);

/// Starts `spec`'s command in the process tier.
Expected<std::unique_ptr<Sandbox>> StartProcessSandbox(const SandboxSpec& spec);

/// Starts `spec`'s command in the namespaces tier; `user_ns` when fanout is not root and needs
/// a user namespace too.
Expected<std::unique_ptr<Sandbox>> StartNamespaceSandbox(const SandboxSpec& spec, bool user_ns);

}  // namespace fanout::sandbox
