#include "local_registry.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "test_util.h"

namespace fanout::testing {
namespace {

constexpr const char* kUser = "pusher";
constexpr const char* kPassword = "s3cret-for-tests";

/// A loopback port nobody listens on now.
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

}  // namespace

std::string RegistryMissing() {
  if (Run({"sh", "-c", "command -v docker-registry"}).exit_code != 0) {
    return "docker-registry is not installed: scripts/setup installs it";
  }
  return "";
}

LocalRegistry::LocalRegistry(Access access) {
  char tmpl[] = "/tmp/freg.XXXXXX";
  if (!mkdtemp(tmpl)) {
    error_ = "mkdtemp failed";
    return;
  }
  dir_ = tmpl;
  const int port = FreePort();
  host_ = "127.0.0.1:" + std::to_string(port);
  // bcrypt, which the registry's htpasswd reader requires, from the C library's crypt.
  RunResult hash = Run({"python3", "-W", "ignore", "-c",
                        "import crypt,sys; print(crypt.crypt(sys.argv[1], "
                        "crypt.mksalt(crypt.METHOD_BLOWFISH)))",
                        kPassword});
  if (hash.exit_code != 0) {
    error_ = "cannot hash the test password: " + hash.err;
    return;
  }
  WriteFile(dir_ + "/htpasswd", std::string(kUser) + ":" + hash.out);
  const std::string auth =
      Run({"sh", "-c", "printf %s '" + std::string(kUser) + ":" + kPassword + "' | base64 -w0"})
          .out;
  authfile_ = dir_ + "/auth.json";
  WriteFile(authfile_, "{\"auths\":{\"" + host_ + "\":{\"auth\":\"" + auth + "\"}}}\n");
  WriteFile(
      dir_ + "/config.yml",
      "version: 0.1\n"
      "log:\n  level: info\n  accesslog:\n    disabled: false\n"
      "storage:\n  filesystem:\n    rootdirectory: " +
          dir_ + "/data\n" + "http:\n  addr: " + host_ + "\n" +
          (access == Access::kAnonymous
               ? ""
               : "auth:\n  htpasswd:\n    realm: fanout-tests\n    path: " + dir_ + "/htpasswd\n"));
  const std::string log = dir_ + "/registry.log";
  const std::string config = dir_ + "/config.yml";
  pid_ = fork();
  if (pid_ == 0) {
    setsid();
    if (!freopen(log.c_str(), "w", stdout) || !freopen(log.c_str(), "a", stderr)) _exit(127);
    execlp("docker-registry", "docker-registry", "serve", config.c_str(),
           static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 300; ++i) {
    // Up once it accepts connections.
    if (Run({"bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(port)}).exit_code == 0) {
      return;
    }
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  error_ = "docker-registry did not start; its log ends:\n" + Run({"tail", "-n", "20", log}).out;
}

LocalRegistry::~LocalRegistry() {
  if (pid_ > 0) {
    kill(-pid_, SIGTERM);
    for (int i = 0; i < 100 && waitpid(pid_, nullptr, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(-pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (!dir_.empty()) Run({"rm", "-rf", dir_});
}

std::string LocalRegistry::Log() const { return ReadFile(dir_ + "/registry.log"); }

}  // namespace fanout::testing
