#include "base/go_list.h"

#include <nlohmann/json.hpp>

namespace fanout {
namespace {

using nlohmann::json;

bool ReadString(const json& object, const char* key, std::string* out) {
  auto it = object.find(key);
  if (it == object.end()) return true;
  if (!it->is_string()) return false;
  *out = it->get_ref<const std::string&>();
  return true;
}

bool ReadStrings(const json& object, const char* key, std::vector<std::string>* out) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return true;
  if (!it->is_array()) return false;
  for (const json& item : *it) {
    if (!item.is_string()) return false;
    out->push_back(item.get_ref<const std::string&>());
  }
  return true;
}

// Source files other than Go's own that a package's build reads (cmd/go's PackagePublic).
constexpr const char* kOtherFileLists[] = {
    "CgoFiles",
    "CFiles",
    "CXXFiles",
    "MFiles",
    "HFiles",
    "FFiles",
    "SFiles",
    "SwigFiles",
    "SwigCXXFiles",
    "SysoFiles",
    "IgnoredOtherFiles",
};

Expected<GoPackage> ReadPackage(const json& object) {
  GoPackage p;
  bool ok = object.is_object() && ReadString(object, "ImportPath", &p.import_path) &&
            ReadString(object, "Dir", &p.dir) && ReadStrings(object, "Imports", &p.imports) &&
            ReadStrings(object, "EmbedPatterns", &p.embed_patterns);
  for (const char* list : kOtherFileLists) ok = ok && ReadStrings(object, list, &p.other_files);
  if (!ok) return MakeError("a package's fields have unexpected types");
  if (auto it = object.find("Standard"); it != object.end()) p.standard = it->is_boolean() && *it;
  if (auto it = object.find("Module"); it != object.end() && it->is_object()) {
    if (!ReadString(*it, "Path", &p.module_path)) return MakeError("'Module.Path' is no string");
  }
  if (auto it = object.find("Error"); it != object.end() && it->is_object()) {
    if (!ReadString(*it, "Err", &p.error)) return MakeError("'Error.Err' is no string");
    if (p.error.empty()) p.error = "an error go did not describe";
  }
  return p;
}

}  // namespace

Expected<std::vector<GoPackage>> ParseGoList(std::string_view text) {
  std::vector<GoPackage> out;
  // Objects follow each other with only white space between: parse one, then go on from
  // where it ended.
  std::size_t at = 0;
  while (true) {
    at = text.find_first_not_of(" \t\r\n", at);
    if (at == std::string_view::npos) return out;
    std::size_t end = at;
    int depth = 0;
    bool in_string = false;
    for (; end < text.size(); ++end) {
      const char c = text[end];
      if (in_string) {
        if (c == '\\')
          ++end;
        else if (c == '"')
          in_string = false;
      } else if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) break;
      }
    }
    if (end >= text.size()) return MakeError("go list's output ends inside an object");
    json object = json::parse(text.substr(at, end + 1 - at), nullptr, /*allow_exceptions=*/false);
    if (object.is_discarded()) return MakeError("go list wrote something that is not JSON");
    Expected<GoPackage> p = ReadPackage(object);
    if (!p.ok()) return p.error();
    out.push_back(std::move(*p));
    at = end + 1;
  }
}

}  // namespace fanout
