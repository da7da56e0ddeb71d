#include "snapshot/stamps.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <algorithm>
#include <set>
#include <string_view>
#include <system_error>

#include <fmt/format.h>
#include <boost/filesystem.hpp>

#include "base/build_layout.h"
#include "base/file_util.h"
#include "base/glob.h"
#include "base/sort_by_name.h"
#include "base/unique_fd.h"
#include "git/source_state.h"
#include "plan/depfile.h"

#include "git/source_state.h"

namespace fanout {

namespace {

/// Makes the stamp `name` in the directory `dir` (whose path is `dir_path`) hold `content`,
/// leaving it untouched (and its mtime old) when it already does. A large build creates
/// thousands of stamps at once, so a new one is written in place (one open, write and close)
/// rather than through a temporary file: Ninja reads only its mtime, and a stamp torn by a
/// crash differs from its digest, so the next snapshot (which reruns, since its own stamp is
/// renamed into place last) rewrites it. An existing stamp is replaced atomically.
Status UpdateStamp(int dir, const std::string& dir_path, const std::string& name,
                   std::string_view content) {
  const std::string path = dir_path + "/" + name;
  {
    UniqueFd old(openat(dir, name.c_str(), O_RDONLY | O_CLOEXEC));
    if (old) {
      char buf[256];
      ssize_t n = read(old.get(), buf, sizeof buf);
      if (n == static_cast<ssize_t>(content.size()) && std::memcmp(buf, content.data(), n) == 0) {
        return {};
      }
      return WriteFileAtomically(path, content);
    }
    if (errno != ENOENT) {
      return MakeError(fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
    }
  }
  UniqueFd fd(openat(dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd) return MakeError(fmt::format("cannot write '{}': {}", path, std::strerror(errno)));
  if (const int err = WriteAllToFd(fd.get(), content)) {
    unlinkat(dir, name.c_str(), 0);
    return MakeError(fmt::format("cannot write '{}': {}", path, std::strerror(err)));
  }
  return {};
}

/// Which of `digests` (sorted by name) have a stamp file ("NAME.stamp") in directory `dir_fd`:
/// one pass over the directory, each entry found by binary search.
std::vector<bool> StampsPresent(int dir_fd, const std::vector<DigestView>& digests) {
  std::vector<bool> present(digests.size(), false);
  const int fd = dup(dir_fd);
  DIR* d = fd < 0 ? nullptr : fdopendir(fd);
  if (!d) {
    if (fd >= 0) close(fd);
    return present;
  }
  constexpr std::string_view kSuffix = ".stamp";
  auto by_name = [](const DigestView& v, std::string_view name) { return v.name < name; };
  while (const dirent* e = readdir(d)) {
    std::string_view name(e->d_name);
    if (!name.ends_with(kSuffix)) continue;
    name.remove_suffix(kSuffix.size());
    auto it = std::lower_bound(digests.begin(), digests.end(), name, by_name);
    if (it != digests.end() && it->name == name) present[it - digests.begin()] = true;
  }
  closedir(d);
  return present;
}

}  // namespace

std::vector<bool> StampsPresent(const std::string& build_dir,
                                const std::vector<DigestView>& digests) {
  const std::string stamps = build_dir + "/" + layout::kStampsDir;
  UniqueFd dir(open(stamps.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  return dir ? StampsPresent(dir.get(), digests) : std::vector<bool>(digests.size(), false);
}

Status WriteStamps(const std::string& build_dir, const StampIndex& index,
                   const std::vector<DigestView>& digests, const std::vector<bool>* present) {
  const std::string stamps = build_dir + "/" + layout::kStampsDir;
  boost::system::error_code ec;
  boost::filesystem::create_directories(stamps, ec);
  UniqueFd dir(open(stamps.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return MakeError(fmt::format("cannot open '{}': {}", stamps, std::strerror(errno)));
  std::vector<bool> found;
  if (!present) {
    found = StampsPresent(dir.get(), digests);
    present = &found;
  }
  std::string file;
  std::string content;
  for (std::size_t i = 0; i < digests.size(); ++i) {
    const DigestView& d = digests[i];
    if ((*present)[i]) {
      const StampIndex::Entry* known = index.Find(d.name);
      if (known && known->digest == d.digest) continue;
    }
    file.assign(d.name).append(".stamp");
    content.assign(d.digest).append("\n");
    FANOUT_TRY(UpdateStamp(dir.get(), stamps, file, content));
  }
  return {};
}

Status WriteSnapshotDepfile(const std::string& build_dir, std::vector<std::string> deps,
                            const std::string& prefix) {
  deps.push_back(layout::kPlan);  // as the build file names it (the gather's input)
  if (!prefix.empty()) {
    for (std::string& d : deps) {
      if (d.empty() || d[0] != '/') d.insert(0, prefix);
    }
  }
  std::vector<std::string> left_out;
  std::string depfile = WriteDepfile(prefix + layout::kSnapshotStamp, deps, &left_out);
  if (!left_out.empty()) {
    fmt::print(stderr,
               "fanout: warning: {} input path(s) cannot be named in a Ninja depfile (such as "
               "'{}'); editing them will not rerun the snapshot until something else changes\n",
               left_out.size(), left_out.front());
  }
  return WriteFileAtomically(build_dir + "/" + layout::kSnapshotDepfile, depfile);
}

Status WriteSnapshot(const std::string& build_dir, const Plan& plan, const StampIndex& previous,
                     const SnapshotResult& snap, std::string_view plan_digest) {
  FANOUT_TRY(WriteFileIfChanged(build_dir + "/" + layout::kSource, SourceStateToJson(snap.state)));
  std::vector<DigestView> digests;
  digests.reserve(snap.digests.size());
  for (const TargetDigest& d : snap.digests) digests.push_back({d.name, d.digest, d.definition});
  FANOUT_TRY(WriteStamps(build_dir, previous, digests));
  // After the stamps: an index never names a digest its stamp does not hold.
  return WriteFileIfChanged(
      build_dir + "/" + layout::kStampIndex,
      StampIndexText(snap.state.tree, plan_digest, plan.repo_root, plan.source, digests));
}

}  // namespace fanout
