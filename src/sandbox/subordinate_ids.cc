#include "sandbox/subordinate_ids.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <sstream>

#include <fmt/format.h>

#include "base/file_util.h"
#include "base/find_program.h"
#include "base/subprocess.h"

namespace fanout::sandbox {

bool FindSubordinateRange(const std::string& text, const std::string& name,
                          std::optional<std::uint64_t> id, std::uint64_t* start,
                          std::uint64_t* count) {
  std::istringstream lines(text);
  std::string line;
  const std::string id_text = id ? std::to_string(*id) : "";
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string owner, a, b;
    if (!std::getline(fields, owner, ':') || (owner != name && (!id || owner != id_text))) continue;
    if (!std::getline(fields, a, ':') || !std::getline(fields, b)) continue;
    char* end = nullptr;
    errno = 0;
    const unsigned long long s = std::strtoull(a.c_str(), &end, 10);
    if (a.empty() || *end || errno) continue;
    const unsigned long long c = std::strtoull(b.c_str(), &end, 10);
    if (b.empty() || *end || errno || c == 0 || s + c > 0xFFFFFFFFull) continue;
    *start = s;
    *count = c;
    return true;
  }
  return false;
}

Expected<SubordinateIds> FindSubordinateIds() {
  SubordinateIds ids;
  ids.uid = getuid();
  ids.gid = getgid();
  const struct passwd* pw = getpwuid(ids.uid);
  const std::string name = pw ? pw->pw_name : std::to_string(ids.uid);
  const std::string fix = fmt::format(
      "give '{0}' a range of its own in /etc/subuid and /etc/subgid (as root: usermod "
      "--add-subuids 100000-165535 --add-subgids 100000-165535 {0}, with a range no other user "
      "has)",
      name);
  std::uint64_t us = 0, uc = 0, gs = 0, gc = 0;
  for (const auto& [file, start, count] :
       {std::tuple{"/etc/subuid", &us, &uc}, std::tuple{"/etc/subgid", &gs, &gc}}) {
    auto text = ReadFile(file);
    if (!text.ok() || !FindSubordinateRange(*text, name, ids.uid, start, count)) {
      return MakeError(
          fmt::format("{} has no range for user '{}' (uid {}): {}", file, name, ids.uid, fix));
    }
  }
  ids.uid_start = static_cast<uid_t>(us);
  ids.gid_start = static_cast<gid_t>(gs);
  ids.range = static_cast<std::uint32_t>(std::min({uc, gc, std::uint64_t{0xFFFFFFFE}}));
  for (auto [helper, path] :
       {std::pair{"newuidmap", &ids.newuidmap}, std::pair{"newgidmap", &ids.newgidmap}}) {
    std::optional<std::string> found = FindOnPath(helper);
    if (!found) {
      return MakeError(fmt::format(
          "no {} on PATH: it maps the subordinate ids of /etc/subuid and /etc/subgid; install "
          "Debian's 'uidmap' package",
          helper));
    }
    *path = std::move(*found);
  }
  return ids;
}

std::string MapSubordinateIds(pid_t pid, const SubordinateIds& ids) {
  const std::string target = std::to_string(pid);
  for (const auto& [helper, own, start] :
       {std::tuple{ids.newuidmap, std::uint64_t{ids.uid}, std::uint64_t{ids.uid_start}},
        std::tuple{ids.newgidmap, std::uint64_t{ids.gid}, std::uint64_t{ids.gid_start}}}) {
    auto run = RunProcess({helper, target, "0", std::to_string(own), "1", "1",
                           std::to_string(start), std::to_string(ids.range)});
    if (!run.ok()) return fmt::format("cannot run {}: {}", helper, run.error().message);
    if (!run->ok()) {
      std::string said = run->stderr_text;
      while (!said.empty() && (said.back() == '\n' || said.back() == ' ')) said.pop_back();
      return fmt::format("{} exited with status {}: {}", helper, run->exit_code,
                         said.empty() ? "(it said nothing)" : said);
    }
  }
  return "";
}

}  // namespace fanout::sandbox
