#include "sandbox/environment.h"

#include <cstring>

extern char** environ;

namespace fanout::sandbox {

bool PassEnvAllowed(std::string_view allow_list, std::string_view name) {
  constexpr std::string_view kBlank = " \t";
  while (!allow_list.empty()) {
    const size_t comma = allow_list.find(',');
    std::string_view entry = allow_list.substr(0, comma);
    allow_list =
        comma == std::string_view::npos ? std::string_view() : allow_list.substr(comma + 1);
    const size_t first = entry.find_first_not_of(kBlank);
    if (first == std::string_view::npos) continue;
    entry = entry.substr(first, entry.find_last_not_of(kBlank) - first + 1);
    if (entry.back() == '*') {
      if (name.starts_with(entry.substr(0, entry.size() - 1))) return true;
    } else if (name == entry) {
      return true;
    }
  }
  return false;
}

std::map<std::string, std::string> PassedVariables(const Target& target,
                                                   const std::map<std::string, std::string>& host,
                                                   std::vector<std::string>* warnings) {
  std::map<std::string, std::string> passed;
  auto allow = host.find(kPassEnvAllowVariable);
  for (const std::string& name : target.pass_env) {
    // The runner's policy is not the description's to read.
    if (name == kPassEnvAllowVariable) continue;
    if (allow != host.end() && !PassEnvAllowed(allow->second, name)) {
      if (warnings) {
        warnings->push_back("fanout: warning: pass_env '" + name + "' of target '" + target.name +
                            "' is not allowed by " + kPassEnvAllowVariable + "; not passed");
      }
      continue;
    }
    auto it = host.find(name);
    if (it != host.end()) passed[name] = it->second;
  }
  return passed;
}

std::vector<std::string> BuildEnvironment(const Target& target,
                                          const std::map<std::string, std::string>& host,
                                          const EnvironmentPaths& paths,
                                          std::vector<std::string>* warnings) {
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
  for (auto& [k, v] : PassedVariables(target, host, warnings)) env[k] = std::move(v);
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
