#include "generator/bake_generator.h"

#include <map>
#include <set>
#include <vector>

#include "base/json_writer.h"

namespace fanout {

namespace {

constexpr std::string_view kImageArgPrefix = "{image:";
constexpr std::string_view kDepPrefix = "fanout.invalid/";

/// `s` with bake's template openings escaped, so bake reads it as written.
std::string EscapeTemplate(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((s[i] == '$' || s[i] == '%') && i + 1 < s.size() && s[i + 1] == '{') out += s[i];
    out += s[i];
  }
  return out;
}

/// The Dockerfile's path as bake wants it: relative to the context.
std::string DockerfileInContext(const ImageSpec& image) {
  const std::string path = image.DockerfilePath();
  if (image.context == ".") return path;
  if (path.rfind(image.context + "/", 0) == 0) return path.substr(image.context.size() + 1);
  std::string up;
  for (std::size_t at = 0; at != std::string::npos; at = image.context.find('/', at + 1)) {
    up += "../";
  }
  return up + path;
}

/// A build argument's value with each {image:DEP} replaced by DEP's context name; the deps
/// named go to `*deps`.
std::string ResolveArg(const std::string& value, std::set<std::string>* deps) {
  std::string out;
  std::size_t from = 0;
  for (std::size_t at = value.find(kImageArgPrefix); at != std::string::npos;
       at = value.find(kImageArgPrefix, from)) {
    const std::size_t close = value.find('}', at);
    if (close == std::string::npos) break;  // validation refuses it
    const std::string dep =
        value.substr(at + kImageArgPrefix.size(), close - at - kImageArgPrefix.size());
    out += EscapeTemplate(std::string_view(value).substr(from, at - from));
    out += std::string(kDepPrefix) + dep;
    deps->insert(dep);
    from = close + 1;
  }
  return out + EscapeTemplate(std::string_view(value).substr(from));
}

/// A tag template in bake's terms; nullopt when bake cannot know it before the build. Each
/// '{' opens a field (validation checks them); '$' and '%' cannot occur in a valid tag.
std::optional<std::string> ResolveTag(std::string_view tag, const std::string& target) {
  std::string out;
  for (std::size_t i = 0; i < tag.size(); ++i) {
    if (tag[i] != '{') {
      out += tag[i];
      continue;
    }
    const std::size_t close = tag.find('}', i);
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view field = tag.substr(i + 1, close - i - 1);
    if (field == "target") {
      out += target;
    } else if (field == "commit") {
      out += "${FANOUT_COMMIT}";
    } else if (field == "short") {
      out += "${FANOUT_SHORT}";
    } else {
      return std::nullopt;  // {digest}
    }
    i = close;
  }
  return out;
}

void Variable(JsonWriter& w, std::string_view name, const std::string& value) {
  w.Key(name);
  w.BeginObject();
  w.Key("default");
  w.String(value);
  w.EndObject();
}

}  // namespace

Expected<std::string> GenerateBake(const Plan& plan, const std::optional<std::string>& commit) {
  std::map<std::string, const Target*> images;
  for (const PlanTarget& t : plan.targets) {
    if (t.def.image) images[t.def.name] = &t.def;
  }
  if (images.empty()) {
    return MakeError(
        "the plan has no image targets, so there is nothing to write for bake; give a target "
        "'image:' (docs/format.md), or use --format ninja");
  }
  std::string out;
  JsonWriter w(&out, 2);
  w.BeginObject();
  w.Key("variable");
  w.BeginObject();
  Variable(w, "FANOUT_COMMIT", commit.value_or(""));
  Variable(w, "FANOUT_SHORT", commit ? commit->substr(0, 12) : "");
  w.EndObject();

  w.Key("group");
  w.BeginObject();
  w.Key("default");
  w.BeginObject();
  w.Key("targets");
  w.BeginArray();
  for (const auto& [name, t] : images) w.String(name);
  w.EndArray();
  w.EndObject();
  w.EndObject();

  w.Key("target");
  w.BeginObject();
  for (const auto& [name, t] : images) {
    const ImageSpec& image = *t->image;
    w.Key(name);
    w.BeginObject();
    w.Key("context");
    w.String(EscapeTemplate(image.context));
    w.Key("dockerfile");
    w.String(EscapeTemplate(DockerfileInContext(image)));
    std::set<std::string> deps;
    if (!image.args.empty()) {
      w.Key("args");
      w.BeginObject();
      for (const auto& [key, value] : image.args) {
        w.Key(key);
        w.String(ResolveArg(value, &deps));
      }
      w.EndObject();
    }
    if (!deps.empty()) {
      w.Key("contexts");
      w.BeginObject();
      for (const std::string& dep : deps) {
        w.Key(std::string(kDepPrefix) + dep);
        w.String("target:" + dep);
      }
      w.EndObject();
    }
    if (!image.target.empty()) {
      w.Key("target");
      w.String(EscapeTemplate(image.target));
    }
    if (!image.platform.empty()) {
      w.Key("platforms");
      w.BeginArray();
      w.String(EscapeTemplate(image.platform));
      w.EndArray();
    }
    std::vector<std::string> tags;
    for (const std::string& tag : image.tags) {
      if (auto resolved = ResolveTag(tag, name)) tags.push_back(std::move(*resolved));
    }
    if (!tags.empty()) {
      w.Key("tags");
      w.StringArray(tags);
    }
    if (!image.cache_from.empty()) {
      std::vector<std::string> sources;
      for (const std::string& s : image.cache_from) sources.push_back(EscapeTemplate(s));
      w.Key("cache-from");
      w.StringArray(sources);
    }
    if (!image.cache_to.empty()) {
      std::vector<std::string> exports;
      for (const std::string& s : image.cache_to) exports.push_back(EscapeTemplate(s));
      w.Key("cache-to");
      w.StringArray(exports);
    }
    if (!image.secrets.empty()) {
      // Bake reads the sources itself, as the invoking user: fanout's allow-lists do not apply.
      std::vector<std::string> secrets;
      for (const ImageSecret& x : image.secrets) {
        secrets.push_back(EscapeTemplate(
            "id=" + x.id + (x.source == ImageSecret::Source::kEnv ? ",env=" : ",src=") + x.name));
      }
      w.Key("secret");
      w.StringArray(secrets);
    }
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
  out += '\n';
  return out;
}

}  // namespace fanout
