// Validation of a parsed description (a YAML node tree) against the version 1 schema of
// docs/format.md (the reference of every key), producing the Description and every error with the
// node it is about.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "description/description.h"
#include "description/diagnostic.h"
#include "description/yaml_node.h"

namespace fanout {

/// Checks `root` (the document's root node; nullptr for an empty document) completely and
/// appends one Diagnostic per problem to `diagnostics`, each naming `file`. Returns the
/// Description, with targets sorted by name, only when it found no problem.
std::optional<Description> ValidateDescription(const YamlNode* root, const std::string& file,
                                               std::vector<Diagnostic>* diagnostics);

}  // namespace fanout
