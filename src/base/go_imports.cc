#include "base/go_imports.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <system_error>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/file_util.h"
#include "base/go_list.h"
#include "base/repo_path.h"
#include "base/sha256.h"
#include "base/subprocess.h"
#include "base/unique_fd.h"
#include "base/user_state.h"

extern char** environ;

namespace fanout {
namespace {

// Bumped when what a cached answer holds changes meaning.
constexpr std::string_view kCacheFormat = "fanout go inputs 2";
constexpr std::size_t kCacheMaxSize = 64 << 20;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// A directory made for one `go list` run, removed with everything in it.
class TempDir {
 public:
  static Expected<TempDir> Make() {
    const char* tmp = getenv("TMPDIR");
    std::string pattern = fmt::format("{}/fanout-go-XXXXXX", tmp && tmp[0] == '/' ? tmp : "/tmp");
    if (!mkdtemp(pattern.data())) {
      return MakeError(fmt::format("cannot make a temporary directory from '{}': {}", pattern,
                                   std::strerror(errno)));
    }
    return TempDir(std::move(pattern));
  }
  TempDir(TempDir&& o) noexcept : path_(std::exchange(o.path_, std::string())) {}
  TempDir& operator=(TempDir&&) = delete;
  TempDir(const TempDir&) = delete;
  ~TempDir() {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// The module's files `go list` is given: paths relative to the repository root, with an
// identity of each one's content.
struct ModuleFiles {
  std::string root;  ///< the directory holding go.mod ("" is the repository root)
  std::vector<std::pair<std::string, std::string>> files;  ///< (path, content id), sorted
  bool vendored = false;                                   ///< vendor/modules.txt exists
};

Expected<std::optional<std::string>> FindModuleRoot(std::string_view dir,
                                                    const TreeFileReader& read) {
  for (std::string_view d = dir;; d = RepoDirname(d)) {
    FANOUT_TRY_ASSIGN(const std::optional<std::string> gomod, read(JoinRepoPath(d, "go.mod")));
    if (gomod) return std::optional<std::string>(d);
    if (d.empty()) return std::optional<std::string>();
  }
}

Expected<ModuleFiles> ListModule(const std::string& root, const TreeFileReader& read) {
  std::vector<std::pair<std::string, std::string>> all;
  FANOUT_TRY(read.List(root, [&](const std::string& path, std::string_view id) {
    all.emplace_back(path, std::string(id));
  }));
  std::vector<std::string> nested;  // other modules' directories
  for (const auto& [path, id] : all) {
    if (RepoBasename(path) == "go.mod" && RepoDirname(path) != root)
      nested.emplace_back(RepoDirname(path));
  }
  auto in_module = [&](std::string_view path) {
    return std::none_of(nested.begin(), nested.end(),
                        [&](const std::string& n) { return IsUnderRepoDir(path, n); });
  };
  std::set<std::string_view> go_dirs;
  for (const auto& [path, id] : all) {
    if (EndsWith(path, ".go") && in_module(path)) go_dirs.insert(RepoDirname(path));
  }
  ModuleFiles m;
  m.root = root;
  const std::string gomod = JoinRepoPath(root, "go.mod"), gosum = JoinRepoPath(root, "go.sum"),
                    modules_txt = JoinRepoPath(root, "vendor/modules.txt");
  for (auto& [path, id] : all) {
    if (path == modules_txt) m.vendored = true;
    const bool keep = path == gomod || path == gosum || path == modules_txt ||
                      (go_dirs.count(RepoDirname(path)) && in_module(path));
    if (keep) m.files.emplace_back(path, id);
  }
  std::sort(m.files.begin(), m.files.end());
  // A content id the tree did not give (a work tree's files): the content's SHA-256.
  for (auto& [path, id] : m.files) {
    if (!id.empty()) continue;
    FANOUT_TRY_ASSIGN(const std::optional<std::string> text, read(path));
    id = "sha256:" + Sha256Hex(text ? *text : std::string());
  }
  return m;
}

std::string CacheKey(const ModuleFiles& m, std::string_view body, std::string_view go) {
  Sha256 h;
  auto add = [&h](std::string_view s) { h.UpdateField(s); };
  add(kCacheFormat);
  add(go);
  for (const char* name : {"GOOS", "GOARCH", "CGO_ENABLED", "GOAMD64", "GOARM", "GOEXPERIMENT"}) {
    const char* value = getenv(name);
    add(value ? value : "-");
  }
  add(m.root);
  add(body);
  for (const auto& [path, id] : m.files) {
    add(path);
    add(id);
  }
  return h.HexDigest();
}

std::optional<std::vector<DerivedPattern>> ReadCached(int dirfd, const std::string& key) {
  const std::string text = ReadTrusted(dirfd, key + ".json", kCacheMaxSize);
  if (text.empty()) return std::nullopt;
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_array()) return std::nullopt;
  std::vector<DerivedPattern> out;
  for (const nlohmann::json& item : doc) {
    if (!item.is_array() || item.size() != 2 || !item[0].is_string() || !item[1].is_string()) {
      return std::nullopt;
    }
    out.push_back({item[0].get<std::string>(), item[1].get<std::string>()});
  }
  return out;
}

void WriteCached(int dirfd, const std::string& key, const std::vector<DerivedPattern>& patterns) {
  nlohmann::json doc = nlohmann::json::array();
  for (const DerivedPattern& p : patterns) doc.push_back({p.pattern, p.origin});
  WriteTrusted(dirfd, key + ".json",
               doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// go.mod as the host's Go reads it for listing imports: directives newer than the host's Go
// that do not bear on which packages a build imports are dropped (`toolchain`, Go 1.21;
// `godebug`, Go 1.23), and `go 1.22.5` becomes `go 1.22` (Go before 1.21 refuses a patch
// version). Debian 12's Go 1.19 then lists a module written for a newer Go.
std::string GoModForListing(std::string_view text) {
  std::string out;
  bool in_godebug_block = false;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    std::string_view word = line.substr(0, line.find_first_of(" \t("));
    if (in_godebug_block) {
      if (line.find(')') != std::string_view::npos) in_godebug_block = false;
      continue;
    }
    if (word == "toolchain") continue;
    if (word == "godebug") {
      in_godebug_block =
          line.find('(') != std::string_view::npos && line.find(')') == std::string_view::npos;
      continue;
    }
    std::string kept(line);
    if (word == "go") {
      // "go 1.22.5" (and "go 1.22rc1"): the major and minor version only.
      const std::size_t v = line.find_first_of("0123456789");
      if (v != std::string_view::npos) {
        std::size_t end = v, dots = 0;
        while (end < line.size() && (std::isdigit(static_cast<unsigned char>(line[end])) ||
                                     (line[end] == '.' && dots++ == 0))) {
          ++end;
        }
        kept = "go " + std::string(line.substr(v, end - v));
        while (!kept.empty() && kept.back() == '.') kept.pop_back();
      }
    }
    out += kept;
    out += '\n';
  }
  return out;
}

// Whether go.mod replaces a module with a directory (`=> ./lib`, `=> ../lib`, `=> /abs`):
// that module's files are the repository's too, which the derivation does not follow.
bool ReplacesWithADirectory(std::string_view gomod) {
  for (std::size_t at = gomod.find("=>"); at != std::string_view::npos;
       at = gomod.find("=>", at + 2)) {
    const std::size_t target = gomod.find_first_not_of(" \t", at + 2);
    if (target != std::string_view::npos && (gomod[target] == '.' || gomod[target] == '/')) {
      return true;
    }
  }
  return false;
}

Status WriteModule(const ModuleFiles& m, const TreeFileReader& read, const std::string& dest) {
  std::set<std::string> made;
  for (const auto& [path, id] : m.files) {
    const std::string rel = m.root.empty() ? path : path.substr(m.root.size() + 1);
    const std::string target = JoinRepoPath(dest, rel);
    const std::string parent(RepoDirname(target));
    if (made.insert(parent).second) {
      std::error_code ec;
      std::filesystem::create_directories(parent, ec);
      if (ec) return MakeError(fmt::format("cannot create '{}': {}", parent, ec.message()));
    }
    FANOUT_TRY_ASSIGN(std::optional<std::string> text, read(path));
    if (text && path == JoinRepoPath(m.root, "go.mod")) text = GoModForListing(*text);
    UniqueFd fd(open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) return WriteError(target, errno);
    if (const int err = WriteAllToFd(fd.get(), text ? *text : std::string()); err != 0) {
      return WriteError(target, err);
    }
  }
  return {};
}

// The environment for `go list`: this process's, less what could send it to the network,
// read a user's settings or write outside the temporary directory.
std::vector<std::string> GoEnvironment(const std::string& tmp, bool vendored) {
  static constexpr std::string_view kReplaced[] = {
      "GOFLAGS",     "GOPROXY",    "GONOPROXY", "GOPRIVATE",  "GONOSUMDB",
      "GOSUMDB",     "GOINSECURE", "GOWORK",    "GOENV",      "GOTOOLCHAIN",
      "GO111MODULE", "GOCACHE",    "GOPATH",    "GOMODCACHE", "GOROOT_FINAL",
  };
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    const std::string_view entry(*e);
    const std::string_view name = entry.substr(0, entry.find('='));
    if (std::find(std::begin(kReplaced), std::end(kReplaced), name) != std::end(kReplaced)) {
      continue;
    }
    env.emplace_back(entry);
  }
  env.push_back(vendored ? "GOFLAGS=-mod=vendor" : "GOFLAGS=-mod=mod");
  for (const char* fixed : {"GOPROXY=off", "GOSUMDB=off", "GOWORK=off", "GOENV=off",
                            "GOTOOLCHAIN=local", "GO111MODULE=on"}) {
    env.emplace_back(fixed);
  }
  env.push_back("GOCACHE=" + tmp + "/cache");
  env.push_back("GOPATH=" + tmp + "/gopath");
  return env;
}

// The patterns for what go said, or the whole module when it could not say.
class Derivation {
 public:
  Derivation(const ModuleFiles& m, std::string_view dir, std::string module_dir)
      : m_(m), dir_(dir), module_dir_(std::move(module_dir)) {}

  std::vector<DerivedPattern> FromPackages(const std::vector<GoPackage>& packages) {
    ModuleFilesAlways();
    std::map<std::string, const GoPackage*> by_path;
    std::string module_path;
    for (const GoPackage& p : packages) {
      by_path[p.import_path] = &p;
      if (RepoDir(p.dir) == dir_ && !p.module_path.empty()) module_path = p.module_path;
    }
    std::map<std::string, std::string> importer = Importers(packages, by_path);
    for (const GoPackage& p : packages) {
      if (p.standard) continue;
      const std::optional<std::string> d = RepoDir(p.dir);
      const std::string why = Why(p, importer);
      if (!d) {
        // In the module's import path but found nowhere: the build fails until it exists,
        // and the commit that adds it must count.
        if (p.dir.empty() && !module_path.empty() && IsUnderRepoDir(p.import_path, module_path)) {
          const std::string rest = p.import_path.substr(module_path.size() + 1);
          out_.push_back({JoinRepoPath(EscapeGlob(JoinRepoPath(m_.root, rest)), "*.go"),
                          why + " (not in this tree)"});
        }
        continue;
      }
      if (!p.error.empty() && p.error.rfind("pattern ", 0) != 0) {
        return WholeModule(
            fmt::format("go cannot read the package {}: {}", p.import_path, FirstLine(p.error)));
      }
      const std::string escaped = EscapeGlob(*d);
      out_.push_back({JoinRepoPath(escaped, "*.go"), why});
      for (const std::string& f : p.other_files)
        out_.push_back({EscapeGlob(JoinRepoPath(*d, f)), why});
      for (std::string_view e : p.embed_patterns) {
        if (e.rfind("all:", 0) == 0) e.remove_prefix(4);
        const std::string origin = fmt::format("{} (//go:embed {})", why, e);
        const std::string pattern = JoinRepoPath(escaped, e);
        if (Glob::Compile(pattern).ok() && Glob::Compile(pattern + "/**").ok()) {
          out_.push_back({pattern, origin});
          out_.push_back({pattern + "/**", origin});
        } else {
          out_.push_back({JoinRepoPath(escaped, "**"), origin + ", not a pattern fanout reads"});
        }
      }
    }
    return std::move(out_);
  }

  std::vector<DerivedPattern> WholeModule(const std::string& reason) {
    out_.clear();
    out_.push_back({m_.root.empty() ? std::string("**") : EscapeGlob(m_.root) + "/**",
                    fmt::format("inputs_from: go {}: {}, so the whole module", dir_, reason)});
    return std::move(out_);
  }

 private:
  static std::string FirstLine(std::string_view s) {
    return std::string(s.substr(0, s.find('\n')));
  }

  void ModuleFilesAlways() {
    const std::string origin = fmt::format("inputs_from: the Go module of {}", dir_);
    out_.push_back({EscapeGlob(JoinRepoPath(m_.root, "go.mod")), origin});
    out_.push_back({EscapeGlob(JoinRepoPath(m_.root, "go.sum")), origin});
    if (m_.vendored)
      out_.push_back({EscapeGlob(JoinRepoPath(m_.root, "vendor/modules.txt")), origin});
  }

  // The directory `dir` (absolute, in the temporary module) as a path of the repository;
  // nullopt when it is not in the module.
  std::optional<std::string> RepoDir(std::string_view dir) const {
    if (dir == module_dir_) return m_.root;
    if (!IsUnderRepoDir(dir, module_dir_)) return std::nullopt;
    return JoinRepoPath(m_.root, dir.substr(module_dir_.size() + 1));
  }

  // For each package, one that imports it on a shortest path from the entry.
  static std::map<std::string, std::string> Importers(
      const std::vector<GoPackage>& packages,
      const std::map<std::string, const GoPackage*>& by_path) {
    std::map<std::string, std::string> importer;
    if (packages.empty()) return importer;
    // go prints dependencies first: the package asked for comes last.
    std::deque<const GoPackage*> queue{&packages.back()};
    importer[packages.back().import_path] = "";
    while (!queue.empty()) {
      const GoPackage* p = queue.front();
      queue.pop_front();
      for (const std::string& i : p->imports) {
        if (importer.count(i)) continue;
        importer[i] = p->import_path;
        if (auto it = by_path.find(i); it != by_path.end()) queue.push_back(it->second);
      }
    }
    return importer;
  }

  std::string Why(const GoPackage& p, const std::map<std::string, std::string>& importer) const {
    auto it = importer.find(p.import_path);
    if (it == importer.end() || it->second.empty()) {
      return fmt::format("inputs_from: the Go package {}", p.import_path);
    }
    return fmt::format("inputs_from: go {} imports {}", it->second, p.import_path);
  }

  const ModuleFiles& m_;
  std::string dir_;
  std::string module_dir_;
  std::vector<DerivedPattern> out_;
};

Expected<std::vector<DerivedPattern>> RunGoList(const ModuleFiles& m, std::string_view dir,
                                                std::string_view tags, const TreeFileReader& read) {
  FANOUT_TRY_ASSIGN(TempDir tmp, TempDir::Make());
  const std::string module_dir = tmp.path() + "/module";
  FANOUT_TRY(WriteModule(m, read, module_dir));
  const std::string package =
      m.root == dir ? "." : "./" + std::string(dir.substr(m.root.empty() ? 0 : m.root.size() + 1));
  ProcessOptions options;
  options.cwd = module_dir;
  options.env = GoEnvironment(tmp.path(), m.vendored);
  std::vector<std::string> argv = {"go", "list", "-e", "-deps", "-json"};
  if (!tags.empty()) argv.push_back("-tags=" + std::string(tags));
  argv.push_back("--");
  argv.push_back(package);
  Expected<ProcessResult> run = RunProcess(argv, options);
  if (!run.ok())
    return MakeError("inputs_from: go " + std::string(dir) + ": " + run.error().message);
  Derivation derive(m, dir, module_dir);
  if (!run->ok()) {
    std::string said = run->stderr_text;
    while (!said.empty() && said.back() == '\n') said.pop_back();
    said = said.substr(said.rfind('\n') == std::string::npos ? 0 : said.rfind('\n') + 1);
    return derive.WholeModule(
        fmt::format("'go list' failed ({})", said.empty() ? "no message" : said));
  }
  Expected<std::vector<GoPackage>> packages = ParseGoList(run->stdout_text);
  if (!packages.ok()) return derive.WholeModule("'go list': " + packages.error().message);
  return derive.FromPackages(*packages);
}

}  // namespace

Expected<std::vector<DerivedPattern>> GoPackageInputs(std::string_view body,
                                                      const TreeFileReader& read) {
  const std::size_t sep = body.find("//");
  const std::string_view dir = body.substr(0, sep);
  const std::string_view tags = sep == std::string_view::npos ? "" : body.substr(sep + 2);
  FANOUT_TRY_ASSIGN(const std::optional<std::string> root, FindModuleRoot(dir, read));
  if (!root) {
    // No go.mod at or above it (removed or renamed in this tree): the build will say so;
    // meanwhile the directory counts.
    const std::string origin = fmt::format("inputs_from: go {} is in no Go module here", dir);
    return std::vector<DerivedPattern>{{EscapeGlob(dir), origin},
                                       {EscapeGlob(dir) + "/**", origin}};
  }
  FANOUT_TRY_ASSIGN(const std::optional<std::string> gomod, read(JoinRepoPath(*root, "go.mod")));
  if (gomod && ReplacesWithADirectory(*gomod)) {
    return std::vector<DerivedPattern>{
        {"**", fmt::format("inputs_from: go {}: {} replaces a module with a directory, whose "
                           "imports fanout does not follow, so the whole repository",
                           dir, JoinRepoPath(*root, "go.mod"))}};
  }
  FANOUT_TRY_ASSIGN(const ModuleFiles m, ListModule(*root, read));
  const std::optional<std::string> go = ProgramIdentity("go");
  if (!go) {
    return MakeError(
        "'go' is not on PATH: the Go toolchain reads the import graph of 'inputs_from: {go: "
        "...}' (Debian: apt install golang-go)");
  }
  const std::string key = CacheKey(m, body, *go);
  const UniqueFd cache = OpenUserCache("go-inputs");
  if (cache) {
    if (std::optional<std::vector<DerivedPattern>> hit = ReadCached(cache.get(), key)) {
      return std::move(*hit);
    }
  }
  FANOUT_TRY_ASSIGN(std::vector<DerivedPattern> derived, RunGoList(m, dir, tags, read));
  if (cache) WriteCached(cache.get(), key, derived);
  return derived;
}

}  // namespace fanout
