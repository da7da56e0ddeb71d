// One target's body under version 1 of docs/format.md, for the Validator of
// description/validator.h.
#include <algorithm>
#include <string>
#include <utility>

#include "description/validate.h"
#include "description/validator.h"
#include "description/values.h"

namespace fanout {
namespace {

constexpr std::string_view kTargetKeys[] = {
    "command",  "inputs",  "deps",    "pool",      "artifacts",  "env",
    "pass_env", "sockets", "timeout", "retries",   "network",    "cache",
    "checkout", "limits",  "image",   "log_limit", "inputs_from"};
constexpr std::string_view kLimitKeys[] = {"memory", "pids", "nofile", "tmp"};
constexpr std::string_view kCheckoutValues[] = {"inputs", "full"};

constexpr int kMaxRetries = 10;

}  // namespace

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
  // An image target is built by fanout from its `image:` (validate_image.cc), not by a command.
  const Entry* image = body.Find("image");
  if (const Entry* e = body.Find("command")) {
    if (image) {
      Error(e->key->mark, "target " + Quoted(t.name) + " has both 'image' and 'command'",
            {"note: fanout builds an image target itself from its 'image' settings",
             "help: remove 'command', or make the command a separate target"});
    } else if (auto command = ExpectText(*e->value, "command")) {
      t.command = *command;
    }
  } else if (!image) {
    Error(key.mark, "target " + Quoted(t.name) + " has no 'command'",
          {"help: add 'command: ...' with the shell command that builds it, or 'image:' for a "
           "container image"});
  }
  // Deps first: an image's build args may name them.
  if (const Entry* e = body.Find("deps")) ReadDeps(*e->value, &t);
  if (image) ReadImage(*image->value, &t);
  const Entry* inputs = body.Find("inputs");
  const bool inputs_ok = !inputs || ReadPatterns(*inputs->value, "inputs", PatternKind::kInput,
                                                 &t.inputs, &t.input_marks);
  // Derived inputs join the written ones; for an image target they replace the default of the
  // whole context.
  const Entry* inputs_from = body.Find("inputs_from");
  if (inputs_ok && !inputs && t.image && !inputs_from) t.inputs = DefaultImageInputs(*t.image);
  if (inputs_from) ReadInputsFrom(*inputs_from->value, &t);
  if (inputs_ok && !inputs_from && t.inputs.empty() && t.checkout != Checkout::kFull) {
    Error(inputs ? inputs->value->mark : key.mark, "target " + Quoted(t.name) + " has no inputs",
          {"help: list the files it reads (e.g. 'inputs: [src/**]'), or set 'checkout: full' "
           "to give it the whole tree"});
  }
  if (const Entry* e = body.Find("pool")) ReadPool(*e->value, &t);
  if (const Entry* e = body.Find("artifacts")) {
    ReadPatterns(*e->value, "artifacts", PatternKind::kArtifact, &t.artifacts);
  }
  if (const Entry* e = body.Find("env")) ReadEnv(*e->value, &t);
  if (const Entry* e = body.Find("pass_env")) ReadPassEnv(*e->value, &t);
  if (const Entry* e = body.Find("sockets")) ReadSockets(*e->value, &t);
  if (const Entry* e = body.Find("timeout")) ReadTimeout(*e->value, &t);
  if (const Entry* e = body.Find("retries")) ReadRetries(*e->value, &t);
  if (const Entry* e = body.Find("network")) {
    if (auto network = ExpectBool(*e->value, "network")) t.network = *network;
  }
  if (const Entry* e = body.Find("cache")) {
    if (auto cache = ExpectBool(*e->value, "cache")) t.cache = *cache;
  }
  if (const Entry* e = body.Find("limits")) ReadLimits(*e->value, &t.limits);
  if (const Entry* e = body.Find("log_limit")) {
    if (auto bytes = ExpectSize(*e->value, "log_limit")) t.log_limit = *bytes;
  }
  if (t.image && t.image->engine == ImageEngine::kDocker && t.sockets.empty()) {
    Error(image->key->mark,
          "image target " + Quoted(t.name) + " has no socket for the Docker daemon",
          {"note: the docker engine builds in the daemon, reached through a socket the target "
           "declares",
           "help: add 'sockets: [/var/run/docker.sock]' (and 'pass_env: [DOCKER_HOST]' for "
           "another socket), or set 'engine: buildah' under 'image' to build without a daemon"});
  }
  return t;
}

void Validator::ReadDeps(const YamlNode& node, Target* t) {
  const std::optional<Items> items = ExpectList(node, "deps");
  if (!items) return;
  for (const YamlNodePtr& item : *items) {
    std::optional<std::string> dep = ExpectText(*item, "deps", "name");
    if (!dep) continue;
    if (*dep == t->name) {
      Error(item->mark, "target " + Quoted(t->name) + " depends on itself");
    } else if (!std::binary_search(target_names_.begin(), target_names_.end(), *dep)) {
      const std::string suggestion = Suggest(*dep, target_names_);
      std::vector<std::string> notes;
      if (!suggestion.empty() && suggestion != t->name) {
        notes.push_back("help: did you mean " + Quoted(suggestion) + "?");
      }
      Error(item->mark, "unknown dependency " + Quoted(*dep) + " of target " + Quoted(t->name),
            std::move(notes));
    } else if (std::find(t->deps.begin(), t->deps.end(), *dep) != t->deps.end()) {
      Error(item->mark, "dependency " + Quoted(*dep) + " is listed twice");
    }
    t->deps.push_back(*dep);
  }
}

void Validator::ReadPool(const YamlNode& node, Target* t) {
  std::optional<std::string> pool = ExpectText(node, "pool");
  if (!pool) return;
  t->pool = *pool;
  if (std::find(declared_pools_.begin(), declared_pools_.end(), *pool) != declared_pools_.end()) {
    return;
  }
  const std::string suggestion = Suggest(*pool, declared_pools_);
  Error(node.mark, "unknown pool " + Quoted(*pool),
        {suggestion.empty() ? "help: declare it under the top-level 'pools' key"
                            : "help: did you mean " + Quoted(suggestion) + "?"});
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
      Error(entry.key->mark, "invalid environment variable name " + Quoted(name),
            {"note: a name holds letters, digits and '_', and does not start with a digit"});
    }
    const YamlNode& value = *entry.value;
    if (value.is_scalar() && !value.is_null()) {
      t->env[name] = value.scalar();
    } else if (value.is_null()) {
      Error(value.mark, "environment variable " + Quoted(name) + " has no value",
            {"help: write \"\" for an empty value, or list it in 'pass_env' to pass it through"});
    } else {
      Error(value.mark, "expected a string for environment variable " + Quoted(name) + ", found " +
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
      Error(item->mark, "invalid environment variable name " + Quoted(*name) + " in 'pass_env'",
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
      Error(item->mark, "socket " + Quoted(*path) + " is listed twice in 'sockets'");
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
  const std::string what = "socket path " + Quoted(path) + " in 'sockets'";
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
  for (std::string_view part : kept) {
    normal += '/';
    normal += part;
  }
  if (normal.empty()) normal = "/";
  const std::string help = "help: write it normalized: " + Quoted(normal);
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
      Error(at(seg), what + " has a " + Quoted(part) + " component", {help});
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
    Error(node.mark, "'timeout' must be greater than zero, found " + Quoted(*text));
  } else if (!seconds) {
    Error(node.mark, "invalid duration " + Quoted(*text) + " for 'timeout'",
          {"help: write a number of seconds, or h, m and s units, e.g. '90s', '30m', '1h30m'"});
  } else {
    t->timeout_seconds = *seconds;
  }
}

void Validator::ReadRetries(const YamlNode& node, Target* t) {
  std::optional<std::int64_t> retries = ExpectInteger(node, "retries");
  if (!retries) return;
  if (*retries < 0 || *retries > kMaxRetries) {
    Error(node.mark, "'retries' must be between 0 and " + std::to_string(kMaxRetries) + ", found " +
                         std::to_string(*retries));
    return;
  }
  t->retries = static_cast<int>(*retries);
}

void Validator::ReadLimits(const YamlNode& node, Limits* limits) {
  const std::optional<Entries> entries = ExpectMapping(node, "limits");
  if (!entries) return;
  CheckKeys(*entries, kLimitKeys, " in 'limits'");
  if (const Entry* e = node.Find("memory")) {
    if (auto bytes = ExpectSize(*e->value, "memory")) limits->memory_bytes = *bytes;
  }
  if (const Entry* e = node.Find("tmp")) {
    if (auto bytes = ExpectSize(*e->value, "tmp")) limits->tmp_bytes = *bytes;
  }
  if (const Entry* e = node.Find("pids")) {
    if (auto pids = ExpectAtLeast(*e->value, "pids", 1)) limits->pids = *pids;
  }
  if (const Entry* e = node.Find("nofile")) {
    if (auto nofile = ExpectAtLeast(*e->value, "nofile", 1)) limits->nofile = *nofile;
  }
}

std::span<const std::string_view> TargetBodyKeys() { return kTargetKeys; }
std::span<const std::string_view> TargetLimitKeys() { return kLimitKeys; }

}  // namespace fanout
