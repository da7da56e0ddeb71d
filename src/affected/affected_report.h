// Writing an AffectedResult out: the JSON contract of docs/cli.md, the plain list, the GitHub
// Actions outputs, and the human explanation.
#pragma once

#include <string>

#include "affected/affected.h"

namespace fanout {

/// The `fanout affected --format json` document of docs/cli.md: base, head, compared (null when
/// no diff was made), all, all_reason, affected (name, tier, reasons), unaffected, tiers; keys
/// in that order, 2-space indent, a trailing newline.
std::string AffectedToJson(const AffectedResult& result);

/// One affected target name a line, in dependency order (by tier, then by name), so a script
/// can build them in order.
std::string AffectedToText(const AffectedResult& result);

/// GitHub Actions step outputs: `matrix={"include":[{"target":"..."},...]}`, `any=true|false`,
/// and `<target>=true|false` for every target, each on its own line.
std::string AffectedToGithub(const AffectedResult& result);

/// For people: per affected target, in dependency order, the changed paths and the patterns
/// they matched, the dependency chain down to a changed target, global inputs and description
/// changes; then a one-line summary.
std::string ExplainAffected(const AffectedResult& result);

}  // namespace fanout
