#include "sandbox/environment.h"

#include <cstring>

extern char** environ;

namespace fanout::sandbox {

std::vector<std::string> BuildEnvironment(const Target& target,
                                          const std::map<std::string, std::string>& host,
                                          const EnvironmentPaths& paths) {
  std::map<std::string, std::string> env;
  auto host_value = [&](const char* name, const char* fallback) {
    auto it = host.find(name);
    return it != host.end() && !it->second.empty() ? it->second : std::string(fallback);
  };
  env["PATH"] = host_value("PATH", kDefaultPath);
  env["LANG"] = host_value("LANG", "C.UTF-8");
  env["HOME"] = paths.home;
  env["TMPDIR"] = paths.tmp;
  if (!paths.git_ceiling.empty()) env["GIT_CEILING_DIRECTORIES"] = paths.git_ceiling;
  for (const std::string& name : target.pass_env) {
    auto it = host.find(name);
    if (it != host.end()) env[name] = it->second;
  }
  for (const auto& [k, v] : target.env) env[k] = v;
  env["FANOUT_TARGET"] = target.name;
  env["FANOUT_OUT"] = paths.out;
  env["FANOUT_DEPS"] = paths.deps;
  env["FANOUT_WORKSPACE"] = paths.workspace;
  env["FANOUT_ATTEMPT"] = std::to_string(paths.attempt);
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

std::map<std::string, std::string> HostEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (!eq) continue;
    env.emplace(std::string(*e, static_cast<size_t>(eq - *e)), std::string(eq + 1));
  }
  return env;
}

}  // namespace fanout::sandbox
