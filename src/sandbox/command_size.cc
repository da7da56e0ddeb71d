#include "sandbox/command_size.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace fanout::sandbox {

std::optional<std::string> CommandTooLong(const std::string& command,
                                          const std::vector<std::string>& env,
                                          std::size_t arg_max) {
  if (arg_max == 0) {
    const long limit = sysconf(_SC_ARG_MAX);
    arg_max = limit > 0 ? static_cast<std::size_t>(limit) : 2 * 1024 * 1024;
  }
  const std::string reason = std::strerror(E2BIG);
  const std::string help =
      "put the script in a file among the target's inputs and run that file instead";
  // The kernel counts each string with its NUL, and a pointer for each.
  if (command.size() + 1 > kMaxArgStrlen) {
    return fmt::format(
        "cannot run the command: {} (the command is {} bytes; the kernel takes at most {} "
        "bytes in one argument of execve); {}",
        reason, command.size(), kMaxArgStrlen, help);
  }
  std::size_t total = 0;
  for (const char* arg : {"/bin/sh", "-c"}) total += std::strlen(arg) + 1 + sizeof(char*);
  total += command.size() + 1 + sizeof(char*);
  for (const std::string& kv : env) {
    if (kv.size() + 1 > kMaxArgStrlen) {
      return fmt::format(
          "cannot run the command: {} (the environment variable '{}' is {} bytes; the kernel "
          "takes at most {} bytes in one environment string)",
          reason, kv.substr(0, kv.find('=')), kv.size(), kMaxArgStrlen);
    }
    total += kv.size() + 1 + sizeof(char*);
  }
  if (total > arg_max) {
    return fmt::format(
        "cannot run the command: {} (the command and its environment are {} bytes; execve "
        "takes at most {} here); {}",
        reason, total, arg_max, help);
  }
  return std::nullopt;
}

}  // namespace fanout::sandbox
