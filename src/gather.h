// The gather step (the final edge): every target's result and artifacts into one manifest and
// one artifacts/ tree, for the post-submit step.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "src/expected.h"
#include "src/plan.h"

namespace fanout {

/// Reads BUILD/targets/<t>/result.json; nullopt-like Error (exit 1) when missing.
Expected<nlohmann::json> ReadResult(const std::string& build_dir, const std::string& target);

/// Builds the manifest from the plan and the targets' results, hard-linking (or copying)
/// each artifact to BUILD/artifacts/<t>/ and checking its SHA-256 against result.json.
/// Targets without a result are listed with status "missing" (`fanout report` explains why).
Expected<nlohmann::json> GatherManifest(const std::string& build_dir, const Plan& plan);

/// Runs the gather step: writes BUILD/manifest.json atomically.
Status RunGather(const std::string& build_dir);

}  // namespace fanout
