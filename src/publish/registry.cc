#include "publish/registry.h"

#include <stdlib.h>
#include <unistd.h>

#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "base/file_util.h"
#include "base/sha256.h"
#include "base/subprocess.h"

namespace fanout::publish {
namespace {

/// The last non-empty lines of what a tool said: where skopeo puts the registry's message.
std::string Tail(const std::string& text, std::size_t keep = 3) {
  std::vector<std::string_view> lines;
  std::string_view rest = text;
  while (!rest.empty()) {
    const std::size_t nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    if (line.find_first_not_of(" \t\r") != std::string_view::npos) lines.push_back(line);
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  if (lines.empty()) return "(skopeo said nothing)";
  std::string out;
  for (std::size_t i = lines.size() > keep ? lines.size() - keep : 0; i < lines.size(); ++i) {
    if (!out.empty()) out += "\n  ";
    out += lines[i];
  }
  return out;
}

/// A scratch file name for --digestfile, removed on destruction.
class DigestFile {
 public:
  explicit DigestFile(const std::string& dir) {
    std::string tmpl = dir + "/fanout-digest.XXXXXX";
    const int fd = mkstemp(tmpl.data());
    if (fd >= 0) {
      close(fd);
      path_ = tmpl;
    }
  }
  ~DigestFile() {
    if (!path_.empty()) unlink(path_.c_str());
  }
  DigestFile(const DigestFile&) = delete;
  DigestFile& operator=(const DigestFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

bool RegistryHas(const RegistryAccess& access, const std::string& reference,
                 const std::string& digest) {
  std::vector<std::string> argv = {"skopeo", "--tmpdir", access.tmpdir, "inspect", "--raw"};
  if (!access.authfile.empty()) argv.insert(argv.end(), {"--authfile", access.authfile});
  if (!access.tls_verify) argv.push_back("--tls-verify=false");
  argv.push_back("docker://" + reference);
  auto run = RunProcess(argv);
  if (!run.ok() || !run->ok()) return false;
  return "sha256:" + Sha256Hex(run->stdout_text) == digest;
}

Status CopyToRegistry(const RegistryAccess& access, const std::string& layout,
                      const std::string& reference, const std::string& digest) {
  DigestFile digest_file(access.tmpdir);
  if (digest_file.path().empty()) {
    return MakeError(fmt::format("cannot create a scratch file in '{}'", access.tmpdir),
                     kExitTargetFailed);
  }
  std::vector<std::string> argv = {
      "skopeo",        "--tmpdir", access.tmpdir,        "copy",         "--quiet",
      "--retry-times", "3",        "--preserve-digests", "--digestfile", digest_file.path()};
  if (!access.authfile.empty()) argv.insert(argv.end(), {"--dest-authfile", access.authfile});
  if (!access.tls_verify) argv.push_back("--dest-tls-verify=false");
  argv.push_back("oci:" + layout);
  argv.push_back("docker://" + reference);
  auto run = RunProcess(argv);
  if (!run.ok()) return run.error();
  if (!run->ok()) {
    return MakeError(fmt::format("pushing to '{}' failed: {}", reference, Tail(run->stderr_text)),
                     kExitTargetFailed);
  }
  auto stored = ReadFile(digest_file.path());
  if (!stored.ok() || *stored != digest) {
    return MakeError(fmt::format("the registry stored '{}' under digest '{}', not '{}' as "
                                 "manifest.json says; rebuild the image ('fanout build')",
                                 reference, stored.ok() ? *stored : "(unknown)", digest),
                     kExitTargetFailed);
  }
  return {};
}

}  // namespace fanout::publish
