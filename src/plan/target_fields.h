// A planned target's fields, listed once (target_fields.cc): the table writes a target into
// plan.json (and `fanout list --json`), reads it back, and decides what its definition digest
// covers. A field added to the table is written, read and digested, or explicitly not digested.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/json_fields.h"
#include "plan/plan.h"

namespace fanout {

/// Every field of a planned target, in the order plan.json writes them.
std::span<const JsonField<PlanTarget>> TargetFields();

/// The fields of a target's `limits` object.
std::span<const JsonField<Limits>> LimitFields();
/// The fields of a target's nested `image` object.
std::span<const JsonField<ImageSpec>> ImageFields();

/// For each field that fanout.yaml spells differently from plan.json, or writes at all: the
/// key a target's body has in the description ("" for what the description does not write in
/// the body: the name is the target's key, line and column are where it is, tier and the
/// definition digest are derived).
std::string_view DescriptionKey(std::string_view json_key);

/// The description keys a plan field carries besides DescriptionKey(json_key): `inputs` also
/// carries `inputs_from`, which the validator writes into the inputs as a marker
/// (base/dockerfile_sources.h).
std::span<const std::string_view> MoreDescriptionKeys(std::string_view json_key);

/// Writes one target object.
void WriteTargetJson(const PlanTarget& target, JsonWriter& w);

/// The definition digest of a planned target (plan.h's DefinitionDigest without a copy).
std::string DefinitionDigest(const PlanTarget& target,
                             const std::vector<std::string>& global_inputs);

/// Reads one target object; false with `error` set when it is not a valid target.
bool ReadTargetJson(od::object object, PlanTarget& target, FieldError& error);

}  // namespace fanout
