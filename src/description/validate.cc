#include "description/validate.h"

#include <algorithm>
#include <climits>
#include <string>
#include <utility>

#include "base/build_layout.h"
#include "base/glob.h"
#include "base/go_imports.h"
#include "base/python_imports.h"
#include "base/sort_by_name.h"
#include "description/dependency_cycles.h"
#include "description/validator.h"
#include "description/values.h"

namespace fanout {
namespace {

constexpr std::string_view kTopKeys[] = {"version",     "pools",   "global_inputs", "targets",
                                         "post_submit", "sandbox", "build_dir"};
constexpr std::string_view kPostSubmitKeys[] = {"command", "when"};
constexpr std::string_view kSandboxValues[] = {"required", "preferred"};
constexpr std::string_view kWhenValues[] = {"success", "always"};

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::optional<Description> Validator::Run(const YamlNode* root) {
  if (!root || root->is_null()) {
    Error({}, "the description is empty", {"help: start it with 'version: 1'"});
    return std::nullopt;
  }
  if (!root->is_mapping()) {
    Error(root->mark, "expected a mapping at the top level, found " + root->Describe());
    return std::nullopt;
  }
  // Under an unknown version the rest may mean something else: stop at that error.
  if (!CheckVersion(*root)) return std::nullopt;
  CheckKeys(root->entries(), kTopKeys, " at the top level");

  Description desc;
  if (const Entry* e = root->Find("pools")) ReadPools(*e->value, &desc);
  if (const Entry* e = root->Find("sandbox")) {
    if (auto v = ExpectEnum(*e->value, "sandbox", kSandboxValues)) {
      desc.sandbox =
          *v == "required" ? SandboxRequirement::kRequired : SandboxRequirement::kPreferred;
    }
  }
  if (const Entry* e = root->Find("global_inputs")) {
    ReadPatterns(*e->value, "global_inputs", PatternKind::kInput, &desc.global_inputs,
                 &desc.global_input_marks);
  }
  if (const Entry* e = root->Find("post_submit")) ReadPostSubmit(*e, &desc.post_submit);
  if (const Entry* e = root->Find("build_dir")) ReadBuildDir(*e->value, &desc);
  if (const Entry* e = root->Find("targets")) ReadTargets(*e->value, &desc);
  for (const DependencyCycle& cycle : FindDependencyCycles(desc.targets)) {
    Error(cycle.mark, "dependency cycle: " + cycle.ToString());
  }
  if (errors() > 0) return std::nullopt;
  return desc;
}

bool Validator::CheckVersion(const YamlNode& root) {
  const Entry* e = root.Find("version");
  if (!e) {
    Error(root.mark, "missing required key 'version'",
          {"help: add 'version: 1' at the top of the file"});
    return true;
  }
  std::optional<std::int64_t> version = ExpectInteger(*e->value, "version");
  if (version && *version != 1) {
    Error(e->value->mark, "unsupported description version " + std::to_string(*version),
          {"note: this fanout reads version 1"});
    return false;
  }
  return true;
}

void Validator::ReadPools(const YamlNode& node, Description* desc) {
  const std::optional<Entries> entries = ExpectMapping(node, "pools");
  if (!entries) return;
  for (const Entry& entry : *entries) {
    if (!entry.key->is_scalar()) {
      Error(entry.key->mark, "expected a pool name, found " + entry.key->Describe());
      continue;
    }
    const std::string name(entry.key->scalar());
    declared_pools_.push_back(name);
    bool ok = CheckName(*entry.key, "pool");
    if (name == "console") {
      Error(entry.key->mark, "pool name 'console' is reserved",
            {"note: Ninja predefines the 'console' pool; choose another name"});
      ok = false;
    }
    std::optional<std::int64_t> depth = ExpectInteger(*entry.value, "pool depth");
    if (depth && *depth < 1) {
      Error(entry.value->mark, "pool depth must be at least 1, found " + std::to_string(*depth),
            {"note: the depth is how many targets of the pool may run at once"});
      ok = false;
    } else if (depth && *depth > INT_MAX) {
      Error(entry.value->mark, "pool depth " + std::to_string(*depth) + " is too large");
      ok = false;
    }
    if (ok && depth) desc->pools[name] = static_cast<int>(*depth);
  }
}

bool Validator::CheckName(const YamlNode& key, std::string_view kind) {
  const std::string_view name = key.scalar();
  if (!IsValidName(name)) {
    Error(key.mark, "invalid " + std::string(kind) + " name " + Quoted(name),
          {"note: a " + std::string(kind) +
           " name starts with a letter or digit and holds only letters, digits, '.', '_' "
           "and '-'"});
    return false;
  }
  if (name.size() > kMaxNameLength) {
    Error(key.mark,
          std::string(kind) + " name is " + std::to_string(name.size()) +
              " bytes long, more than " + std::to_string(kMaxNameLength),
          {"note: the name becomes a file name in the build directory (targets/NAME/, "
           ".fanout/stamps/NAME.stamp), and file names end at 255 bytes; shorten it"});
    return false;
  }
  return true;
}

void Validator::ReadPostSubmit(const Entry& entry, PostSubmit* post) {
  const YamlNode& node = *entry.value;
  const std::optional<Entries> entries = ExpectMapping(node, "post_submit");
  if (!entries) return;
  if (entries->empty()) return;
  CheckKeys(*entries, kPostSubmitKeys, " in 'post_submit'");
  if (const Entry* e = node.Find("command")) {
    if (auto command = ExpectText(*e->value, "command")) post->command = *command;
  } else {
    Error(entry.key->mark, "'post_submit' has no 'command'",
          {"help: add 'command: ...' with the shell command to run after the gather"});
  }
  if (const Entry* e = node.Find("when")) {
    if (auto when = ExpectEnum(*e->value, "when", kWhenValues)) post->always = *when == "always";
  }
}

void Validator::ReadBuildDir(const YamlNode& node, Description* desc) {
  std::optional<std::string> path = ExpectText(node, "build_dir");
  if (!path) return;
  // "out/fanout/" reads naturally; the slash means nothing more.
  if (path->size() > 1 && path->back() == '/') path->pop_back();
  std::string problem = path->empty() ? "is empty" : RelativePathProblem(*path);
  if (problem.empty() && *path == ".") problem = "is the repository's root";
  if (problem.empty() && (*path == ".git" || path->starts_with(".git/"))) {
    problem = "is inside git's own directory";
  }
  if (!problem.empty()) {
    Error(node.mark, "path " + Quoted(*path) + " for 'build_dir' " + problem,
          {"note: 'build_dir' is a directory relative to the repository's root, written "
           "without '.' or '..' components, that fanout owns (e.g. 'fanout-out' or "
           "'out/fanout')",
           "help: pass -B DIR to put the build directory elsewhere, outside the repository too"});
    return;
  }
  desc->build_dir = *path;
}

/// Reads a list of glob patterns into `out` (as written), checking each one.
bool Validator::ReadPatterns(const YamlNode& node, std::string_view what, PatternKind kind,
                             std::vector<std::string>* out, std::vector<SourceMark>* marks) {
  const std::optional<Items> items = ExpectList(node, what);
  if (!items) return false;
  std::size_t includes = 0, excludes = 0;
  for (const YamlNodePtr& item : *items) {
    std::optional<std::string> pattern = ExpectText(*item, what, "pattern");
    if (!pattern) continue;
    ++((*pattern)[0] == '!' ? excludes : includes);
    out->push_back(std::move(*pattern));
    if (marks) marks->push_back(item->mark);
    CheckPattern(*item, what, kind);
  }
  if (excludes > 0 && includes == 0) {
    Error(node.mark,
          "every pattern in " + Quoted(what) + " is an exclude ('!'), so it matches nothing",
          {"help: add the patterns to include before the excludes, e.g. '**'"});
  }
  return true;
}

void Validator::CheckPattern(const YamlNode& node, std::string_view what, PatternKind kind) {
  const std::string_view pattern = node.scalar();
  // Columns inside the scalar: past the opening quote, and past a leading '!'.
  const int base = node.mark.column + (node.quoted ? 1 : 0);
  const std::size_t start = pattern[0] == '!' ? 1 : 0;
  const std::string_view body = pattern.substr(start);
  const char* relative_to = kind == PatternKind::kInput
                                ? "note: paths are relative to the repository root"
                                : "note: artifacts are relative paths, looked up in "
                                  "$FANOUT_OUT and then in the workspace";
  if (body.empty()) {
    Error(node.mark, "pattern " + Quoted(pattern) + " in " + Quoted(what) + " is empty after '!'");
    return;
  }
  if (body[0] == '/') {
    Error(SourceMark{node.mark.line, base + static_cast<int>(start)},
          "absolute path " + Quoted(pattern) + " in " + Quoted(what), {relative_to});
    return;
  }
  // fanout's own patterns (base/dockerignore.h, base/dockerfile_sources.h,
  // base/python_imports.h, base/go_imports.h) are not a user's.
  const bool derived =
      IsDockerfileMarker(pattern) || IsPythonMarker(pattern) || IsGoMarker(pattern);
  if (derived || IsDockerignoreMarker(pattern)) {
    Error(node.mark,
          "pattern " + Quoted(pattern) + " in " + Quoted(what) + " starts with fanout's own " +
              (derived ? "prefix for inputs_from" : "prefix for a .dockerignore"),
          {derived ? "help: derive inputs with 'inputs_from: {dockerfile: PATH}', "
                     "'inputs_from: {python: PATH}' or 'inputs_from: {go: DIR}' (docs/format.md)"
                   : "note: an image target without 'inputs' already gets its context minus "
                     "its .dockerignore (docs/images.md)"});
    return;
  }
  std::size_t seg = 0;
  while (seg <= body.size()) {
    std::size_t end = body.find('/', seg);
    if (end == std::string_view::npos) end = body.size();
    if (body.substr(seg, end - seg) == "..") {
      Error(SourceMark{node.mark.line, base + static_cast<int>(start + seg)},
            "pattern " + Quoted(pattern) + " in " + Quoted(what) + " has a '..' segment",
            {kind == PatternKind::kInput ? "note: patterns cannot leave the repository"
                                         : "note: artifacts cannot leave their directory"});
      return;
    }
    seg = end + 1;
  }
  Expected<Glob> glob = Glob::Compile(body);
  if (glob.ok()) return;
  // The error starts with "COL:", the 0-based column within the pattern body.
  std::string message = glob.error().message;
  int column = node.mark.column;
  const std::size_t colon = message.find(':');
  const std::optional<std::int64_t> offset =
      colon != std::string::npos && IsDigits(std::string_view(message).substr(0, colon))
          ? ParseInteger(std::string_view(message).substr(0, colon))
          : std::nullopt;
  if (offset && *offset <= static_cast<std::int64_t>(body.size())) {
    column = base + static_cast<int>(start + *offset);
    message.erase(0, colon + 1);
    while (!message.empty() && message[0] == ' ') message.erase(0, 1);
  }
  Error(SourceMark{node.mark.line, column},
        "invalid pattern " + Quoted(pattern) + " in " + Quoted(what) + ": " + message);
}

void Validator::ReadTargets(const YamlNode& node, Description* desc) {
  const std::optional<Entries> entries = ExpectMapping(node, "targets");
  if (!entries) return;
  // Every name counts as declared, valid or not, so one bad target does not make each
  // reference to it an error too.
  target_names_.reserve(entries->size());
  desc->targets.reserve(entries->size());
  for (const Entry& entry : *entries) {
    if (entry.key->is_scalar()) target_names_.emplace_back(entry.key->scalar());
  }
  std::sort(target_names_.begin(), target_names_.end());
  for (const Entry& entry : *entries) {
    if (!entry.key->is_scalar()) {
      Error(entry.key->mark, "expected a target name, found " + entry.key->Describe());
      continue;
    }
    CheckTargetName(*entry.key);
    if (!entry.value->is_mapping()) {
      std::vector<std::string> notes;
      if (entry.value->is_null()) {
        notes.push_back("help: give it at least a 'command' and its 'inputs'");
      }
      Error(entry.value->is_null() ? entry.key->mark : entry.value->mark,
            "expected a mapping for target " + Quoted(entry.key->scalar()) + ", found " +
                entry.value->Describe(),
            std::move(notes));
      continue;
    }
    desc->targets.push_back(ReadTarget(*entry.key, *entry.value));
  }
  SortByName(desc->targets);
}

void Validator::CheckTargetName(const YamlNode& key) {
  if (!CheckName(key, "target")) return;
  if (layout::IsReservedTargetName(key.scalar())) {
    Error(key.mark, "target name " + Quoted(key.scalar()) + " is reserved",
          {"note: 'all', 'gather', 'post_submit', 'build.ninja' and 'manifest.json' name steps "
           "and files of the generated build; rename the target"});
  }
}

std::optional<Description> ValidateDescription(const YamlNode* root, const std::string& file,
                                               std::vector<Diagnostic>* diagnostics) {
  return Validator(file, diagnostics).Run(root);
}

}  // namespace fanout
