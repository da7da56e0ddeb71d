// Make-syntax depfiles as Ninja reads them: one target, then the files it depends on.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace fanout {

/// True when a depfile as Ninja reads it can name `path` exactly: no control characters, no
/// backslash, no trailing ':', and only characters Ninja's depfile parser accepts besides
/// space, '#' and '$' (which are escaped). Ninja splits a path at the others ('\'', '"', '&',
/// '*', '?', ';', '<', '>', '^', '`', '|', tab).
bool DepfileCanExpress(std::string_view path);

/// The depfile text `target: path...` (the target escaped as the paths are, and one
/// DepfileCanExpress accepts), paths sorted and deduplicated, one per line, with
/// space written `\ `, '#' written `\#` and '$' written `$$`. A path DepfileCanExpress rejects
/// is left out and, when `left_out` is given, appended to it, so the caller can warn that a
/// change to it will not be noticed.
std::string WriteDepfile(std::string_view target, const std::vector<std::string>& paths,
                         std::vector<std::string>* left_out = nullptr);

}  // namespace fanout
