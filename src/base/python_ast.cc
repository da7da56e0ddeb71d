#include "base/python_ast.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/sha256.h"
#include "base/subprocess.h"
#include "base/user_state.h"

extern char** environ;

namespace fanout {
namespace {

// Reads "LENGTH\n" then LENGTH bytes of source, answers one JSON line, until end of input.
// ast.walk is iterative; what the parser itself cannot take (nesting too deep, NUL bytes)
// is an error answer, not a crash.
constexpr const char* kScript = R"PY(
import ast, json, sys

def strings(v):
    if isinstance(v, (ast.List, ast.Tuple)) and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in v.elts):
        return [e.value for e in v.elts]
    return None

def info(src):
    try:
        tree = ast.parse(src)
    except SyntaxError as e:
        return {"error": "%d: %s" % (e.lineno or 0, e.msg)}
    except Exception as e:
        return {"error": "0: %s" % type(e).__name__}
    imports, dynamic, names = [], [], None
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                imports.append([0, a.name, [], node.lineno])
        elif isinstance(node, ast.ImportFrom):
            imports.append([node.level, node.module or "", [a.name for a in node.names],
                            node.lineno])
        elif isinstance(node, ast.Call):
            f = node.func
            called = f.id if isinstance(f, ast.Name) else (
                f.attr if isinstance(f, ast.Attribute) else None)
            if called in ("import_module", "__import__"):
                a = node.args[0] if node.args else None
                if (isinstance(a, ast.Constant) and isinstance(a.value, str)
                        and a.value and not a.value.startswith(".")):
                    imports.append([0, a.value, [], node.lineno])
                else:
                    dynamic.append(node.lineno)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            names = strings(node.value)
        elif (isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name)
              and node.target.id == "__all__" and names is not None):
            more = strings(node.value)
            names = names + more if more is not None else None
    out = {"imports": imports, "dynamic": dynamic}
    if names is not None:
        out["all"] = names
    return out

src_in = sys.stdin.buffer
while True:
    header = src_in.readline()
    if not header:
        break
    source = src_in.read(int(header))
    sys.stdout.write(json.dumps(info(source)) + "\n")
    sys.stdout.flush()
)PY";

// Bumped when what a cached answer means changes.
constexpr std::string_view kCacheFormat = "fanout python imports 1";
constexpr std::size_t kCacheMaxSize = 16 << 20;

std::mutex g_memo_mutex;
std::map<std::string, PythonModuleInfo>& Memo() {
  static auto* memo = new std::map<std::string, PythonModuleInfo>();
  return *memo;
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

Expected<PythonModuleInfo> Decode(const std::string& line) {
  const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  auto bad = [&] { return MakeError("python3 gave an answer fanout cannot read: " + line); };
  if (!j.is_object()) return bad();
  PythonModuleInfo info;
  if (auto e = j.find("error"); e != j.end()) {
    if (!e->is_string()) return bad();
    info.error = e->get<std::string>();
    return info;
  }
  auto imports = j.find("imports"), dynamic = j.find("dynamic");
  if (imports == j.end() || !imports->is_array() || dynamic == j.end() || !dynamic->is_array())
    return bad();
  for (const nlohmann::json& i : *imports) {
    if (!i.is_array() || i.size() != 4 || !i[0].is_number_integer() || !i[1].is_string() ||
        !i[2].is_array() || !i[3].is_number_integer())
      return bad();
    PythonModuleInfo::Import imp{i[0].get<int>(), i[1].get<std::string>(), {}, i[3].get<int>()};
    for (const nlohmann::json& n : i[2]) {
      if (!n.is_string()) return bad();
      imp.names.push_back(n.get<std::string>());
    }
    info.imports.push_back(std::move(imp));
  }
  for (const nlohmann::json& l : *dynamic) {
    if (!l.is_number_integer()) return bad();
    info.dynamic_lines.push_back(l.get<int>());
  }
  if (auto all = j.find("all"); all != j.end()) {
    if (!all->is_array()) return bad();
    info.all.emplace();
    for (const nlohmann::json& n : *all) {
      if (!n.is_string()) return bad();
      info.all->push_back(n.get<std::string>());
    }
  }
  return info;
}

}  // namespace

PythonAstReader::~PythonAstReader() { Stop(); }

Status PythonAstReader::Start() {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return MakeError(fmt::format("cannot create a socket for python3: {}", std::strerror(errno)));
  }
  UniqueFd ours(fds[0]), theirs(fds[1]);
  SpawnFileActions actions;
  posix_spawn_file_actions_adddup2(actions.get(), theirs.get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(actions.get(), theirs.get(), STDOUT_FILENO);
  posix_spawn_file_actions_addopen(actions.get(), STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  const char* argv[] = {"python3", "-I", "-S", "-W", "ignore", "-c", kScript, nullptr};
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, "python3", actions.get(), nullptr,
                              const_cast<char* const*>(argv), environ);
  if (rc != 0) {
    return MakeError(
        fmt::format("cannot start python3 to read Python imports: {}; install "
                    "python3 (inputs_from: python reads modules with Python's own "
                    "parser)",
                    std::strerror(rc)));
  }
  socket_ = std::move(ours);
  pid_ = pid;
  return {};
}

void PythonAstReader::Stop() {
  socket_.reset();  // python3 reads the end of its input and exits
  if (pid_ > 0) {
    while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  pid_ = -1;
}

Expected<PythonModuleInfo> PythonAstReader::Read(std::string_view source) {
  const std::string key = Sha256Hex(source);
  {
    std::lock_guard<std::mutex> lock(g_memo_mutex);
    if (auto it = Memo().find(key); it != Memo().end()) return it->second;
  }
  // Across runs: this user's cache, under the source's digest and the python3 that read it
  // (another Python may parse the same bytes differently).
  if (!cache_checked_) {
    cache_checked_ = true;
    if (const std::optional<std::string> python = ProgramIdentity("python3")) {
      cache_ = OpenUserCache("python-imports");
      python_ = *python;
    }
  }
  std::string cache_name;
  if (cache_) {
    Sha256 h;
    h.UpdateField(kCacheFormat);
    h.UpdateField(python_);
    h.UpdateField(kScript);
    h.UpdateField(key);
    cache_name = h.HexDigest() + ".json";
    const std::string cached = ReadTrusted(cache_.get(), cache_name, kCacheMaxSize);
    if (!cached.empty()) {
      Expected<PythonModuleInfo> info = Decode(cached);
      if (info.ok()) {
        std::lock_guard<std::mutex> lock(g_memo_mutex);
        Memo().emplace(key, *info);
        return info;
      }
    }
  }
  if (!socket_) {
    if (Status st = Start(); !st.ok()) return st.error();
  }
  std::string line;
  bool ok =
      SendAll(socket_.get(), fmt::format("{}\n", source.size())) && SendAll(socket_.get(), source);
  while (ok) {
    char buf[4096];
    const ssize_t n = recv(socket_.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    line.append(buf, static_cast<std::size_t>(n));
    if (line.back() == '\n') break;
  }
  if (!ok) {
    Stop();
    return MakeError(
        "python3 stopped answering while reading a module's imports; run "
        "'python3 -c \"import ast\"' to see whether it works");
  }
  line.pop_back();
  Expected<PythonModuleInfo> info = Decode(line);
  if (!info.ok()) return info;
  if (cache_) WriteTrusted(cache_.get(), cache_name, line);
  std::lock_guard<std::mutex> lock(g_memo_mutex);
  Memo().emplace(key, *info);
  return info;
}

}  // namespace fanout
