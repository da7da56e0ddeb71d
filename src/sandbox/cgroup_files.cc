#include "sandbox/cgroup_files.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

namespace fanout::sandbox {

namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string DecodeOctal(const std::string& s) {
  auto octal = [](char c) { return c >= '0' && c <= '7'; };
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && octal(s[i + 1]) && octal(s[i + 2]) && octal(s[i + 3])) {
      out.push_back(
          static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> SplitFields(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, sep)) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::vector<ProcCgroupEntry> ParseProcCgroup(const std::string& text) {
  std::vector<ProcCgroupEntry> out;
  for (const std::string& line : SplitFields(text, '\n')) {
    const size_t a = line.find(':');
    const size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos || a == 0) continue;
    const std::string id = line.substr(0, a);
    if (!std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
    ProcCgroupEntry e;
    e.hierarchy = std::atoi(id.c_str());
    e.controllers = SplitFields(line.substr(a + 1, b - a - 1), ',');
    e.path = line.substr(b + 1);
    if (e.path.empty() || e.path[0] != '/') continue;
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<CgroupMount> ParseCgroupMounts(const std::string& mountinfo) {
  std::vector<CgroupMount> out;
  for (const std::string& line : SplitFields(mountinfo, '\n')) {
    // ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS
    const std::vector<std::string> f = SplitFields(line, ' ');
    auto dash = std::find(f.begin(), f.end(), "-");
    if (f.size() < 6 || dash == f.end() || f.end() - dash < 4 || dash - f.begin() < 6) continue;
    const std::string& fstype = dash[1];
    if (fstype != "cgroup" && fstype != "cgroup2") continue;
    CgroupMount m;
    m.v2 = fstype == "cgroup2";
    m.root = DecodeOctal(f[3]);
    m.mount_point = DecodeOctal(f[4]);
    if (!m.v2) {
      for (const std::string& opt : SplitFields(dash[3], ',')) {
        if (opt != "rw" && opt != "ro") m.controllers.push_back(opt);
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

std::string CgroupDir(const CgroupMount& mount, const std::string& path) {
  const std::string& root = mount.root;
  if (root == "/") return path == "/" ? mount.mount_point : mount.mount_point + path;
  if (path == root) return mount.mount_point;
  if (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
      path[root.size()] == '/') {
    return mount.mount_point + path.substr(root.size());
  }
  return "";
}

}  // namespace fanout::sandbox
