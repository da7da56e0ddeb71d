#include "description/validate.h"

#include "base/build_layout.h"

#include <algorithm>
#include <climits>
#include <set>
#include <span>
#include <string>
#include <utility>

#include "base/glob.h"
#include "base/sort_by_name.h"
#include "description/dependency_cycles.h"
#include "description/values.h"

namespace fanout {
namespace {

using Entry = YamlNode::Entry;
using Entries = std::span<const Entry>;
using Items = std::span<const YamlNodePtr>;
using Keys = std::span<const std::string_view>;

constexpr std::string_view kTopKeys[] = {"version", "pools",       "global_inputs",
                                         "targets", "post_submit", "sandbox"};
constexpr std::string_view kTargetKeys[] = {
    "command", "inputs",  "deps",    "pool",    "artifacts", "env",   "pass_env",
    "sockets", "timeout", "retries", "network", "checkout",  "limits"};
constexpr std::string_view kLimitKeys[] = {"memory", "pids", "nofile", "tmp"};
constexpr std::string_view kPostSubmitKeys[] = {"command", "when"};
constexpr std::string_view kCheckoutValues[] = {"inputs", "full"};
constexpr std::string_view kSandboxValues[] = {"required", "preferred"};
constexpr std::string_view kWhenValues[] = {"success", "always"};

constexpr int kMaxRetries = 10;

std::string Q(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string Join(Keys keys) {
  std::string out;
  for (std::string_view key : keys) out += (out.empty() ? "" : ", ") + std::string(key);
  return out;
}

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\n'; });
}

/// Where a pattern comes from decides what it is relative to.
enum class PatternKind { kInput, kArtifact };

/// Walks the node tree, filling a Description and reporting every problem.
class Validator {
 public:
  Validator(const std::string& file, std::vector<Diagnostic>* out) : file_(file), out_(out) {}

  std::optional<Description> Run(const YamlNode* root) {
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
      ReadPatterns(*e->value, "global_inputs", PatternKind::kInput, &desc.global_inputs);
    }
    if (const Entry* e = root->Find("post_submit")) ReadPostSubmit(*e, &desc.post_submit);
    if (const Entry* e = root->Find("targets")) ReadTargets(*e->value, &desc);
    for (const DependencyCycle& cycle : FindDependencyCycles(desc.targets)) {
      Error(cycle.mark, "dependency cycle: " + cycle.ToString());
    }
    if (errors_ > 0) return std::nullopt;
    return desc;
  }

 private:
  void Error(SourceMark mark, std::string message, std::vector<std::string> notes = {}) {
    out_->push_back(Diagnostic{file_, mark, std::move(message), std::move(notes)});
    ++errors_;
  }

  /// SuggestName within a budget: a file with thousands of misspelt names among thousands of
  /// targets would otherwise spend minutes on suggestions nobody reads (only the first
  /// kMaxReportedErrors errors are shown). The first errors, the ones shown, get them.
  std::string Suggest(std::string_view name, const std::vector<std::string>& candidates) {
    if (suggest_budget_ < candidates.size()) return "";
    suggest_budget_ -= candidates.size();
    return SuggestName(name, candidates);
  }

  /// `where` (and a quoted `target`, when given) say where the keys are, for messages.
  void CheckKeys(Entries entries, Keys allowed, std::string_view where,
                 std::string_view target = {}) {
    for (const Entry& entry : entries) {
      if (!entry.key->is_scalar()) {
        Error(entry.key->mark, "expected a key, found " + entry.key->Describe());
        continue;
      }
      const std::string_view key = entry.key->scalar();
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      const std::string suggestion =
          Suggest(key, std::vector<std::string>(allowed.begin(), allowed.end()));
      Error(entry.key->mark,
            "unknown key " + Q(key) + std::string(where) + (target.empty() ? "" : Q(target)),
            {suggestion.empty() ? "note: valid keys are: " + Join(allowed)
                                : "help: did you mean " + Q(suggestion) + "?"});
    }
  }

  bool CheckVersion(const YamlNode& root) {
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

  void TypeError(const YamlNode& node, std::string_view expected, std::string_view what,
                 std::vector<std::string> notes = {}) {
    Error(node.mark,
          "expected " + std::string(expected) + " for " + Q(what) + ", found " + node.Describe(),
          std::move(notes));
  }

  /// The entries of a mapping (null reads as an empty mapping), or nullopt after an error.
  std::optional<Entries> ExpectMapping(const YamlNode& node, std::string_view what) {
    if (node.is_mapping()) return node.entries();
    if (node.is_null()) return Entries();
    TypeError(node, "a mapping", what);
    return std::nullopt;
  }

  /// The items of a list (null reads as an empty list), or nullopt after an error.
  std::optional<Items> ExpectList(const YamlNode& node, std::string_view what) {
    if (node.is_sequence()) return node.items();
    if (node.is_null()) return Items();
    std::vector<std::string> notes;
    if (node.is_scalar())
      notes.push_back("help: write a list: [" + std::string(node.scalar()) + "]");
    TypeError(node, "a list", what, std::move(notes));
    return std::nullopt;
  }

  /// Any scalar but null reads as a string: `1` and `true` are fine where text is expected.
  std::optional<std::string> ExpectString(const YamlNode& node, std::string_view what) {
    if (node.is_scalar() && !node.is_null()) return std::string(node.scalar());
    TypeError(node, "a string", what);
    return std::nullopt;
  }

  /// A string that is not empty or blank; `item` names one element of a list ("pattern").
  std::optional<std::string> ExpectText(const YamlNode& node, std::string_view what,
                                        std::string_view item = {}) {
    std::optional<std::string> s = ExpectString(node, what);
    if (s && IsBlank(*s)) {
      Error(node.mark, item.empty() ? Q(what) + " must not be empty"
                                    : "empty " + std::string(item) + " in " + Q(what));
      return std::nullopt;
    }
    return s;
  }

  std::optional<std::int64_t> ExpectInteger(const YamlNode& node, std::string_view what) {
    if (node.is_scalar() && node.plain && !node.is_null() && node.Describe() == "an integer") {
      if (auto value = ParseInteger(node.scalar())) return value;
      Error(node.mark,
            "integer " + std::string(node.scalar()) + " for " + Q(what) + " is out of range");
      return std::nullopt;
    }
    std::vector<std::string> notes;
    if (node.is_scalar() && node.quoted && ParseInteger(node.scalar())) {
      notes.push_back("help: remove the quotes to make it an integer");
    }
    TypeError(node, "an integer", what, std::move(notes));
    return std::nullopt;
  }

  std::optional<bool> ExpectBool(const YamlNode& node, std::string_view what) {
    if (node.is_scalar() && node.plain) {
      const std::string_view s = node.scalar();
      if (s == "true" || s == "True" || s == "TRUE") return true;
      if (s == "false" || s == "False" || s == "FALSE") return false;
      static const std::set<std::string, std::less<>> kTrueWords = {"yes", "Yes", "YES", "on",
                                                                    "On",  "ON",  "y",   "Y"};
      static const std::set<std::string, std::less<>> kFalseWords = {"no",  "No",  "NO", "off",
                                                                     "Off", "OFF", "n",  "N"};
      if (kTrueWords.count(s) || kFalseWords.count(s)) {
        Error(node.mark, "expected true or false for " + Q(what) + ", found " + Q(s),
              {"help: write " + std::string(kTrueWords.count(s) ? "'true'" : "'false'") +
               "; YAML 1.1 words such as 'yes' and 'off' are not booleans here"});
        return std::nullopt;
      }
    }
    std::vector<std::string> notes;
    if (node.is_scalar() && node.quoted && (node.scalar() == "true" || node.scalar() == "false")) {
      notes.push_back("help: remove the quotes to make it a boolean");
    }
    TypeError(node, "true or false", what, std::move(notes));
    return std::nullopt;
  }

  std::optional<std::string> ExpectEnum(const YamlNode& node, std::string_view what, Keys values) {
    std::optional<std::string> s = ExpectString(node, what);
    if (!s) return std::nullopt;
    if (std::find(values.begin(), values.end(), *s) != values.end()) return s;
    std::string expected;
    for (std::size_t i = 0; i < values.size(); ++i) {
      expected += (i == 0 ? "" : i + 1 == values.size() ? " or " : ", ") + Q(values[i]);
    }
    const std::string suggestion =
        Suggest(*s, std::vector<std::string>(values.begin(), values.end()));
    std::vector<std::string> notes;
    if (!suggestion.empty()) notes.push_back("help: did you mean " + Q(suggestion) + "?");
    Error(node.mark, "invalid " + Q(what) + " value " + Q(*s) + "; expected " + expected,
          std::move(notes));
    return std::nullopt;
  }

  /// A positive integer (`min` or more).
  std::optional<std::int64_t> ExpectAtLeast(const YamlNode& node, std::string_view what,
                                            std::int64_t min) {
    std::optional<std::int64_t> value = ExpectInteger(node, what);
    if (value && *value < min) {
      Error(node.mark, Q(what) + " must be at least " + std::to_string(min) + ", found " +
                           std::to_string(*value));
      return std::nullopt;
    }
    return value;
  }

  void ReadPools(const YamlNode& node, Description* desc) {
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

  bool CheckName(const YamlNode& key, std::string_view kind) {
    const std::string_view name = key.scalar();
    if (!IsValidName(name)) {
      Error(key.mark, "invalid " + std::string(kind) + " name " + Q(name),
            {"note: a " + std::string(kind) +
             " name starts with a letter or digit and holds only letters, digits, '.', '_' "
             "and '-'"});
      return false;
    }
    return true;
  }

  void ReadPostSubmit(const Entry& entry, PostSubmit* post) {
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

  /// Reads a list of glob patterns into `out` (as written), checking each one.
  bool ReadPatterns(const YamlNode& node, std::string_view what, PatternKind kind,
                    std::vector<std::string>* out) {
    const std::optional<Items> items = ExpectList(node, what);
    if (!items) return false;
    std::size_t includes = 0, excludes = 0;
    for (const YamlNodePtr& item : *items) {
      std::optional<std::string> pattern = ExpectText(*item, what, "pattern");
      if (!pattern) continue;
      ++((*pattern)[0] == '!' ? excludes : includes);
      out->push_back(std::move(*pattern));
      CheckPattern(*item, what, kind);
    }
    if (excludes > 0 && includes == 0) {
      Error(node.mark,
            "every pattern in " + Q(what) + " is an exclude ('!'), so it matches nothing",
            {"help: add the patterns to include before the excludes, e.g. '**'"});
    }
    return true;
  }

  void CheckPattern(const YamlNode& node, std::string_view what, PatternKind kind) {
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
      Error(node.mark, "pattern " + Q(pattern) + " in " + Q(what) + " is empty after '!'");
      return;
    }
    if (body[0] == '/') {
      Error(SourceMark{node.mark.line, base + static_cast<int>(start)},
            "absolute path " + Q(pattern) + " in " + Q(what), {relative_to});
      return;
    }
    std::size_t seg = 0;
    while (seg <= body.size()) {
      std::size_t end = body.find('/', seg);
      if (end == std::string_view::npos) end = body.size();
      if (body.substr(seg, end - seg) == "..") {
        Error(SourceMark{node.mark.line, base + static_cast<int>(start + seg)},
              "pattern " + Q(pattern) + " in " + Q(what) + " has a '..' segment",
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
          "invalid pattern " + Q(pattern) + " in " + Q(what) + ": " + message);
  }

  void ReadTargets(const YamlNode& node, Description* desc) {
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
              "expected a mapping for target " + Q(entry.key->scalar()) + ", found " +
                  entry.value->Describe(),
              std::move(notes));
        continue;
      }
      desc->targets.push_back(ReadTarget(*entry.key, *entry.value));
    }
    SortByName(desc->targets);
  }

  void CheckTargetName(const YamlNode& key) {
    if (!CheckName(key, "target")) return;
    if (layout::IsReservedTargetName(key.scalar())) {
      Error(key.mark, "target name " + Q(key.scalar()) + " is reserved",
            {"note: 'all', 'gather', 'post_submit', 'build.ninja' and 'manifest.json' name steps "
             "and files of the generated build; rename the target"});
    }
  }

  Target ReadTarget(const YamlNode& key, const YamlNode& body);
  void ReadDeps(const YamlNode& node, Target* target);
  void ReadEnv(const YamlNode& node, Target* target);
  void ReadPassEnv(const YamlNode& node, Target* target);
  void ReadSockets(const YamlNode& node, Target* target);
  void CheckSocketPath(const YamlNode& node, const std::string& path);
  std::optional<std::uint64_t> ReadSize(const YamlNode& node, std::string_view what);
  void ReadTimeout(const YamlNode& node, Target* target);
  void ReadLimits(const YamlNode& node, Limits* limits);

  const std::string& file_;
  std::vector<Diagnostic>* out_;
  int errors_ = 0;
  std::vector<std::string> declared_pools_;
  std::vector<std::string> target_names_;   // sorted
  std::size_t suggest_budget_ = 1'000'000;  // candidate names compared, in all
};

Target Validator::ReadTarget(const YamlNode& key, const YamlNode& body) {
  Target t;
  t.name = key.scalar();
  t.mark = key.mark;
  CheckKeys(body.entries(), kTargetKeys, " in target ", t.name);
  if (const Entry* e = body.Find("checkout")) {
    if (auto v = ExpectEnum(*e->value, "checkout", kCheckoutValues)) {
      t.checkout = *v == "full" ? Checkout::kFull : Checkout::kInputs;
    }
  }
  if (const Entry* e = body.Find("command")) {
    if (auto command = ExpectText(*e->value, "command")) t.command = *command;
  } else {
    Error(key.mark, "target " + Q(t.name) + " has no 'command'",
          {"help: add 'command: ...' with the shell command that builds it"});
  }
  const Entry* inputs = body.Find("inputs");
  const bool inputs_ok =
      !inputs || ReadPatterns(*inputs->value, "inputs", PatternKind::kInput, &t.inputs);
  if (inputs_ok && t.inputs.empty() && t.checkout != Checkout::kFull) {
    Error(inputs ? inputs->value->mark : key.mark, "target " + Q(t.name) + " has no inputs",
          {"help: list the files it reads (e.g. 'inputs: [src/**]'), or set 'checkout: full' "
           "to give it the whole tree"});
  }
  if (const Entry* e = body.Find("deps")) ReadDeps(*e->value, &t);
  if (const Entry* e = body.Find("pool")) {
    if (auto pool = ExpectText(*e->value, "pool")) {
      t.pool = *pool;
      if (std::find(declared_pools_.begin(), declared_pools_.end(), *pool) ==
          declared_pools_.end()) {
        const std::string suggestion = Suggest(*pool, declared_pools_);
        Error(e->value->mark, "unknown pool " + Q(*pool),
              {suggestion.empty() ? "help: declare it under the top-level 'pools' key"
                                  : "help: did you mean " + Q(suggestion) + "?"});
      }
    }
  }
  if (const Entry* e = body.Find("artifacts")) {
    ReadPatterns(*e->value, "artifacts", PatternKind::kArtifact, &t.artifacts);
  }
  if (const Entry* e = body.Find("env")) ReadEnv(*e->value, &t);
  if (const Entry* e = body.Find("pass_env")) ReadPassEnv(*e->value, &t);
  if (const Entry* e = body.Find("sockets")) ReadSockets(*e->value, &t);
  if (const Entry* e = body.Find("timeout")) ReadTimeout(*e->value, &t);
  if (const Entry* e = body.Find("retries")) {
    if (auto retries = ExpectInteger(*e->value, "retries")) {
      if (*retries < 0 || *retries > kMaxRetries) {
        Error(e->value->mark, "'retries' must be between 0 and " + std::to_string(kMaxRetries) +
                                  ", found " + std::to_string(*retries));
      } else {
        t.retries = static_cast<int>(*retries);
      }
    }
  }
  if (const Entry* e = body.Find("network")) {
    if (auto network = ExpectBool(*e->value, "network")) t.network = *network;
  }
  if (const Entry* e = body.Find("limits")) ReadLimits(*e->value, &t.limits);
  return t;
}

void Validator::ReadDeps(const YamlNode& node, Target* t) {
  const std::optional<Items> items = ExpectList(node, "deps");
  if (!items) return;
  for (const YamlNodePtr& item : *items) {
    std::optional<std::string> dep = ExpectText(*item, "deps", "name");
    if (!dep) continue;
    if (*dep == t->name) {
      Error(item->mark, "target " + Q(t->name) + " depends on itself");
    } else if (!std::binary_search(target_names_.begin(), target_names_.end(), *dep)) {
      const std::string suggestion = Suggest(*dep, target_names_);
      std::vector<std::string> notes;
      if (!suggestion.empty() && suggestion != t->name) {
        notes.push_back("help: did you mean " + Q(suggestion) + "?");
      }
      Error(item->mark, "unknown dependency " + Q(*dep) + " of target " + Q(t->name),
            std::move(notes));
    } else if (std::find(t->deps.begin(), t->deps.end(), *dep) != t->deps.end()) {
      Error(item->mark, "dependency " + Q(*dep) + " is listed twice");
    }
    t->deps.push_back(*dep);
  }
}

void Validator::ReadEnv(const YamlNode& node, Target* t) {
  const std::optional<Entries> entries = ExpectMapping(node, "env");
  if (!entries) return;
  for (const Entry& entry : *entries) {
    if (!entry.key->is_scalar()) {
      Error(entry.key->mark, "expected a variable name, found " + entry.key->Describe());
      continue;
    }
    const std::string name(entry.key->scalar());
    if (!IsValidEnvName(name)) {
      Error(entry.key->mark, "invalid environment variable name " + Q(name),
            {"note: a name holds letters, digits and '_', and does not start with a digit"});
    }
    const YamlNode& value = *entry.value;
    if (value.is_scalar() && !value.is_null()) {
      t->env[name] = value.scalar();
    } else if (value.is_null()) {
      Error(value.mark, "environment variable " + Q(name) + " has no value",
            {"help: write \"\" for an empty value, or list it in 'pass_env' to pass it through"});
    } else {
      Error(value.mark, "expected a string for environment variable " + Q(name) + ", found " +
                            value.Describe());
    }
  }
}

void Validator::ReadPassEnv(const YamlNode& node, Target* t) {
  const std::optional<Items> items = ExpectList(node, "pass_env");
  if (!items) return;
  for (const YamlNodePtr& item : *items) {
    std::optional<std::string> name = ExpectText(*item, "pass_env", "name");
    if (!name) continue;
    if (!IsValidEnvName(*name)) {
      Error(item->mark, "invalid environment variable name " + Q(*name) + " in 'pass_env'",
            {"note: a name holds letters, digits and '_', and does not start with a digit"});
    }
    t->pass_env.push_back(*name);
    t->pass_env_marks.push_back(item->mark);
  }
}

void Validator::ReadSockets(const YamlNode& node, Target* t) {
  const std::optional<Items> items = ExpectList(node, "sockets");
  if (!items) return;
  for (const YamlNodePtr& item : *items) {
    std::optional<std::string> path = ExpectText(*item, "sockets", "path");
    if (!path) continue;
    if (std::find(t->sockets.begin(), t->sockets.end(), *path) != t->sockets.end()) {
      Error(item->mark, "socket " + Q(*path) + " is listed twice in 'sockets'");
      continue;
    }
    CheckSocketPath(*item, *path);
    t->sockets.push_back(*path);
    t->socket_marks.push_back(item->mark);
  }
}

/// One error for the first way `path` is not an absolute, normalized path, at the column of
/// the part that is wrong.
void Validator::CheckSocketPath(const YamlNode& node, const std::string& path) {
  const int base = node.mark.column + (node.quoted ? 1 : 0);
  auto at = [&](std::size_t offset) {
    return SourceMark{node.mark.line, base + static_cast<int>(offset)};
  };
  const std::string what = "socket path " + Q(path) + " in 'sockets'";
  if (path[0] != '/') {
    Error(node.mark, what + " is not absolute",
          {"help: write the host path from the root, e.g. '/var/run/docker.sock'"});
    return;
  }
  if (path == "/") {
    Error(node.mark, what + " names the root directory",
          {"help: name the socket file, e.g. '/var/run/docker.sock'"});
    return;
  }
  // What the path means, written the one way the sandbox accepts: for the help lines.
  std::vector<std::string_view> kept;
  for (std::size_t seg = 1; seg <= path.size();) {
    std::size_t end = path.find('/', seg);
    if (end == std::string::npos) end = path.size();
    const std::string_view part = std::string_view(path).substr(seg, end - seg);
    if (part == "..") {
      if (!kept.empty()) kept.pop_back();
    } else if (!part.empty() && part != ".") {
      kept.push_back(part);
    }
    seg = end + 1;
  }
  std::string normal;
  for (std::string_view part : kept) normal += "/" + std::string(part);
  if (normal.empty()) normal = "/";
  const std::string help = "help: write it normalized: " + Q(normal);
  for (std::size_t seg = 1; seg <= path.size();) {
    std::size_t end = path.find('/', seg);
    if (end == std::string::npos) end = path.size();
    const std::string_view part = std::string_view(path).substr(seg, end - seg);
    if (part.empty()) {
      Error(at(seg - 1),
            what + (end == path.size() ? " ends with '/'" : " has an empty component ('//')"),
            {end == path.size() ? "help: name the socket file itself, without the trailing '/'"
                                : help});
      return;
    }
    if (part == "." || part == "..") {
      Error(at(seg), what + " has a " + Q(part) + " component", {help});
      return;
    }
    seg = end + 1;
  }
}

void Validator::ReadTimeout(const YamlNode& node, Target* t) {
  std::optional<std::string> text = ExpectString(node, "timeout");
  if (!text) return;
  std::optional<std::int64_t> seconds = ParseDuration(*text);
  const bool negative = !text->empty() && (*text)[0] == '-' && ParseDuration(text->substr(1));
  if (negative || (seconds && *seconds == 0)) {
    Error(node.mark, "'timeout' must be greater than zero, found " + Q(*text));
  } else if (!seconds) {
    Error(node.mark, "invalid duration " + Q(*text) + " for 'timeout'",
          {"help: write a number of seconds, or h, m and s units, e.g. '90s', '30m', '1h30m'"});
  } else {
    t->timeout_seconds = *seconds;
  }
}

void Validator::ReadLimits(const YamlNode& node, Limits* limits) {
  const std::optional<Entries> entries = ExpectMapping(node, "limits");
  if (!entries) return;
  CheckKeys(*entries, kLimitKeys, " in 'limits'");
  if (const Entry* e = node.Find("memory")) {
    if (auto bytes = ReadSize(*e->value, "memory")) limits->memory_bytes = *bytes;
  }
  if (const Entry* e = node.Find("tmp")) {
    if (auto bytes = ReadSize(*e->value, "tmp")) limits->tmp_bytes = *bytes;
  }
  if (const Entry* e = node.Find("pids")) {
    if (auto pids = ExpectAtLeast(*e->value, "pids", 1)) limits->pids = *pids;
  }
  if (const Entry* e = node.Find("nofile")) {
    if (auto nofile = ExpectAtLeast(*e->value, "nofile", 1)) limits->nofile = *nofile;
  }
}

/// A size greater than zero ("512M", "4G", bytes), or nullopt after an error.
std::optional<std::uint64_t> Validator::ReadSize(const YamlNode& node, std::string_view what) {
  std::optional<std::string> text = ExpectString(node, what);
  std::optional<std::uint64_t> bytes = text ? ParseByteSize(*text) : std::nullopt;
  if (text && !bytes) {
    Error(node.mark, "invalid size " + Q(*text) + " for " + Q(what),
          {"help: write bytes, or a number with a K, M, G or T suffix (powers of 1024), "
           "e.g. '512M', '4G'"});
    return std::nullopt;
  }
  if (bytes && *bytes == 0) {
    Error(node.mark, Q(what) + " must be greater than zero");
    return std::nullopt;
  }
  return bytes;
}

}  // namespace

std::optional<Description> ValidateDescription(const YamlNode* root, const std::string& file,
                                               std::vector<Diagnostic>* diagnostics) {
  return Validator(file, diagnostics).Run(root);
}

std::span<const std::string_view> TargetBodyKeys() { return kTargetKeys; }
std::span<const std::string_view> TargetLimitKeys() { return kLimitKeys; }

}  // namespace fanout
