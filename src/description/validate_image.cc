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
                                           "platform", "tags",       "cache_from", "engine"};
constexpr std::string_view kEngineValues[] = {"docker", "buildah"};
constexpr std::string_view kTagFields[] = {"target", "commit", "short", "digest"};
constexpr std::string_view kImageArgPrefix = "{image:";

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

std::optional<std::string> Validator::ReadRelativePath(const YamlNode& node,
                                                       std::string_view what) {
  std::optional<std::string> path = ExpectText(node, what);
  if (!path) return std::nullopt;
  const std::string problem = RelativePathProblem(*path);
  if (problem.empty()) return path;
  Error(node.mark, "path " + Quoted(*path) + " for " + Quoted(what) + " " + problem,
        {"note: paths in 'image' are relative to the repository root, written without '.' or "
         "'..' components ('.' alone is the root)"});
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
    if (image.engine == ImageEngine::kBuildah) {
      // BuildKit's "type=registry,ref=..." means nothing to buildah, whose --cache-from names
      // a repository it pulls layers from: passing it on would fail, or pull, mid-build.
      Error(e->key->mark,
            "'cache_from' of target " + Quoted(t->name) +
                " is BuildKit's; the buildah engine does not take it",
            {"note: the buildah engine keeps its layers in the build directory's own store "
             "(docs/images.md)",
             "help: remove 'cache_from', or build with 'engine: docker'"});
    }
    if (auto items = ExpectList(*e->value, "cache_from")) {
      for (const YamlNodePtr& item : *items) {
        if (auto source = ExpectText(*item, "cache_from", "source")) {
          image.cache_from.push_back(*source);
        }
      }
    }
  }
  t->image = std::move(image);
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
