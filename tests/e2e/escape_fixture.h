// The escape suite's fixture (issue 12, "Show it"): a real git repository and build directory
// owned by the user fanout runs as (root, or an unprivileged uid through setpriv), the real
// `fanout build` (and `fanout-weakened` for the positive controls), the attack program
// tests/escape/attack.cc, and the host-side listeners and processes the attacks aim at.
#pragma once

#include <sys/types.h>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace fanout::testing {

enum class EscapeTier { kNamespaces, kProcess };

/// One variant of the suite: the sandbox tier, and whether fanout runs as root.
struct EscapeVariant {
  EscapeTier tier;
  bool root;
};

/// "namespaces_root", "process_unprivileged", ...: the variant's name in the test output.
std::string EscapeVariantName(const ::testing::TestParamInfo<EscapeVariant>& info);

/// Prints the variant's name (instead of its bytes) in gtest's messages.
void PrintTo(const EscapeVariant& v, std::ostream* os);

/// The four variants, and those of one tier.
std::vector<EscapeVariant> AllEscapeVariants();
std::vector<EscapeVariant> EscapeVariantsOf(EscapeTier tier);

/// The uid the unprivileged variants run as when the tests run as root.
inline constexpr uid_t kEscapeUser = 65534;

/// A Unix or TCP listener of the test, which says whether anything connected to it.
class EscapeListener {
 public:
  /// 127.0.0.1 on a free port.
  static std::unique_ptr<EscapeListener> Tcp();
  /// The abstract Unix socket "\0name".
  static std::unique_ptr<EscapeListener> Abstract(const std::string& name);
  /// A Unix socket at `path`, owned by `uid`:`gid` with `mode`; removed on destruction.
  static std::unique_ptr<EscapeListener> Path(const std::string& path, uid_t uid, gid_t gid,
                                              mode_t mode);
  ~EscapeListener();
  int port() const { return port_; }
  /// Whether a connection is waiting (never blocks: the attacks finished before this is asked).
  bool Connected();

 private:
  int fd_ = -1;
  int port_ = 0;
  std::string path_;
};

/// A `sleep` the test started as `uid` (the attacks' kill target); killed on destruction.
class EscapeSleeper {
 public:
  explicit EscapeSleeper(uid_t uid);
  ~EscapeSleeper();
  pid_t pid() const { return pid_; }
  /// Whether it still runs (not killed, not reaped).
  bool Alive();

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

/// The outcome of one `fanout build` in its own build directory.
struct EscapeBuild {
  RunResult run;
  std::string dir;  ///< the build directory
  std::string Log(const std::string& t) const;
  nlohmann::json Result(const std::string& t) const;    ///< null when missing
  std::string FailureText(const std::string& t) const;  ///< failure.json as text ("" if none)
  std::string Out(const std::string& t) const { return dir + "/targets/" + t + "/out"; }
  std::string Gathered(const std::string& t) const { return dir + "/artifacts/" + t; }
  /// The verdict ("ESCAPED", "BLOCKED", "ERROR"; "" when absent) of the first outcome line of
  /// target `t` whose attack is `attack` and whose subject contains `subject`.
  std::string Outcome(const std::string& t, const std::string& attack,
                      const std::string& subject = "") const;
  /// That whole line, for messages.
  std::string OutcomeLine(const std::string& t, const std::string& attack,
                          const std::string& subject = "") const;
};

class EscapeTest : public ::testing::TestWithParam<EscapeVariant> {
 protected:
  void SetUp() override;
  /// Whether the test runs targets in the variant's tier (else the namespaces tier need not
  /// be available).
  virtual bool UsesTier() const { return true; }

  bool Root() const { return GetParam().root; }
  bool Namespaces() const { return GetParam().tier == EscapeTier::kNamespaces; }
  const char* TierName() const { return Namespaces() ? "namespaces" : "process"; }
  /// The uid fanout and git run as.
  uid_t User() const;
  /// The weakened layers of a positive control: `common`, plus `root_only` in a root variant.
  std::string Layers(const std::string& common, const std::string& root_only = "") const;

  /// The repository's work tree, and a path in it.
  const std::string& repo() const { return repo_; }
  std::string Repo(const std::string& rel) const { return repo_ + "/" + rel; }
  const std::string& base() const { return base_; }
  /// Writes a file of the repository (as root when the tests run as root; Commit hands it over).
  void Write(const std::string& rel, const std::string& content, mode_t mode = 0644);
  /// Writes fanout.yaml: `targets` is the YAML of the targets (indented by two spaces).
  void Describe(const std::string& targets);
  /// Hands the tree to the user and commits everything as that user.
  void Commit();

  /// `fanout build` in a fresh build directory. `weaken` empty: the real fanout; otherwise
  /// fanout-weakened with FANOUT_TEST_WEAKEN=weaken. `env`: more variables ("K=V") for fanout
  /// build (its environment is only these, PATH, HOME and LANG). `force_tier`: set
  /// FANOUT_SANDBOX to the variant's tier.
  EscapeBuild Build(const std::string& weaken, const std::vector<std::string>& env = {},
                    const std::vector<std::string>& args = {}, bool force_tier = true);
  /// Runs `argv` as the user, with only PATH, HOME, LANG and `env`, bounded in time.
  RunResult AsUser(const std::vector<std::string>& argv, const std::string& cwd,
                   const std::vector<std::string>& env = {});

  /// The attack program, single-quoted for the shell.
  static std::string Attack();
  /// A target's YAML: command (quoted here), inputs [src/**], then `extra` lines (each
  /// "key: value", indented here).
  static std::string Target(const std::string& name, const std::string& command,
                            const std::vector<std::string>& extra = {});
  /// A YAML single-quoted scalar.
  static std::string Quote(const std::string& s);
  /// A number unlikely to appear anywhere else.
  static std::string Marker();

 private:
  std::unique_ptr<TempDir> dir_;
  std::string base_, repo_, home_;
  int builds_ = 0;
  bool git_initialized_ = false;
};

/// The Landlock ABI of this kernel (0: none).
int EscapeLandlockAbi();
/// Why io_uring cannot be used by an unprivileged process here ("" when it can).
std::string IoUringUnavailable();

}  // namespace fanout::testing
