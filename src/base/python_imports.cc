#include "base/python_imports.h"

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "base/repo_path.h"

namespace fanout {
namespace {

std::vector<std::string> Split(std::string_view s, std::string_view sep) {
  std::vector<std::string> out;
  while (true) {
    const std::size_t at = s.find(sep);
    out.emplace_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + sep.size());
  }
}

class Resolver {
 public:
  Resolver(const TreeFileReader& read, PythonAstReader* ast) : read_(read), ast_(ast) {}

  Expected<std::vector<DerivedPattern>> Run(std::string_view body) {
    std::vector<std::string> parts = Split(body, "//");
    const std::string entry = parts[0];
    FANOUT_TRY_ASSIGN(const bool is_file, Exists(entry));
    std::string_view project_dir;
    if (is_file) {
      Add(entry, "inputs_from: the Python entry");
      roots_.emplace_back(RepoDirname(entry));
      project_dir = RepoDirname(entry);
    } else {
      // A package run as `python -m`: its parent directory is on the path.
      const std::string origin = fmt::format("inputs_from: {} run as a package", entry);
      bool any = false;
      for (const char* name : {"__init__.py", "__main__.py"}) {
        FANOUT_TRY_ASSIGN(const bool exists, Exists(JoinRepoPath(entry, name)));
        if (!exists) continue;
        Add(JoinRepoPath(entry, name), origin);
        any = true;
      }
      if (!any) {
        // Renamed or removed in this tree: the build will say so; meanwhile the path counts.
        out_.push_back({EscapeGlob(entry), "inputs_from: " + entry + " is not in this tree"});
        out_.push_back(
            {EscapeGlob(entry) + "/**", "inputs_from: " + entry + " is not in this tree"});
        return std::move(out_);
      }
      roots_.emplace_back(RepoDirname(entry));
      project_dir = entry;
    }
    for (std::size_t i = 1; i < parts.size(); ++i) {
      roots_.push_back(parts[i] == "." ? std::string() : parts[i]);
    }
    for (std::string_view d = project_dir;; d = RepoDirname(d)) {
      const std::string origin =
          fmt::format("inputs_from: a Python project file beside or above {}", entry);
      for (const char* name : {"pyproject.toml", "setup.py", "setup.cfg"}) {
        out_.push_back({EscapeGlob(JoinRepoPath(d, name)), origin});
      }
      out_.push_back({JoinRepoPath(EscapeGlob(d), "requirements*.txt"), origin});
      if (d.empty()) break;
    }
    while (!queue_.empty() && !whole_roots_) {
      const std::string module = std::move(queue_.front());
      queue_.pop_front();
      FANOUT_TRY(Follow(module));
    }
    return std::move(out_);
  }

 private:
  Expected<const std::optional<std::string>*> File(const std::string& path) {
    auto it = files_.find(path);
    if (it == files_.end()) {
      Expected<std::optional<std::string>> text = read_(path);
      if (!text.ok()) return text.error();
      it = files_.emplace(path, std::move(*text)).first;
    }
    return &it->second;
  }

  Expected<bool> Exists(const std::string& path) {
    FANOUT_TRY_ASSIGN(const std::optional<std::string>* text, File(path));
    return text->has_value();
  }

  void Add(const std::string& path, const std::string& origin) {
    if (!added_.insert(path).second) return;
    out_.push_back({EscapeGlob(path), origin});
    if (path.ends_with(".py")) queue_.push_back(path);
  }

  /// Every file under the path directories: the imports cannot be known.
  void WholeRoots(const std::string& why) {
    if (whole_roots_) return;
    whole_roots_ = true;
    std::string names;
    for (const std::string& r : roots_)
      names += (names.empty() ? "" : ", ") + (r.empty() ? "." : r);
    for (const std::string& r : roots_) {
      out_.push_back({r.empty() ? "**" : EscapeGlob(r) + "/**",
                      fmt::format("inputs_from: {}, so every file under {}", why, names)});
    }
  }

  /// The files `import` of `parts` under `dir` runs (the packages' `__init__.py`, then the
  /// module), or nullopt when `dir` does not hold the module. Empty `parts`: the package
  /// `dir` itself.
  Expected<std::optional<std::vector<std::string>>> Resolve(std::string dir,
                                                            const std::vector<std::string>& parts) {
    std::vector<std::string> files;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      dir = JoinRepoPath(dir, parts[i]);
      const std::string init = JoinRepoPath(dir, "__init__.py");
      FANOUT_TRY_ASSIGN(const bool exists, Exists(init));
      if (exists) files.push_back(init);  // else a namespace package
    }
    if (parts.empty()) {
      const std::string init = JoinRepoPath(dir, "__init__.py");
      FANOUT_TRY_ASSIGN(const bool exists, Exists(init));
      if (!exists) return std::optional<std::vector<std::string>>();
      files.push_back(init);
      return std::optional(files);
    }
    const std::string last = JoinRepoPath(dir, parts.back());
    for (const std::string& candidate : {last + ".py", JoinRepoPath(last, "__init__.py")}) {
      FANOUT_TRY_ASSIGN(const bool exists, Exists(candidate));
      if (exists) {
        files.push_back(candidate);
        return std::optional(files);
      }
    }
    return std::optional<std::vector<std::string>>();
  }

  /// `from MODULE import NAMES` (or `import MODULE`, NAMES empty) with the module's package
  /// directory candidates `bases`: the first that holds the module or one of the names wins.
  Status Import(const std::vector<std::string>& bases, const std::vector<std::string>& parts,
                std::vector<std::string> names, const std::string& origin) {
    for (const std::string& base : bases) {
      FANOUT_TRY_ASSIGN(auto module, Resolve(base, parts));
      std::vector<std::string> found;
      if (module) found = *module;
      if (module && !module->empty() && module->back().ends_with("__init__.py")) {
        // A star import of a package takes the submodules its `__all__` names.
        if (std::find(names.begin(), names.end(), "*") != names.end()) {
          FANOUT_TRY_ASSIGN(const std::optional<std::string>* text, File(module->back()));
          FANOUT_TRY_ASSIGN(const PythonModuleInfo info, ast_->Read(**text));
          if (info.all) names.insert(names.end(), info.all->begin(), info.all->end());
        }
      }
      for (const std::string& name : names) {
        if (name == "*") continue;
        std::vector<std::string> sub = parts;
        sub.push_back(name);
        FANOUT_TRY_ASSIGN(auto submodule, Resolve(base, sub));
        if (submodule) found.insert(found.end(), submodule->begin(), submodule->end());
      }
      if (module || found.size()) {
        for (const std::string& f : found) Add(f, origin);
        return {};
      }
    }
    return {};  // not in the repository
  }

  Status Follow(const std::string& module) {
    FANOUT_TRY_ASSIGN(const std::optional<std::string>* text, File(module));
    if (!*text) return {};
    FANOUT_TRY_ASSIGN(const PythonModuleInfo info, ast_->Read(**text));
    if (!info.error.empty()) {
      WholeRoots(fmt::format("{}:{} (Python cannot parse it)", module, info.error));
      return {};
    }
    if (!info.dynamic_lines.empty()) {
      WholeRoots(fmt::format("{}:{} imports a module named at run time", module,
                             info.dynamic_lines.front()));
      return {};
    }
    for (const PythonModuleInfo::Import& imp : info.imports) {
      const std::vector<std::string> parts =
          imp.module.empty() ? std::vector<std::string>() : Split(imp.module, ".");
      std::string statement = imp.level == 0 && imp.names.empty()
                                  ? "import " + imp.module
                                  : fmt::format("from {}{} import {}", std::string(imp.level, '.'),
                                                imp.module, fmt::join(imp.names, ", "));
      const std::string origin = fmt::format("inputs_from: {}:{} {}", module, imp.line, statement);
      if (imp.level == 0) {
        FANOUT_TRY(Import(roots_, parts, imp.names, origin));
        continue;
      }
      // Relative: from the importing module's package, up one directory per extra dot.
      std::string_view base = RepoDirname(module);
      bool beyond_top = false;
      for (int up = 1; up < imp.level; ++up) {
        if (base.empty()) beyond_top = true;
        base = RepoDirname(base);
      }
      if (beyond_top) continue;  // Python refuses it too
      FANOUT_TRY(Import({std::string(base)}, parts, imp.names, origin));
    }
    return {};
  }

  const TreeFileReader& read_;
  PythonAstReader* ast_;
  std::vector<std::string> roots_;
  std::map<std::string, std::optional<std::string>> files_;
  std::set<std::string> added_;
  std::deque<std::string> queue_;
  std::vector<DerivedPattern> out_;
  bool whole_roots_ = false;
};

}  // namespace

std::string PythonMarker(std::string_view entry, const std::vector<std::string>& roots) {
  std::string marker = fmt::format("{}{}", kPythonMagic, entry);
  for (const std::string& r : roots) marker += "//" + r;
  return marker;
}

Expected<std::vector<DerivedPattern>> PythonImportInputs(std::string_view body,
                                                         const TreeFileReader& read,
                                                         PythonAstReader* ast) {
  return Resolver(read, ast).Run(body);
}

}  // namespace fanout
