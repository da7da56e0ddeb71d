#include "escape_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <random>
#include <sstream>

#include "sandbox/landlock.h"

namespace fanout::testing {

namespace {

bool RunningAsRoot() { return geteuid() == 0; }

std::string SetprivPrefixFor(uid_t uid) {
  return "setpriv --reuid=" + std::to_string(uid) + " --regid=" + std::to_string(uid) +
         " --clear-groups --";
}

}  // namespace

std::string EscapeVariantName(const ::testing::TestParamInfo<EscapeVariant>& info) {
  return std::string(info.param.tier == EscapeTier::kNamespaces ? "namespaces" : "process") +
         (info.param.root ? "_root" : "_unprivileged");
}

void PrintTo(const EscapeVariant& v, std::ostream* os) {
  *os << (v.tier == EscapeTier::kNamespaces ? "namespaces" : "process")
      << (v.root ? "_root" : "_unprivileged");
}

std::vector<EscapeVariant> AllEscapeVariants() {
  return {{EscapeTier::kNamespaces, true},
          {EscapeTier::kNamespaces, false},
          {EscapeTier::kProcess, true},
          {EscapeTier::kProcess, false}};
}

std::vector<EscapeVariant> EscapeVariantsOf(EscapeTier tier) {
  return {{tier, true}, {tier, false}};
}

// ---- listeners and the sleeper ----

std::unique_ptr<EscapeListener> EscapeListener::Tcp() {
  auto l = std::make_unique<EscapeListener>();
  l->fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(l->fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << strerror(errno);
  EXPECT_EQ(listen(l->fd_, 16), 0);
  socklen_t len = sizeof addr;
  getsockname(l->fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  l->port_ = ntohs(addr.sin_port);
  return l;
}

std::unique_ptr<EscapeListener> EscapeListener::Abstract(const std::string& name) {
  auto l = std::make_unique<EscapeListener>();
  l->fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path + 1, name.data(), name.size());
  const socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  EXPECT_EQ(bind(l->fd_, reinterpret_cast<sockaddr*>(&addr), len), 0) << strerror(errno);
  EXPECT_EQ(listen(l->fd_, 16), 0);
  return l;
}

std::unique_ptr<EscapeListener> EscapeListener::Path(const std::string& path, uid_t uid, gid_t gid,
                                                     mode_t mode) {
  auto l = std::make_unique<EscapeListener>();
  l->fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), std::min(path.size(), sizeof addr.sun_path - 1));
  unlink(path.c_str());
  EXPECT_EQ(bind(l->fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0)
      << path << ": " << strerror(errno);
  l->path_ = path;
  EXPECT_EQ(listen(l->fd_, 16), 0);
  if (RunningAsRoot()) {
    EXPECT_EQ(chown(path.c_str(), uid, gid), 0) << strerror(errno);
  }
  EXPECT_EQ(chmod(path.c_str(), mode), 0) << strerror(errno);
  return l;
}

EscapeListener::~EscapeListener() {
  if (fd_ >= 0) close(fd_);
  if (!path_.empty()) unlink(path_.c_str());
}

bool EscapeListener::Connected() {
  int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (c < 0) return false;
  close(c);
  return true;
}

EscapeSleeper::EscapeSleeper(uid_t uid) {
  pid_ = fork();
  if (pid_ == 0) {
    if (getuid() != uid) {
      if (setgroups(0, nullptr) != 0 || setresgid(uid, uid, uid) != 0 ||
          setresuid(uid, uid, uid) != 0) {
        _exit(126);
      }
    }
    int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 0);
    dup2(devnull, 1);
    dup2(devnull, 2);
    execlp("sleep", "sleep", "300", static_cast<char*>(nullptr));
    _exit(127);
  }
}

EscapeSleeper::~EscapeSleeper() {
  if (pid_ > 0 && !reaped_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

bool EscapeSleeper::Alive() {
  if (pid_ <= 0 || reaped_) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    reaped_ = true;
    return false;
  }
  return true;
}

// ---- one build ----

std::string EscapeBuild::Log(const std::string& t) const {
  return ReadFile(dir + "/targets/" + t + "/log.txt");
}

nlohmann::json EscapeBuild::Result(const std::string& t) const {
  std::string text = ReadFile(dir + "/targets/" + t + "/result.json");
  if (text.empty()) return nullptr;
  return nlohmann::json::parse(text, nullptr, false);
}

std::string EscapeBuild::FailureText(const std::string& t) const {
  return ReadFile(dir + "/targets/" + t + "/failure.json");
}

std::string EscapeBuild::OutcomeLine(const std::string& t, const std::string& attack,
                                     const std::string& subject) const {
  std::istringstream in(Log(t));
  std::string line;
  while (std::getline(in, line)) {
    for (const char* verdict : {"ESCAPED ", "BLOCKED ", "ERROR "}) {
      const std::string head = verdict + attack + " ";
      if (line.rfind(head, 0) != 0) continue;
      const std::string token = line.substr(head.size(), line.find(' ', head.size()) - head.size());
      if (token.find(subject) != std::string::npos) return line;
    }
  }
  return "";
}

std::string EscapeBuild::Outcome(const std::string& t, const std::string& attack,
                                 const std::string& subject) const {
  const std::string line = OutcomeLine(t, attack, subject);
  return line.substr(0, line.find(' '));
}

// ---- the fixture ----

void EscapeTest::SetUp() {
  if (Root() && !RunningAsRoot()) {
    GTEST_SKIP() << "the root variants need the tests to run as root (CI runs them as root)";
  }
  dir_ = std::make_unique<TempDir>();
  base_ = dir_->path();
  repo_ = base_ + "/repo";
  home_ = base_ + "/home";
  // The user must reach its directories: every ancestor of base_ must be searchable by others.
  for (std::string p = base_; p.size() > 1; p = p.substr(0, p.rfind('/'))) {
    struct stat st;
    ASSERT_EQ(stat(p.c_str(), &st), 0);
    if (p != base_ && !Root()) {
      ASSERT_TRUE(st.st_mode & S_IXOTH)
          << p << " is not searchable by uid " << User() << "; set TMPDIR to a directory that is";
    }
  }
  ASSERT_EQ(chmod(base_.c_str(), 0755), 0);
  ASSERT_EQ(Sh("mkdir -p '" + repo_ + "' '" + home_ + "'").exit_code, 0);
  Write("src/main.txt", "hello\n");
  if (!Root() && RunningAsRoot()) {
    ASSERT_EQ(Sh("command -v setpriv").exit_code, 0)
        << "the unprivileged variants need setpriv (util-linux) when the tests run as root";
    ASSERT_EQ(
        Sh("chown -R " + std::to_string(User()) + ":" + std::to_string(User()) + " '" + base_ + "'")
            .exit_code,
        0);
  }
  if (Namespaces() && UsesTier()) {
    RunResult d = AsUser({FANOUT_BINARY, "doctor", "--json"}, base_);
    auto doctor = nlohmann::json::parse(d.out, nullptr, false);
    ASSERT_TRUE(doctor.is_object()) << d.out << d.err;
    if (!doctor.value("namespaces", false)) {
      GTEST_SKIP() << "the namespaces tier cannot run here for uid " << User()
                   << " (kernel feature missing): " << doctor.value("namespaces_unavailable", "");
    }
  }
}

uid_t EscapeTest::User() const {
  if (Root()) return 0;
  return RunningAsRoot() ? kEscapeUser : geteuid();
}

std::string EscapeTest::Layers(const std::string& common, const std::string& root_only) const {
  if (!Root() || root_only.empty()) return common;
  return common.empty() ? root_only : common + "," + root_only;
}

void EscapeTest::Write(const std::string& rel, const std::string& content, mode_t mode) {
  WriteFile(Repo(rel), content);
  chmod(Repo(rel).c_str(), mode);
}

void EscapeTest::Describe(const std::string& targets) {
  Write("fanout.yaml", "version: 1\ntargets:\n" + targets);
}

void EscapeTest::Commit() {
  if (!Root() && RunningAsRoot()) {
    ASSERT_EQ(
        Sh("chown -R " + std::to_string(User()) + ":" + std::to_string(User()) + " '" + base_ + "'")
            .exit_code,
        0);
  }
  const std::vector<std::string> ident = {
      "GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com", "GIT_COMMITTER_NAME=Test",
      "GIT_COMMITTER_EMAIL=test@example.com", "GIT_CONFIG_NOSYSTEM=1"};
  std::vector<std::vector<std::string>> steps;
  if (!git_initialized_) steps.push_back({"git", "init", "-q", "-b", "main"});
  git_initialized_ = true;
  steps.push_back({"git", "add", "-A"});
  steps.push_back(
      {"git", "-c", "commit.gpgsign=false", "commit", "-q", "--allow-empty", "-m", "escape"});
  for (const auto& argv : steps) {
    RunResult r = AsUser(argv, repo_, ident);
    ASSERT_EQ(r.exit_code, 0) << argv[1] << ": " << r.err;
  }
}

RunResult EscapeTest::AsUser(const std::vector<std::string>& argv, const std::string& cwd,
                             const std::vector<std::string>& env) {
  // `timeout` is outermost, so its environment is the test's, not the one given here (the
  // environ attack reads every ancestor's).
  std::vector<std::string> full = {"timeout", "-k", "10", "240"};
  if (!Root() && RunningAsRoot()) {
    std::istringstream words(SetprivPrefixFor(kEscapeUser));
    for (std::string w; words >> w;) full.push_back(w);
  }
  const char* path = std::getenv("PATH");
  full.insert(full.end(),
              {"/usr/bin/env", "-i",
               std::string("PATH=") + (path && *path ? path : "/usr/local/bin:/usr/bin:/bin"),
               "HOME=" + home_, "LANG=C.UTF-8",
               // Every build runs its attack: none may be restored from the action cache.
               "FANOUT_CACHE=off"});
  full.insert(full.end(), env.begin(), env.end());
  full.insert(full.end(), argv.begin(), argv.end());
  return fanout::testing::Run(full, cwd);
}

EscapeBuild EscapeTest::Build(const std::string& weaken, const std::vector<std::string>& env,
                              const std::vector<std::string>& args, bool force_tier) {
  EscapeBuild b;
  b.dir = base_ + "/build-" + std::to_string(++builds_) + (weaken.empty() ? "" : "-weakened");
  std::vector<std::string> vars = env;
  if (force_tier) vars.push_back(std::string("FANOUT_SANDBOX=") + TierName());
  vars.push_back("FANOUT_KILL_GRACE=1");
  if (!weaken.empty()) vars.push_back("FANOUT_TEST_WEAKEN=" + weaken);
  std::vector<std::string> argv = {weaken.empty() ? FANOUT_BINARY : FANOUT_WEAKENED_BINARY, "build",
                                   "-B", b.dir};
  argv.insert(argv.end(), args.begin(), args.end());
  b.run = AsUser(argv, repo_, vars);
  return b;
}

std::string EscapeTest::Attack() {
  // The namespaces tier gives each command a private /tmp, where a build tree (a CI clone under
  // /tmp) would vanish: run a copy from /var/tmp, which commands see read-only.
  static const std::string copy = [] {
    const std::string path = "/var/tmp/fanout-escape-attack." + std::to_string(getpid());
    Sh("cp '" + std::string(FANOUT_ESCAPE_ATTACK) + "' '" + path + "' && chmod 755 '" + path + "'");
    std::atexit(
        [] { unlink(("/var/tmp/fanout-escape-attack." + std::to_string(getpid())).c_str()); });
    return path;
  }();
  return "'" + copy + "'";
}

std::string EscapeTest::Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("''") : std::string(1, c);
  return q + "'";
}

std::string EscapeTest::Target(const std::string& name, const std::string& command,
                               const std::vector<std::string>& extra) {
  std::string y = "  " + name + ":\n    command: " + Quote(command) + "\n    inputs: [src/**]\n";
  for (const std::string& e : extra) y += "    " + e + "\n";
  return y;
}

std::string EscapeTest::Marker() {
  static std::mt19937 rng(std::random_device{}());
  return std::to_string(getpid()) + "x" + std::to_string(100000 + rng() % 900000);
}

int EscapeLandlockAbi() { return sandbox::LandlockAbi(); }

std::string IoUringUnavailable() {
  const std::string disabled = ReadFile("/proc/sys/kernel/io_uring_disabled");
  if (!disabled.empty() && disabled[0] == '2') return "kernel.io_uring_disabled is 2";
  if (!disabled.empty() && disabled[0] == '1') {
    return "kernel.io_uring_disabled is 1 (unprivileged processes cannot use io_uring)";
  }
#ifdef __NR_io_uring_setup
  // A zero-entry setup fails with EINVAL where io_uring exists, ENOSYS where it does not.
  if (syscall(__NR_io_uring_setup, 0, nullptr) < 0 && errno == ENOSYS) {
    return "the kernel has no io_uring (ENOSYS)";
  }
  return "";
#else
  return "no io_uring system call on this architecture";
#endif
}

}  // namespace fanout::testing
