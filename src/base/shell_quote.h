// Quoting for POSIX shell command lines: the generated build files' commands and the image
// builds' scripts (image/docker_build.cc) are written with it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace fanout {

/// Quotes `arg` as one POSIX shell word: unchanged when it is non-empty and holds only
/// characters the shell never interprets ([A-Za-z0-9_@%+=:,./-]), otherwise wrapped in single
/// quotes with each `'` written as `'\''`. Apply before Ninja or Make `$`-escaping.
std::string ShellQuote(std::string_view arg);

/// ShellQuote of each argument, joined with single spaces.
std::string ShellJoin(const std::vector<std::string>& args);

}  // namespace fanout
