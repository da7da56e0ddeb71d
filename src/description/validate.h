// Validation of a parsed description (a YAML node tree) against the version 1 schema of
// docs/format.md (the reference of every key), producing the Description and every error with the
// node it is about.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
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

/// The keys a target's body may have, in the order errors list them; and those of its
/// `limits`. plan.json carries each (tests/plan/target_fields_test.cc checks that every one has
/// a field in plan/target_fields.cc, so none is read here and then lost before the edge runs).
std::span<const std::string_view> TargetBodyKeys();
std::span<const std::string_view> TargetLimitKeys();
/// The keys of a target's `image`.
std::span<const std::string_view> TargetImageKeys();

}  // namespace fanout
