#include "sandbox/identity.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "base/file_util.h"
#include "base/unique_fd.h"
#include "sandbox/subordinate_ids.h"
#include "sandbox/weaken.h"

namespace fanout::sandbox {

namespace {

// The "fanout:START:COUNT" entry of /etc/subuid or /etc/subgid, if any.
bool ReadSubIds(const char* file, std::uint64_t* start, std::uint64_t* count) {
  auto text = ReadFile(file);
  return text.ok() && FindSubordinateRange(*text, "fanout", std::nullopt, start, count);
}

int LastCap() {
  std::ifstream in("/proc/sys/kernel/cap_last_cap");
  int last = 40;
  in >> last;
  return last;
}

}  // namespace

Expected<BuildIdentity> ParseBuildIds(const std::string& text) {
  BuildIdentity id;
  const size_t colon = text.find(':');
  const std::string a = text.substr(0, colon);
  const std::string b = colon == std::string::npos ? "" : text.substr(colon + 1);
  char* end = nullptr;
  const unsigned long long start = std::strtoull(a.c_str(), &end, 10);
  bool ok = !a.empty() && *end == '\0';
  unsigned long long count = kDefaultBuildIdCount;
  if (ok && colon != std::string::npos) {
    count = std::strtoull(b.c_str(), &end, 10);
    ok = !b.empty() && *end == '\0';
  }
  if (!ok || start == 0 || count == 0 || start + count > 0xFFFFFFFFull) {
    return MakeError(fmt::format(
        "FANOUT_SANDBOX_IDS='{}' is not START[:COUNT] with 0 < START and START+COUNT < 2^32 "
        "(e.g. 1879048192:65536); it names the unprivileged host ids root's builds run as",
        text));
  }
  id.active = true;
  id.uid = static_cast<uid_t>(start);
  id.gid = static_cast<gid_t>(start);
  id.count = static_cast<std::uint32_t>(count);
  id.origin = "FANOUT_SANDBOX_IDS";
  return id;
}

Expected<BuildIdentity> ResolveBuildIdentity() {
  if (geteuid() != 0 || Weakened("uid")) return BuildIdentity{};
  std::uint64_t us = 0, uc = 0, gs = 0, gc = 0;
  if (ReadSubIds("/etc/subuid", &us, &uc) && ReadSubIds("/etc/subgid", &gs, &gc) && us > 0 &&
      gs > 0 && uc > 0 && gc > 0 && us + uc <= 0xFFFFFFFFull && gs + gc <= 0xFFFFFFFFull) {
    BuildIdentity id;
    id.active = true;
    id.uid = static_cast<uid_t>(us);
    id.gid = static_cast<gid_t>(gs);
    id.count = static_cast<std::uint32_t>(std::min(uc, gc));
    id.origin = "/etc/subuid and /etc/subgid entries of 'fanout'";
    return id;
  }
  if (const char* env = std::getenv("FANOUT_SANDBOX_IDS"); env && *env) return ParseBuildIds(env);
  BuildIdentity id;
  id.active = true;
  id.uid = kDefaultBuildIdStart;
  id.gid = kDefaultBuildIdStart;
  id.count = kDefaultBuildIdCount;
  id.origin = "default";
  return id;
}

std::string WriteRangeIdMaps(pid_t pid, const BuildIdentity& id,
                             const std::vector<gid_t>& extra_gids) {
  const std::string dir = "/proc/" + std::to_string(pid);
  auto write_file = [](const std::string& path, const std::string& text) -> std::string {
    UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd || write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      return "write " + path + ": " + std::strerror(errno);
    }
    return "";
  };
  std::string gids = fmt::format("0 {} {}\n", id.gid, id.count);
  for (size_t i = 0; i < extra_gids.size(); ++i) {
    gids += fmt::format("{} {} 1\n", id.count + i, extra_gids[i]);
  }
  std::string err = write_file(dir + "/uid_map", fmt::format("0 {} {}\n", id.uid, id.count));
  if (err.empty()) err = write_file(dir + "/gid_map", gids);
  return err;
}

std::string DropToIdentity(const BuildIdentity& id, const std::vector<gid_t>& groups) {
  auto err = [](const char* what) { return std::string(what) + ": " + std::strerror(errno); };
  const int last = LastCap();
  for (int cap = 0; cap <= last; ++cap) {
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
      return err("prctl(PR_CAPBSET_DROP)");
    }
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return err("prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
  }
  if (setgroups(groups.size(), groups.data()) != 0) return err("setgroups");
  if (setresgid(id.gid, id.gid, id.gid) != 0) return err("setresgid");
  if (setresuid(id.uid, id.uid, id.uid) != 0) return err("setresuid");
  // setresuid from 0 to non-zero ids clears the permitted, effective and ambient sets; check.
  struct __user_cap_header_struct header {
    _LINUX_CAPABILITY_VERSION_3, 0
  };
  struct __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &header, data) != 0) return err("capget");
  for (const auto& d : data) {
    if (d.permitted || d.effective || d.inheritable) {
      return "capabilities are left after switching to the build uid";
    }
  }
  if (getuid() == 0 || geteuid() == 0 || getgid() == 0 || getegid() == 0) {
    return "still root after switching to the build uid";
  }
  return "";
}

}  // namespace fanout::sandbox
