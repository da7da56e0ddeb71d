// The secrets an image build mounts (`image.secrets`, docs/images.md). Each is read on the
// runner by `fanout exec`, before the sandbox starts, into a sealed in-memory file (memfd): the
// command inherits the descriptor and the engine reads /proc/self/fd/N. The value is never
// written to a file, the plan or a log, and goes away with the last process holding it.
//
// A description comes from the repository, which a pull request controls; so the runner
// decides what may be read: a secret's variable must be allowed by FANOUT_PASS_ENV_ALLOW, as
// for `pass_env` (sandbox/environment.h), and a secret's file by FANOUT_SECRET_FILES_ALLOW,
// which, unlike that variable, allows nothing when unset: a file is read with fanout's own
// rights, root's in CI.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "base/unique_fd.h"
#include "description/description.h"

namespace fanout::sandbox {

/// The runner-side allow-list of secret files: ':'-separated absolute paths, '~/' for the
/// runner's $HOME; an entry ending in '/' allows every file beneath it. Unset or empty allows
/// none.
inline constexpr const char* kSecretFilesAllowVariable = "FANOUT_SECRET_FILES_ALLOW";

/// The most a secret may hold (BuildKit's own limit is 500 KB).
inline constexpr std::size_t kMaxSecretBytes = 512 * 1024;

/// One secret, open: the descriptor the command inherits.
struct OpenSecret {
  std::string id;
  UniqueFd fd;  ///< a sealed memfd, close-on-exec until the command's exec (sandbox/isolate.h)
};

/// `path` with a leading "~/" replaced by `home` + "/".
std::string ExpandHome(const std::string& path, const std::string& home);

/// Whether `path` (absolute, expanded) is allowed by `allow_list` (the variable's value).
bool SecretFileAllowed(std::string_view allow_list, const std::string& path,
                       const std::string& home);

/// Reads every secret of `secrets` from the runner's `host` environment and files; an error
/// names the secret, the target and what to do.
Expected<std::vector<OpenSecret>> OpenSecrets(const std::vector<ImageSecret>& secrets,
                                              const std::map<std::string, std::string>& host,
                                              const std::string& target);

}  // namespace fanout::sandbox
