#include "sandbox/result.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/unique_fd.h"

namespace fanout::sandbox {

using nlohmann::json;

namespace {

json NullIfEmpty(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

json SandboxJson(const SandboxRecord& s) {
  // What Landlock restricts in the process tier: reads (the repository and the rest of the
  // build directory are hidden) and writes (only the workspace and its directories).
  json landlock = s.landlock_abi > 0
                      ? json{{"abi", s.landlock_abi}, {"restricts", {"read", "write"}}}
                      : json(nullptr);
  return {{"tier", s.tier},
          {"fallback_reason", NullIfEmpty(s.fallback_reason)},
          {"landlock", landlock},
          {"limits", s.limits},
          {"limits_fallback_reason", NullIfEmpty(s.limits_fallback_reason)}};
}

}  // namespace

std::string SuccessJson(const SuccessRecord& r) {
  json artifacts = json::array();
  for (const Artifact& a : r.artifacts) {
    artifacts.push_back({{"path", a.path}, {"size", a.size}, {"sha256", a.sha256}});
  }
  json j = {
      {"target", r.target},
      {"status", r.attempts > 1 ? "flaky" : "succeeded"},
      {"exit_code", 0},
      {"attempts", r.attempts},
      {"started_at", r.started_at},
      {"finished_at", r.finished_at},
      {"duration_seconds", r.finished_at - r.started_at},
      {"source", {{"commit", r.commit ? json(*r.commit) : json(nullptr)}, {"tree", r.tree}}},
      {"input_digest", r.input_digest},
      {"sandbox", SandboxJson(r.sandbox)},
      {"artifacts", artifacts},
      {"log", r.log},
  };
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string FailureJson(const FailureRecord& r) {
  json j = {{"target", r.target},
            {"status", r.status},
            {"exit_code", r.exit_code},
            {"signal", r.signal ? json(r.signal) : json(nullptr)},
            {"attempts", r.attempts},
            {"duration_seconds", r.duration_seconds},
            {"message", r.message},
            {"log_tail", r.log_tail},
            {"sandbox", r.sandbox ? SandboxJson(*r.sandbox) : json(nullptr)}};
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string DescribeExit(int exit_code, int signal) {
  if (signal != 0) {
    const char* name = sigabbrev_np(signal);
    return name ? fmt::format("killed by signal {} (SIG{})", signal, name)
                : fmt::format("killed by signal {}", signal);
  }
  return fmt::format("exited with status {}", exit_code);
}

}  // namespace fanout::sandbox
