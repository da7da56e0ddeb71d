// Validation of a parsed description (a YAML node tree) against the version 1 schema of
// DESIGN.md, producing the Description and every error with the node it is about. The value
// syntaxes it accepts (durations, byte sizes, names) are exposed for reuse and tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/description.h"
#include "src/diagnostic.h"
#include "src/yaml_node.h"

namespace fanout {

/// Checks `root` (the document's root node; nullptr for an empty document) completely and
/// appends one Diagnostic per problem to `diagnostics`, each naming `file`. Returns the
/// Description, with targets sorted by name, only when it found no problem.
std::optional<Description> ValidateDescription(const YamlNode* root, const std::string& file,
                                               std::vector<Diagnostic>* diagnostics);

/// Parses a duration: a bare number of seconds ("90") or h/m/s units in that order, each at
/// most once ("90s", "30m", "1h30m", "2h5m10s"). Returns the seconds, or nullopt when the
/// text is malformed or too large. "0" and "0s" parse to 0; callers reject them.
std::optional<std::int64_t> ParseDuration(std::string_view text);

/// Parses a size in bytes: a number with an optional K, M, G or T suffix (either case),
/// powers of 1024 ("4G" is 4 * 1024^3). Returns nullopt when malformed or too large.
std::optional<std::uint64_t> ParseByteSize(std::string_view text);

/// Whether `name` may name a target or a pool: `[A-Za-z0-9][A-Za-z0-9._-]*`.
bool IsValidName(std::string_view name);

/// Whether `name` is a valid environment variable name: `[A-Za-z_][A-Za-z0-9_]*`.
bool IsValidEnvName(std::string_view name);

}  // namespace fanout
