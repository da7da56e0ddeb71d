// Reading the kernel's descriptions of control groups: /proc/PID/cgroup (which cgroups a
// process is in) and /proc/PID/mountinfo (where each hierarchy is mounted), and mapping one to
// the other. Pure text parsing, tested on captured files (tests/sandbox/cgroup_test.cc).
#pragma once

#include <string>
#include <vector>

namespace fanout::sandbox {

/// One line of /proc/PID/cgroup: "4:memory:/a/b", "2:cpu,cpuacct:/" or, for v2, "0::/a/b".
struct ProcCgroupEntry {
  int hierarchy = 0;
  std::vector<std::string> controllers;  ///< empty for v2
  std::string path;                      ///< relative to the hierarchy's (namespace) root
};

/// Parses the text of /proc/PID/cgroup; malformed lines are skipped.
std::vector<ProcCgroupEntry> ParseProcCgroup(const std::string& text);

/// A cgroup or cgroup2 file system mounted somewhere, from /proc/PID/mountinfo.
struct CgroupMount {
  bool v2 = false;
  std::string root;                      ///< the cgroup mounted there ("/" for a whole tree)
  std::string mount_point;               ///< octal escapes (\040) decoded
  std::vector<std::string> controllers;  ///< v1: the controllers of the hierarchy
};

/// The cgroup and cgroup2 mounts in the text of /proc/PID/mountinfo, in order.
std::vector<CgroupMount> ParseCgroupMounts(const std::string& mountinfo);

/// The directory of cgroup `path` (as /proc/PID/cgroup shows it) under `mount`, or "" when
/// the mount does not show that cgroup.
std::string CgroupDir(const CgroupMount& mount, const std::string& path);

/// The non-empty fields of `text` separated by `sep`.
std::vector<std::string> SplitFields(const std::string& text, char sep);

}  // namespace fanout::sandbox
