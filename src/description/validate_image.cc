// An image target's `image:` under version 1 of docs/format.md, for the Validator of
// description/validator.h; what fanout does with it is in docs/images.md.
#include <algorithm>
#include <string>
#include <utility>

#include "base/dockerignore.h"
#include "description/validate.h"
#include "description/validator.h"
#include "description/values.h"

namespace fanout {
namespace {

constexpr std::string_view kImageKeys[] = {"context",  "dockerfile", "args",       "target",
                                           "platform", "tags",       "cache_from", "cache_to",
                                           "secrets",  "engine"};
constexpr std::string_view kSecretKeys[] = {"id", "file", "env"};
constexpr std::string_view kEngineValues[] = {"docker", "buildah"};
constexpr std::string_view kTagFields[] = {"target", "commit", "short", "digest"};
constexpr std::string_view kImageArgPrefix = "{image:";

/// Whether a `cache_to` entry is BuildKit's inline export ("type=inline" among its fields).
bool IsInlineCacheExport(std::string_view value) {
  for (std::size_t at = 0; at <= value.size();) {
    std::size_t end = value.find(',', at);
    if (end == std::string_view::npos) end = value.size();
    if (value.substr(at, end - at) == "type=inline") return true;
    at = end + 1;
  }
  return false;
}

}  // namespace

std::string RelativePathProblem(std::string_view path) {
  if (path[0] == '/') return "is absolute";
  if (path == ".") return "";
  if (path.find_first_of("*?[\\") != std::string_view::npos) {
    return "has a glob character ('*', '?', '[' or '\\')";
  }
  for (std::size_t seg = 0; seg <= path.size();) {
    std::size_t end = path.find('/', seg);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view part = path.substr(seg, end - seg);
    if (part.empty()) return end == path.size() ? "ends with '/'" : "has an empty component";
    if (part == "." || part == "..") return "has a '" + std::string(part) + "' component";
    seg = end + 1;
  }
  return "";
}

const char* ImageEngineName(ImageEngine engine) {
  return engine == ImageEngine::kBuildah ? "buildah" : "docker";
}

std::string ImageSpec::DockerfilePath() const {
  if (!dockerfile.empty()) return dockerfile;
  return context == "." ? "Dockerfile" : context + "/Dockerfile";
}

std::vector<std::string> Validator::DefaultImageInputs(const ImageSpec& image) {
  // The context's files that the engine sends (base/dockerignore.h), and always the
  // Dockerfile and both places a .dockerignore can be: named exactly, they stay inputs even
  // when the rules exclude them, and creating one changes the inputs.
  const std::string dockerfile = image.DockerfilePath();
  std::vector<std::string> inputs = {image.context == "." ? "**" : image.context + "/**",
                                     dockerfile};
  for (std::string& file : DockerignoreFiles(image.context, dockerfile)) {
    inputs.push_back(std::move(file));
  }
  inputs.push_back(DockerignoreMarker(image.context, dockerfile));
  return inputs;
}

std::optional<std::string> Validator::ReadRelativePath(const YamlNode& node, std::string_view what,
                                                       std::string_view section) {
  std::optional<std::string> path = ExpectText(node, what);
  if (!path) return std::nullopt;
  const std::string problem = path->empty() ? "is empty" : RelativePathProblem(*path);
  if (problem.empty()) return path;
  const std::string in = section == "image" ? "" : " in " + Quoted(section);
  Error(node.mark, "path " + Quoted(*path) + " for " + Quoted(what) + in + " " + problem,
        {"note: paths in " + Quoted(section) +
         " are relative to the repository root, written without '.' or '..' components ('.' "
         "alone is the root)"});
  return std::nullopt;
}

void Validator::ReadImage(const YamlNode& node, Target* t) {
  const std::optional<Entries> entries = ExpectMapping(node, "image");
  if (!entries) return;
  CheckKeys(*entries, kImageKeys, " in 'image' of target ", t->name);
  ImageSpec image;
  if (const Entry* e = node.Find("engine")) {
    if (auto engine = ExpectEnum(*e->value, "engine", kEngineValues)) {
      image.engine = *engine == "buildah" ? ImageEngine::kBuildah : ImageEngine::kDocker;
    }
  }
  if (const Entry* e = node.Find("context")) {
    if (auto context = ReadRelativePath(*e->value, "context")) image.context = *context;
  } else {
    Error(node.mark, "'image' of target " + Quoted(t->name) + " has no 'context'",
          {"help: add 'context: DIR', the directory sent to the engine ('.' for the root)"});
  }
  if (const Entry* e = node.Find("dockerfile")) {
    if (auto dockerfile = ReadRelativePath(*e->value, "dockerfile")) {
      image.dockerfile = *dockerfile;
    }
  }
  if (const Entry* e = node.Find("args")) ReadImageArgs(*e->value, *t, &image);
  if (const Entry* e = node.Find("target")) {
    if (auto stage = ExpectText(*e->value, "target")) image.target = *stage;
  }
  if (const Entry* e = node.Find("platform")) {
    if (auto platform = ExpectText(*e->value, "platform")) image.platform = *platform;
  }
  if (const Entry* e = node.Find("tags")) ReadImageTags(*e->value, &image);
  if (const Entry* e = node.Find("cache_from")) {
    ReadCacheList(*e, "cache_from", *t, &image.cache_from, image.engine);
  }
  if (const Entry* e = node.Find("cache_to")) {
    ReadCacheList(*e, "cache_to", *t, &image.cache_to, image.engine);
  }
  if (const Entry* e = node.Find("secrets")) ReadImageSecrets(*e, *t, &image);
  t->image = std::move(image);
}

void Validator::ReadCacheList(const Entry& entry, std::string_view key, const Target& t,
                              std::vector<std::string>* out, ImageEngine engine) {
  if (engine == ImageEngine::kBuildah) {
    // BuildKit's "type=registry,ref=..." means nothing to buildah, whose --cache-from and
    // --cache-to name a repository it pulls layers from and pushes them to: passing them on
    // would fail, or reach a registry, mid-build.
    Error(entry.key->mark,
          Quoted(key) + " of target " + Quoted(t.name) +
              " is BuildKit's; the buildah engine does not take it",
          {"note: the buildah engine keeps its layers in the build directory's own store "
           "(docs/images.md)",
           "help: remove " + Quoted(key) + ", or build with 'engine: docker'"});
  }
  const bool to = key == "cache_to";
  if (auto items = ExpectList(*entry.value, key)) {
    for (const YamlNodePtr& item : *items) {
      std::optional<std::string> value = ExpectText(*item, key, to ? "destination" : "source");
      if (!value) continue;
      if (to && IsInlineCacheExport(*value)) {
        // The inline cache lives in the image's config, which does not survive the copy into
        // the target's OCI layout (skopeo rewrites a Docker config as an OCI one).
        Error(item->mark,
              "cache export " + Quoted(*value) + " of target " + Quoted(t.name) +
                  " would be lost: fanout keeps the image as an OCI layout, whose config "
                  "has no room for BuildKit's inline cache",
              {"help: export the cache on its own, e.g. 'type=registry,ref=REPO:cache' "
               "(docs/images.md#cache)"});
        continue;
      }
      out->push_back(*value);
    }
  }
}

/// `secrets`: a list of {id, file} or {id, env}. The source is only named here: fanout reads
/// it on the runner when the target runs (sandbox/secrets.h).
void Validator::ReadImageSecrets(const Entry& entry, const Target& t, ImageSpec* image) {
  if (image->engine == ImageEngine::kBuildah) {
    // buildah 1.28 bind-mounts a secret into the RUN step and remounts it with flags that the
    // sandbox's user namespace refuses ("remounting .../run/secrets/ID in mount namespace with
    // expected flags: operation not permitted").
    Error(entry.key->mark,
          "'secrets' of target " + Quoted(t.name) + " cannot be mounted by the buildah engine",
          {"note: buildah's secret mount fails inside fanout's sandbox (docs/images.md#secrets)",
           "help: build it with 'engine: docker'"});
    return;
  }
  const std::optional<Items> items = ExpectList(*entry.value, "secrets");
  if (!items) return;
  // The build script's shell holds each on a descriptor of one digit (sandbox/isolate.h).
  if (items->size() > kMaxImageSecrets) {
    Error(entry.key->mark,
          "target " + Quoted(t.name) + " has " + std::to_string(items->size()) +
              " secrets; an image build takes at most " + std::to_string(kMaxImageSecrets),
          {"help: put related values in one secret file"});
    return;
  }
  for (const YamlNodePtr& item : *items) {
    const std::optional<Entries> entries = ExpectMapping(*item, "secrets");
    if (!entries) continue;
    CheckKeys(*entries, kSecretKeys, " in a secret of target ", t.name);
    ImageSecret secret;
    const Entry* id = item->Find("id");
    if (!id) {
      Error(item->mark, "a secret of target " + Quoted(t.name) + " has no 'id'",
            {"help: add 'id: NAME', the name `RUN --mount=type=secret,id=NAME` uses"});
      continue;
    }
    std::optional<std::string> name = ExpectText(*id->value, "id");
    if (!name) continue;
    if (name->find_first_not_of(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
        std::string::npos) {
      Error(id->value->mark, "invalid secret id " + Quoted(*name),
            {"note: an id holds letters, digits, '_', '.' and '-'"});
      continue;
    }
    for (const ImageSecret& other : image->secrets) {
      if (other.id == *name) {
        Error(id->value->mark,
              "secret " + Quoted(*name) + " is declared twice in target " + Quoted(t.name),
              {"help: give each secret its own id"});
      }
    }
    secret.id = *name;
    const Entry* file = item->Find("file");
    const Entry* env = item->Find("env");
    if ((file != nullptr) == (env != nullptr)) {
      Error(item->mark,
            "secret " + Quoted(secret.id) + " of target " + Quoted(t.name) +
                (file ? " has both 'file' and 'env'" : " has neither 'file' nor 'env'"),
            {"help: write 'file: /path/on/the/runner' (or '~/...') or 'env: VARIABLE'"});
      continue;
    }
    if (file) {
      std::optional<std::string> path = ExpectText(*file->value, "file", "path");
      if (!path) continue;
      const bool home = path->starts_with("~/");
      const std::string rest = home ? path->substr(2) : path->substr(path->empty() ? 0 : 1);
      if ((!home && !path->starts_with("/")) || rest.empty() ||
          !RelativePathProblem(rest).empty()) {
        Error(file->value->mark,
              "secret file " + Quoted(*path) + " of target " + Quoted(t.name) +
                  " is not an absolute path to a file",
              {"note: a secret is read on the runner, never from the repository: write an "
               "absolute path, or '~/' for the runner's home, without '.' or '..' components or "
               "glob characters"});
        continue;
      }
      secret.source = ImageSecret::Source::kFile;
      secret.name = *path;
    } else {
      std::optional<std::string> variable = ExpectText(*env->value, "env", "variable");
      if (!variable) continue;
      if (!IsValidEnvName(*variable)) {
        Error(env->value->mark, "invalid variable name " + Quoted(*variable),
              {"note: a name holds letters, digits and '_', and does not start with a digit"});
        continue;
      }
      secret.source = ImageSecret::Source::kEnv;
      secret.name = *variable;
    }
    image->secrets.push_back(std::move(secret));
  }
}

/// Build args: names as for environment variables, scalar values; "{image:DEP}" in a value
/// stands for the image of the dependency DEP, which must be in `deps`.
void Validator::ReadImageArgs(const YamlNode& node, const Target& t, ImageSpec* image) {
  const std::optional<Entries> entries = ExpectMapping(node, "args");
  if (!entries) return;
  for (const Entry& entry : *entries) {
    if (!entry.key->is_scalar() || !IsValidEnvName(entry.key->scalar())) {
      Error(entry.key->mark, "invalid build argument name " + Quoted(entry.key->scalar()),
            {"note: a name holds letters, digits and '_', and does not start with a digit"});
      continue;
    }
    std::optional<std::string> value = ExpectString(*entry.value, "args");
    if (!value) continue;
    for (std::size_t at = value->find(kImageArgPrefix); at != std::string::npos;
         at = value->find(kImageArgPrefix, at + 1)) {
      const std::size_t close = value->find('}', at);
      const std::string dep =
          close == std::string::npos
              ? ""
              : value->substr(at + kImageArgPrefix.size(), close - at - kImageArgPrefix.size());
      if (std::find(t.deps.begin(), t.deps.end(), dep) == t.deps.end()) {
        Error(entry.value->mark,
              "build argument " + Quoted(entry.key->scalar()) + " names " +
                  Quoted(close == std::string::npos ? value->substr(at) : "{image:" + dep + "}") +
                  ", which is not a dependency of " + Quoted(t.name),
              {"help: '{image:NAME}' stands for the image built by NAME; list NAME in 'deps'"});
      }
    }
    image->args[std::string(entry.key->scalar())] = *value;
  }
}

void Validator::ReadImageTags(const YamlNode& node, ImageSpec* image) {
  const std::optional<Items> items = ExpectList(node, "tags");
  if (!items) return;
  for (const YamlNodePtr& item : *items) {
    std::optional<std::string> tag = ExpectText(*item, "tags", "tag");
    if (!tag) continue;
    bool ok = true;
    for (std::size_t open = tag->find('{'); ok && open != std::string::npos;
         open = tag->find('{', open + 1)) {
      const std::size_t close = tag->find('}', open);
      const std::string field =
          close == std::string::npos ? tag->substr(open) : tag->substr(open + 1, close - open - 1);
      if (close == std::string::npos ||
          std::find(std::begin(kTagFields), std::end(kTagFields), field) == std::end(kTagFields)) {
        Error(item->mark,
              "unknown field " + Quoted("{" + field + (close == std::string::npos ? "" : "}")) +
                  " in tag " + Quoted(*tag),
              {"note: a tag may use {target}, {commit}, {short} (the commit's first 12 digits) "
               "and {digest} (the image's manifest digest, hex)"});
        ok = false;
      }
    }
    if (ok) image->tags.push_back(*tag);
  }
}

std::span<const std::string_view> TargetImageKeys() { return kImageKeys; }

}  // namespace fanout
