#include "plan/target_fields.h"

#include <array>

#include "base/file_util.h"
#include "base/sha256.h"

namespace fanout {
namespace {

using Field = JsonField<PlanTarget>;

void WriteUInt(std::uint64_t v, JsonWriter& w) { w.UInt(v); }

/// A target's limits, a nested object in plan.json.
const JsonField<Limits> kLimitFields[] = {
    {"memory", true, true, [](const Limits& l, JsonWriter& w) { WriteUInt(l.memory_bytes, w); },
     [](od::value v, Limits& l, FieldError&) { return ReadUInt64(v, l.memory_bytes); }},
    {"nofile", true, true, [](const Limits& l, JsonWriter& w) { WriteUInt(l.nofile, w); },
     [](od::value v, Limits& l, FieldError&) { return ReadUInt64(v, l.nofile); }},
    {"pids", true, true, [](const Limits& l, JsonWriter& w) { WriteUInt(l.pids, w); },
     [](od::value v, Limits& l, FieldError&) { return ReadUInt64(v, l.pids); }},
    {"tmp", true, true, [](const Limits& l, JsonWriter& w) { WriteUInt(l.tmp_bytes, w); },
     [](od::value v, Limits& l, FieldError&) { return ReadUInt64(v, l.tmp_bytes); }},
};

simdjson::error_code ReadCheckout(od::value v, Checkout& out) {
  std::string_view s;
  if (simdjson::error_code e = v.get_string().get(s)) return e;
  if (s == "full") {
    out = Checkout::kFull;
  } else if (s == "inputs") {
    out = Checkout::kInputs;
  } else {
    return simdjson::INCORRECT_TYPE;
  }
  return simdjson::SUCCESS;
}

simdjson::error_code ReadImageEngine(od::value v, ImageEngine& out) {
  std::string_view s;
  if (simdjson::error_code e = v.get_string().get(s)) return e;
  if (s == "docker") {
    out = ImageEngine::kDocker;
  } else if (s == "buildah") {
    out = ImageEngine::kBuildah;
  } else {
    return simdjson::INCORRECT_TYPE;
  }
  return simdjson::SUCCESS;
}

simdjson::error_code ReadEnv(od::value v, std::map<std::string, std::string>& env) {
  od::object object;
  if (simdjson::error_code e = v.get_object().get(object)) return e;
  env.clear();
  for (auto member : object) {
    od::field field;
    std::string_view key;
    std::string value;
    if (simdjson::error_code e = std::move(member).get(field)) return e;
    if (simdjson::error_code e = field.unescaped_key().get(key)) return e;
    if (simdjson::error_code e = ReadString(field.value(), value)) return e;
    env.emplace(std::string(key), std::move(value));
  }
  return simdjson::SUCCESS;
}

simdjson::error_code ReadLimits(od::value v, Limits& limits, FieldError& error) {
  od::object object;
  if (simdjson::error_code e = v.get_object().get(object)) return e;
  return ReadFields<Limits>(kLimitFields, object, limits, error) ? simdjson::SUCCESS
                                                                 : simdjson::INCORRECT_TYPE;
}

/// A secret's source as the member named after its kind ("env" or "file"): the name, or null
/// when the secret has the other kind.
template <ImageSecret::Source kSource>
void WriteSecretSource(const ImageSecret& x, JsonWriter& w) {
  if (x.source == kSource) {
    w.String(x.name);
  } else {
    w.Null();
  }
}

template <ImageSecret::Source kSource>
simdjson::error_code ReadSecretSource(od::value v, ImageSecret& x, FieldError&) {
  bool null = false;
  if (simdjson::error_code e = v.is_null().get(null)) return e;
  if (null) return simdjson::SUCCESS;
  x.source = kSource;
  return ReadString(v, x.name);
}

/// One of `image.secrets`: its id and where the runner reads it, never its value.
const JsonField<ImageSecret> kSecretFields[] = {
    {"env", false, true, WriteSecretSource<ImageSecret::Source::kEnv>,
     ReadSecretSource<ImageSecret::Source::kEnv>},
    {"file", false, true, WriteSecretSource<ImageSecret::Source::kFile>,
     ReadSecretSource<ImageSecret::Source::kFile>},
    {"id", true, true, [](const ImageSecret& x, JsonWriter& w) { w.String(x.id); },
     [](od::value v, ImageSecret& x, FieldError&) { return ReadString(v, x.id); }},
};

simdjson::error_code ReadSecrets(od::value v, std::vector<ImageSecret>& out, FieldError& error) {
  od::array array;
  if (simdjson::error_code e = v.get_array().get(array)) return e;
  out.clear();
  for (auto element : array) {
    od::object object;
    if (simdjson::error_code e = element.get_object().get(object)) return e;
    ImageSecret secret;
    if (!ReadFields<ImageSecret>(kSecretFields, object, secret, error)) {
      return simdjson::INCORRECT_TYPE;
    }
    out.push_back(std::move(secret));
  }
  return simdjson::SUCCESS;
}

/// An image target's `image`, a nested object in plan.json (null for other targets).
const JsonField<ImageSpec> kImageFields[] = {
    {"args", true, true,
     [](const ImageSpec& i, JsonWriter& w) {
       w.BeginObject();
       for (const auto& [k, v] : i.args) {
         w.Key(k);
         w.String(v);
       }
       w.EndObject();
     },
     [](od::value v, ImageSpec& i, FieldError&) { return ReadEnv(v, i.args); }},
    {"cache_from", true, true,
     [](const ImageSpec& i, JsonWriter& w) { w.StringArray(i.cache_from); },
     [](od::value v, ImageSpec& i, FieldError&) { return ReadStringList(v, i.cache_from); }},
    {"cache_to", true, true, [](const ImageSpec& i, JsonWriter& w) { w.StringArray(i.cache_to); },
     [](od::value v, ImageSpec& i, FieldError&) { return ReadStringList(v, i.cache_to); }},
    {"context", true, true, [](const ImageSpec& i, JsonWriter& w) { w.String(i.context); },
     [](od::value v, ImageSpec& i, FieldError&) { return ReadString(v, i.context); }},
    {"dockerfile", true, true, [](const ImageSpec& i, JsonWriter& w) { w.String(i.dockerfile); },
     [](od::value v, ImageSpec& i, FieldError&) { return ReadString(v, i.dockerfile); }},
    {"engine", true, true,
     [](const ImageSpec& i, JsonWriter& w) { w.String(ImageEngineName(i.engine)); },
     [](od::value v, ImageSpec& i, FieldError&) { return ReadImageEngine(v, i.engine); }},
    {"platform", true, true, [](const ImageSpec& i, JsonWriter& w) { w.String(i.platform); },
     [](od::value v, ImageSpec& i, FieldError&) { return ReadString(v, i.platform); }},
    {"secrets", true, true,
     [](const ImageSpec& i, JsonWriter& w) {
       w.BeginArray();
       for (const ImageSecret& x : i.secrets) WriteFields<ImageSecret>(kSecretFields, x, w);
       w.EndArray();
     },
     [](od::value v, ImageSpec& i, FieldError& error) { return ReadSecrets(v, i.secrets, error); }},
    {"tags", true, true, [](const ImageSpec& i, JsonWriter& w) { w.StringArray(i.tags); },
     [](od::value v, ImageSpec& i, FieldError&) { return ReadStringList(v, i.tags); }},
    {"target", true, true, [](const ImageSpec& i, JsonWriter& w) { w.String(i.target); },
     [](od::value v, ImageSpec& i, FieldError&) { return ReadString(v, i.target); }},
};

simdjson::error_code ReadImage(od::value v, std::optional<ImageSpec>& image, FieldError& error) {
  bool null = false;
  if (simdjson::error_code e = v.is_null().get(null)) return e;
  if (null) {
    image.reset();
    return simdjson::SUCCESS;
  }
  od::object object;
  if (simdjson::error_code e = v.get_object().get(object)) return e;
  ImageSpec spec;
  if (!ReadFields<ImageSpec>(kImageFields, object, spec, error)) return simdjson::INCORRECT_TYPE;
  image = std::move(spec);
  return simdjson::SUCCESS;
}

simdjson::error_code ReadTimeout(od::value v, std::optional<std::int64_t>& timeout) {
  bool null = false;
  if (simdjson::error_code e = v.is_null().get(null)) return e;
  if (null) {
    timeout.reset();
    return simdjson::SUCCESS;
  }
  std::int64_t seconds = 0;
  if (simdjson::error_code e = v.get_int64().get(seconds)) return e;
  timeout = seconds;
  return simdjson::SUCCESS;
}

// Sorted by key, as plan.json has always been written. `defines`: part of the definition
// digest. Left out of it, deliberately: where the target is written in the description (line,
// column), and what the planner derives from the rest (tier, the digest itself).
const Field kTargetFields[] = {
    {"artifacts", true, true,
     [](const PlanTarget& t, JsonWriter& w) { w.StringArray(t.def.artifacts); },
     [](od::value v, PlanTarget& t, FieldError&) { return ReadStringList(v, t.def.artifacts); }},
    // Whether results may be reused changes no result: not part of the definition.
    {"cache", false, false, [](const PlanTarget& t, JsonWriter& w) { w.Bool(t.def.cache); },
     [](od::value v, PlanTarget& t, FieldError&) { return ReadBool(v, t.def.cache); }},
    {"checkout", true, true,
     [](const PlanTarget& t, JsonWriter& w) {
       w.String(t.def.checkout == Checkout::kFull ? "full" : "inputs");
     },
     [](od::value v, PlanTarget& t, FieldError&) { return ReadCheckout(v, t.def.checkout); }},
    {"column", false, false, [](const PlanTarget& t, JsonWriter& w) { w.Int(t.def.mark.column); },
     [](od::value v, PlanTarget& t, FieldError&) { return ReadInt(v, t.def.mark.column); }},
    {"command", true, true, [](const PlanTarget& t, JsonWriter& w) { w.String(t.def.command); },
     [](od::value v, PlanTarget& t, FieldError&) { return ReadString(v, t.def.command); }},
    {"definition_digest", true, false,
     [](const PlanTarget& t, JsonWriter& w) { w.String(t.definition_digest); },
     [](od::value v, PlanTarget& t, FieldError&) { return ReadString(v, t.definition_digest); }},
    {"deps", true, true, [](const PlanTarget& t, JsonWriter& w) { w.StringArray(t.def.deps); },
     [](od::value v, PlanTarget& t, FieldError&) { return ReadStringList(v, t.def.deps); }},
    {"env", true, true,
     [](const PlanTarget& t, JsonWriter& w) {
       w.BeginObject();
       for (const auto& [k, v] : t.def.env) {
         w.Key(k);
         w.String(v);
       }
       w.EndObject();
     },
     [](od::value v, PlanTarget& t, FieldError&) { return ReadEnv(v, t.def.env); }},
    {"image", false, true,
     [](const PlanTarget& t, JsonWriter& w) {
       if (t.def.image) {
         WriteFields<ImageSpec>(kImageFields, *t.def.image, w);
       } else {
         w.Null();
       }
     },
     [](od::value v, PlanTarget& t, FieldError& error) {
       return ReadImage(v, t.def.image, error);
     }},
    {"inputs", true, true, [](const PlanTarget& t, JsonWriter& w) { w.StringArray(t.def.inputs); },
     [](od::value v, PlanTarget& t, FieldError&) { return ReadStringList(v, t.def.inputs); }},
    {"limits", true, true,
     [](const PlanTarget& t, JsonWriter& w) { WriteFields<Limits>(kLimitFields, t.def.limits, w); },
     [](od::value v, PlanTarget& t, FieldError& error) {
       return ReadLimits(v, t.def.limits, error);
     }},
    {"line", false, false, [](const PlanTarget& t, JsonWriter& w) { w.Int(t.def.mark.line); },
     [](od::value v, PlanTarget& t, FieldError&) { return ReadInt(v, t.def.mark.line); }},
    // How much of the output the log keeps changes no result: not part of the definition.
    {"log_limit", false, false,
     [](const PlanTarget& t, JsonWriter& w) { WriteUInt(t.def.log_limit, w); },
     [](od::value v, PlanTarget& t, FieldError&) { return ReadUInt64(v, t.def.log_limit); }},
    {"name", true, true, [](const PlanTarget& t, JsonWriter& w) { w.String(t.def.name); },
     [](od::value v, PlanTarget& t, FieldError&) { return ReadString(v, t.def.name); }},
    {"network", true, true, [](const PlanTarget& t, JsonWriter& w) { w.Bool(t.def.network); },
     [](od::value v, PlanTarget& t, FieldError&) { return ReadBool(v, t.def.network); }},
    {"pass_env", true, true,
     [](const PlanTarget& t, JsonWriter& w) { w.StringArray(t.def.pass_env); },
     [](od::value v, PlanTarget& t, FieldError&) { return ReadStringList(v, t.def.pass_env); }},
    {"pool", true, true, [](const PlanTarget& t, JsonWriter& w) { w.String(t.def.pool); },
     [](od::value v, PlanTarget& t, FieldError&) { return ReadString(v, t.def.pool); }},
    {"retries", true, true, [](const PlanTarget& t, JsonWriter& w) { w.Int(t.def.retries); },
     [](od::value v, PlanTarget& t, FieldError&) { return ReadInt(v, t.def.retries); }},
    {"sockets", true, true,
     [](const PlanTarget& t, JsonWriter& w) { w.StringArray(t.def.sockets); },
     [](od::value v, PlanTarget& t, FieldError&) { return ReadStringList(v, t.def.sockets); }},
    {"tier", true, false, [](const PlanTarget& t, JsonWriter& w) { w.Int(t.tier); },
     [](od::value v, PlanTarget& t, FieldError&) { return ReadInt(v, t.tier); }},
    {"timeout_seconds", true, true,
     [](const PlanTarget& t, JsonWriter& w) {
       if (t.def.timeout_seconds) {
         w.Int(*t.def.timeout_seconds);
       } else {
         w.Null();
       }
     },
     [](od::value v, PlanTarget& t, FieldError&) { return ReadTimeout(v, t.def.timeout_seconds); }},
};

}  // namespace

std::span<const JsonField<PlanTarget>> TargetFields() { return kTargetFields; }
std::span<const JsonField<Limits>> LimitFields() { return kLimitFields; }
std::span<const JsonField<ImageSpec>> ImageFields() { return kImageFields; }

std::string_view DescriptionKey(std::string_view json_key) {
  if (json_key == "timeout_seconds") return "timeout";
  if (json_key == "name" || json_key == "line" || json_key == "column" || json_key == "tier" ||
      json_key == "definition_digest") {
    return "";
  }
  return json_key;
}

std::span<const std::string_view> MoreDescriptionKeys(std::string_view json_key) {
  static constexpr std::string_view kInputsFrom[] = {"inputs_from"};
  if (json_key == "inputs") return kInputsFrom;
  return {};
}

void WriteTargetJson(const PlanTarget& target, JsonWriter& w) {
  WriteFields<PlanTarget>(kTargetFields, target, w);
}

bool ReadTargetJson(od::object object, PlanTarget& target, FieldError& error) {
  return ReadFields<PlanTarget>(kTargetFields, object, target, error);
}

std::string DefinitionDigest(const Target& target, const std::vector<std::string>& global_inputs) {
  PlanTarget planned;
  planned.def = target;
  return DefinitionDigest(planned, global_inputs);
}

std::string DefinitionDigest(const PlanTarget& planned,
                             const std::vector<std::string>& global_inputs) {
  // Each defining field as its key and its plan.json text, length-prefixed, in the table's
  // order: the digest covers exactly what the table writes, so a field cannot be added to
  // plan.json without either changing the digest or being marked as not defining.
  Sha256 h;
  h.UpdateField("fanout-definition-v2");
  std::string text;
  for (const Field& f : kTargetFields) {
    if (!f.defines) continue;
    text.clear();
    JsonWriter w(&text);
    f.write(planned, w);
    h.UpdateField(f.key);
    h.UpdateField(text);
  }
  h.UpdateField("global_inputs");
  h.UpdateField(std::to_string(global_inputs.size()));
  for (const std::string& s : global_inputs) h.UpdateField(s);
  return h.HexDigest();
}

}  // namespace fanout
