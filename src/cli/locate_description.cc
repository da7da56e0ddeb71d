#include "cli/locate_description.h"

#include <fmt/format.h>
#include <boost/filesystem.hpp>

#include "base/exit_codes.h"

namespace fanout {

namespace fs = boost::filesystem;

std::string LocateDescription() {
  boost::system::error_code ec;
  if (fs::exists(kDescriptionFileName, ec)) return kDescriptionFileName;
  const fs::path cwd = fs::current_path(ec);
  if (ec) return kDescriptionFileName;
  // The current directory itself may be the root: then there is nothing above to look at.
  if (fs::exists(cwd / ".git", ec)) return kDescriptionFileName;
  std::string up;
  for (fs::path dir = cwd.parent_path(); !dir.empty(); dir = dir.parent_path()) {
    up += "../";
    if (fs::is_regular_file(dir / kDescriptionFileName, ec)) return up + kDescriptionFileName;
    if (fs::exists(dir / ".git", ec) || dir == dir.root_path()) break;
  }
  return kDescriptionFileName;
}

Expected<Repository> OpenDescriptionRepo(const CommonOptions& opts) {
  if (!opts.repo.empty()) return Repository::Open(opts.repo);
  boost::system::error_code ec;
  const fs::path dir = fs::absolute(opts.file).parent_path();
  auto repo = Repository::Open(dir.string());
  if (repo.ok()) return repo;
  if (!fs::exists(opts.file, ec)) {
    return MakeError(fmt::format("cannot read the description '{}': no such file (without -f, "
                                 "fanout looks for {} in the current directory and its parents "
                                 "up to the repository's root); pass -f FILE",
                                 opts.file, kDescriptionFileName),
                     kExitUsage);
  }
  return MakeError(fmt::format("{}; the description '{}' is not inside a git repository: pass "
                               "--repo DIR to name the repository whose files it describes",
                               repo.error().message, opts.file),
                   repo.error().exit_code);
}

}  // namespace fanout
