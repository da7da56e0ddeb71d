#include "sandbox/action_key.h"

#include <sys/utsname.h>

#include <fmt/format.h>

#include "base/build_layout.h"
#include "base/file_util.h"
#include "base/sha256.h"
#include "sandbox/environment.h"

namespace fanout::sandbox {

std::string HostPlatform() {
  struct utsname u;
  if (uname(&u) != 0) return "linux/unknown";
  return fmt::format("linux/{}", u.machine);
}

Expected<records::ActionRecord> ComputeAction(const std::string& build_dir,
                                              const PlanTarget& target,
                                              const std::string& input_digest,
                                              const std::map<std::string, std::string>& host_env) {
  records::ActionRecord a;
  a.input_digest = input_digest;
  a.definition_digest = target.definition_digest;
  // Names and values, including which names are unset: a variable that appears is a change.
  Sha256 env;
  env.UpdateField("pass_env");
  const auto passed = PassedVariables(target.def, host_env);
  for (const std::string& name : target.def.pass_env) {
    env.UpdateField(name);
    auto it = passed.find(name);
    env.UpdateField(it == passed.end() ? "\x01unset" : "=" + it->second);
  }
  a.env_digest = env.HexDigest();
  for (const std::string& dep : target.def.deps) {
    auto result = records::ReadSuccess(build_dir + "/" + layout::ResultPath(dep));
    if (!result.ok()) {
      return MakeError(fmt::format("dependency '{}' of '{}' has no result: {}", dep,
                                   target.def.name, result.error().message));
    }
    a.deps[dep] = records::ResultDigest(*result);
  }
  a.platform = HostPlatform();
  records::ComputeActionKey(a);
  return a;
}

std::vector<std::string> ChangedActionParts(const records::ActionRecord& before,
                                            const records::ActionRecord& now) {
  std::vector<std::string> parts;
  if (before.key == now.key) return parts;
  if (before.version != now.version) parts.push_back("the key's format version");
  if (before.definition_digest != now.definition_digest) {
    parts.push_back("its definition");
  } else if (before.input_digest != now.input_digest) {
    parts.push_back("its inputs");
  }
  if (before.env_digest != now.env_digest) parts.push_back("its pass_env variables");
  for (const auto& [name, digest] : now.deps) {
    auto it = before.deps.find(name);
    if (it == before.deps.end()) {
      parts.push_back(fmt::format("new dependency '{}'", name));
    } else if (it->second != digest) {
      parts.push_back(fmt::format("dependency '{}'", name));
    }
  }
  for (const auto& [name, digest] : before.deps) {
    if (!now.deps.count(name)) parts.push_back(fmt::format("dependency '{}' removed", name));
  }
  if (before.platform != now.platform) parts.push_back("the machine type");
  return parts;
}

}  // namespace fanout::sandbox
