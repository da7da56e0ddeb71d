// Sample records with every field set to a value other than its default, shared by the
// records tests.
#pragma once

#include "records/manifest.h"
#include "records/target_record.h"

namespace fanout::records::testing {

SandboxRecord SampleSandbox();
SuccessRecord SampleSuccess();
FailureRecord SampleFailure();
Manifest SampleManifest();

}  // namespace fanout::records::testing
