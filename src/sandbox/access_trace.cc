#include "sandbox/access_trace.h"

#include <algorithm>
#include <cctype>
#include <deque>
#include <optional>

#include <fmt/format.h>

namespace fanout::sandbox {
namespace {

// Syscalls whose first string argument is a path, and what they do with it.
enum class Use { kOpen, kExec, kLook, kChdir };

struct PathCall {
  std::string_view name;
  Use use;
};

constexpr PathCall kPathCalls[] = {
    {"open", Use::kOpen},       {"openat", Use::kOpen},     {"openat2", Use::kOpen},
    {"creat", Use::kOpen},      {"execve", Use::kExec},     {"execveat", Use::kExec},
    {"stat", Use::kLook},       {"lstat", Use::kLook},      {"newfstatat", Use::kLook},
    {"fstatat64", Use::kLook},  {"statx", Use::kLook},      {"access", Use::kLook},
    {"faccessat", Use::kLook},  {"faccessat2", Use::kLook}, {"readlink", Use::kLook},
    {"readlinkat", Use::kLook}, {"chdir", Use::kChdir},
};

// One line of a strace file: `name(args) = result`.
struct Call {
  std::string_view name;
  std::string_view args;
  std::string_view result;
};

std::optional<Call> ParseLine(std::string_view line) {
  const std::size_t open = line.find('(');
  if (open == std::string_view::npos || open == 0) return std::nullopt;
  const std::string_view name = line.substr(0, open);
  if (!std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      })) {
    return std::nullopt;  // "+++ exited +++", "--- SIGCHLD ---", "<... resumed>"
  }
  const std::size_t eq = line.rfind(" = ");
  if (eq == std::string_view::npos || eq < open) return std::nullopt;
  return Call{name, line.substr(open + 1, eq - open - 1), line.substr(eq + 3)};
}

// The first C string of strace's rendering in `args`, unescaped, and what stands before it.
std::optional<std::string> FirstString(std::string_view args, std::string_view* before) {
  const std::size_t quote = args.find('"');
  if (quote == std::string_view::npos) return std::nullopt;
  *before = args.substr(0, quote);
  std::string out;
  for (std::size_t i = quote + 1; i < args.size(); ++i) {
    const char c = args[i];
    if (c == '"') return out;
    if (c != '\\' || i + 1 >= args.size()) {
      out += c;
      continue;
    }
    const char e = args[++i];
    switch (e) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case 'v':
        out += '\v';
        break;
      case 'f':
        out += '\f';
        break;
      case 'x': {
        int v = 0, n = 0;
        while (n < 2 && i + 1 < args.size() &&
               std::isxdigit(static_cast<unsigned char>(args[i + 1]))) {
          const char h = args[++i];
          v = v * 16 + (h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
          ++n;
        }
        out += static_cast<char>(v);
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          int v = e - '0', n = 1;
          while (n < 3 && i + 1 < args.size() && args[i + 1] >= '0' && args[i + 1] <= '7') {
            v = v * 8 + (args[++i] - '0');
            ++n;
          }
          out += static_cast<char>(v);
        } else {
          out += e;  // \" and \\ .
        }
    }
  }
  return std::nullopt;  // cut off
}

bool Succeeded(std::string_view result) {
  return !result.empty() && result[0] != '-' && result[0] != '?';
}

bool NotFound(std::string_view result) { return result.rfind("-1 ENOENT", 0) == 0; }

// The state a process starts with, from the process that made it.
struct Start {
  std::string cwd;
  bool command = false;
};

}  // namespace

std::string ResolvePath(std::string_view cwd, std::string_view path) {
  std::string joined =
      path.empty() || path[0] != '/' ? fmt::format("{}/{}", cwd, path) : std::string(path);
  std::vector<std::string_view> parts;
  std::string_view rest = joined;
  while (!rest.empty()) {
    const std::size_t slash = rest.find('/');
    const std::string_view part = rest.substr(0, slash);
    rest.remove_prefix(slash == std::string_view::npos ? rest.size() : slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  std::string out;
  for (std::string_view p : parts) out.append("/").append(p);
  return out.empty() ? "/" : out;
}

Expected<AccessTrace> ReadAccessTrace(const std::map<int, std::string>& files,
                                      std::string_view fanout, const std::string& workspace) {
  if (files.empty()) return MakeError("the trace holds no process");
  AccessTrace trace;
  std::map<int, Start> starts;
  std::set<int> seen;
  struct Access {
    std::string path;
    Use use;
    std::string_view result;
    std::string_view flags;
  };
  std::vector<Access> accesses;
  bool any_command = false;
  const int first = files.begin()->first;
  // Processes in the order they were made (a parent before its children), each from the
  // state its parent gave it; one no parent is known for starts in the workspace.
  for (const auto& [root, unused] : files) {
    if (seen.count(root)) continue;
    if (!starts.count(root)) starts[root] = Start{root == first ? "" : workspace, false};
    std::deque<int> queue{root};
    while (!queue.empty()) {
      const int pid = queue.front();
      queue.pop_front();
      if (!seen.insert(pid).second) continue;
      auto file = files.find(pid);
      if (file == files.end()) continue;
      Start state = starts[pid];
      if (state.command) ++trace.processes;
      std::string_view text = file->second;
      while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        const std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        const std::optional<Call> call = ParseLine(line);
        if (!call) continue;
        if (call->name == "clone" || call->name == "clone3" || call->name == "fork" ||
            call->name == "vfork") {
          // In another PID namespace the call returns the child's id there; strace's
          // --pidns-translation adds the id its files are named by: "3 /* 12936 in
          // strace's PID NS */". Without that note, an id from another namespace names
          // nothing here, or the wrong file: only a child not seen yet is taken.
          std::string_view id = call->result;
          const bool translated = id.find(" in strace's PID NS */") != std::string_view::npos;
          if (translated) id.remove_prefix(id.find("/* ") + 3);
          int child = 0;
          for (char c : id) {
            if (c < '0' || c > '9') break;
            child = child * 10 + (c - '0');
          }
          if (child > pid && Succeeded(call->result) && !seen.count(child)) {
            starts[child] = state;
            queue.push_back(child);
          }
          continue;
        }
        auto pc = std::find_if(std::begin(kPathCalls), std::end(kPathCalls),
                               [&](const PathCall& p) { return p.name == call->name; });
        if (pc == std::end(kPathCalls)) continue;
        std::string_view before;
        std::optional<std::string> path = FirstString(call->args, &before);
        if (pc->use == Use::kExec && Succeeded(call->result) && pid != first) {
          // A program other than fanout: the command's (an unreadable name included).
          const bool is_fanout =
              path && (ResolvePath(state.cwd.empty() ? "/" : state.cwd, *path) == fanout ||
                       *path == fanout || *path == "/proc/self/exe");
          if (!is_fanout && !state.command) {
            state.command = true;
            any_command = true;
            ++trace.processes;
            // Its directory unknown (fanout's own memory is not readable: it is not
            // dumpable): the command starts in the workspace.
            if (state.cwd.empty()) state.cwd = workspace;
          }
        }
        if (!path) {
          if (pc->use == Use::kChdir && Succeeded(call->result)) state.cwd.clear();  // unknown
          continue;
        }
        // A directory descriptor other than the working directory: not followed.
        const bool at_cwd = before.empty() || before.find("AT_FDCWD") != std::string_view::npos;
        if (!at_cwd && (path->empty() || (*path)[0] != '/')) continue;
        if (state.cwd.empty() && (path->empty() || (*path)[0] != '/')) continue;
        const std::string resolved = ResolvePath(state.cwd, *path);
        if (pc->use == Use::kChdir) {
          if (Succeeded(call->result)) state.cwd = resolved;
          continue;
        }
        if (!state.command) continue;
        const std::size_t flags_at = call->args.find("O_");
        accesses.push_back({resolved, pc->use, call->result,
                            flags_at == std::string_view::npos ? std::string_view()
                                                               : call->args.substr(flags_at)});
      }
    }
  }
  if (!any_command) {
    return MakeError("the trace holds no process of the command (it did not start)");
  }
  const std::string prefix = workspace + "/";
  for (const Access& a : accesses) {
    if (a.path.rfind(prefix, 0) != 0) continue;
    std::string rel = a.path.substr(prefix.size());
    if (NotFound(a.result)) {
      trace.missing.insert(std::move(rel));
      continue;
    }
    if (!Succeeded(a.result)) continue;
    const bool reads = a.use == Use::kExec ||
                       (a.use == Use::kOpen && a.flags.find("O_WRONLY") == std::string_view::npos &&
                        a.flags.find("O_DIRECTORY") == std::string_view::npos);
    if (reads) trace.read.insert(std::move(rel));
  }
  return trace;
}

}  // namespace fanout::sandbox
