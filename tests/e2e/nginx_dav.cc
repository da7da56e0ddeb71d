#include "nginx_dav.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <sstream>
#include <thread>
#include <vector>

extern char** environ;

namespace fanout::testing {
namespace {

constexpr const char* kNginx = "/usr/sbin/nginx";
constexpr const char* kUser = "reader";
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

bool Accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

/// Sends `request` on a new connection and reads the answer to its end; false when the server
/// cannot be reached.
bool Request(int port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
            write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size());
  char buf[4096];
  while (ok && read(fd, buf, sizeof buf) > 0) {
  }
  close(fd);
  return ok;
}

/// The WebDAV store's settings, as docs/cache.md gives them.
std::string DavLocation(const std::string& name, const std::string& store,
                        const std::string& extra) {
  return "    location /" + name + "/ {\n      alias " + store +
         "/;\n      dav_methods PUT DELETE;\n      create_full_put_path on;\n"
         "      client_max_body_size 0;\n" +
         extra + "    }\n";
}

}  // namespace

std::string NginxMissing() {
  if (access(kNginx, X_OK) != 0) return "nginx is not installed: scripts/setup installs it";
  if (Run({kNginx, "-V"}).err.find("--with-http_dav_module") == std::string::npos) {
    return "this nginx lacks the WebDAV module: install Debian's nginx (scripts/setup does)";
  }
  return "";
}

NginxDav::NginxDav() {
  // The htpasswd's {PLAIN} scheme keeps the test free of a hashing tool; nginx reads it.
  WriteFile(dir_ / "htpasswd", std::string(kUser) + ":{PLAIN}" + kPassword + "\n");
  WriteFile(NetrcFile(),
            std::string("machine 127.0.0.1 login ") + kUser + " password " + kPassword + "\n");
  // Another process may take the free port before nginx binds it: then try another.
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = FreePort();
    if (Spawn()) return;
  }
}

NginxDav::~NginxDav() { Stop(); }

std::string NginxDav::Location(const std::string& name) const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/" + name;
}

std::string NginxDav::AccessLog() {
  // nginx logs a request after it has sent the answer, so the client can look before the line
  // is there. nginx is one process handling events in turn: once a request sent now is in the
  // log, every request answered before it is too.
  const std::string marker = "GET /sync?" + std::to_string(++syncs_) + " ";
  if (Request(port_, "GET /sync?" + std::to_string(syncs_) + " HTTP/1.0\r\n\r\n")) {
    for (int i = 0; i < 250 && ReadFile(dir_ / "access.log").find(marker) == std::string::npos;
         ++i) {  // at most 5 s
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  std::string log;
  std::istringstream lines(ReadFile(dir_ / "access.log"));
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("GET /sync?", 0) != 0) log += line + "\n";
  }
  return log;
}

bool NginxDav::Start() {
  if (pid_ > 0) return true;
  return Spawn();
}

bool NginxDav::Spawn() {
  error_.clear();
  const std::string prefix = dir_.path();
  const std::string store = StorePath();
  Run({"mkdir", "-p", store, prefix + "/tmp"});
  // master_process off: one process that stays the current user (a master run as root would
  // hand requests to workers running as nobody, who cannot write the store).
  WriteFile(dir_ / "nginx.conf",
            "daemon off;\nmaster_process off;\npid " + prefix + "/nginx.pid;\nerror_log " + prefix +
                "/error.log info;\nevents { worker_connections 64; }\nhttp {\n"
                "  log_format fanout '$request_method $request_uri $status "
                "len=$content_length te=$http_transfer_encoding';\n"
                "  access_log " +
                prefix + "/access.log fanout;\n  client_body_temp_path " + prefix +
                "/tmp/body;\n  proxy_temp_path " + prefix + "/tmp/proxy;\n  fastcgi_temp_path " +
                prefix + "/tmp/fastcgi;\n  uwsgi_temp_path " + prefix +
                "/tmp/uwsgi;\n  scgi_temp_path " + prefix + "/tmp/scgi;\n  server {\n" +
                "    listen 127.0.0.1:" + std::to_string(port_) + ";\n" +
                DavLocation("cache", store, "") +
                DavLocation("auth", store,
                            "      auth_basic fanout-tests;\n      auth_basic_user_file " + prefix +
                                "/htpasswd;\n") +
                DavLocation("token", store,
                            "      if ($http_x_fanout_token != \"abc\") { return 403; }\n") +
                "    location /broken/ { return 500; }\n    location = /sync { return 204; }\n"
                "  }\n}\n");
  const std::string out = prefix + "/nginx.out";
  std::vector<std::string> argv = {
      kNginx, "-p", prefix + "/", "-c", prefix + "/nginx.conf", "-e", prefix + "/error.log"};
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);  // no terminal signal reaches it
  const int spawned = posix_spawn(&pid_, kNginx, &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (spawned != 0) {
    pid_ = -1;
    error_ = "cannot start nginx: " + std::string(strerror(spawned));
    return false;
  }
  for (int i = 0; i < 500; ++i) {  // at most 10 s
    if (Accepts(port_)) return true;
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Stop();
  error_ = "nginx did not start on port " + std::to_string(port_) + "; its error log ends:\n" +
           Run({"tail", "-n", "20", prefix + "/error.log"}).out + ReadFile(out);
  return false;
}

void NginxDav::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 250; ++i) {  // at most 5 s
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

}  // namespace fanout::testing
