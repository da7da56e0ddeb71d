#include "image/oci_layout.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/file_util.h"
#include "base/sha256.h"

namespace fanout::image {
namespace {

using nlohmann::json;

bool IsHex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

/// The blob `digest` of the layout at `dir`, checked against the digest.
Expected<std::string> ReadBlob(const std::string& dir, const std::string& digest) {
  const std::string hex = DigestHex(digest);
  if (hex.empty()) {
    return MakeError(fmt::format("{}: '{}' is not a sha256 digest", dir, digest));
  }
  const std::string path = dir + "/blobs/sha256/" + hex;
  auto text = ReadFile(path);
  if (!text.ok()) return MakeError(fmt::format("{}: blob missing: {}", path, text.error().message));
  if (Sha256Hex(*text) != hex) {
    return MakeError(fmt::format("{}: content does not match its digest", path));
  }
  return text;
}

/// `text` as a JSON object, or an error naming `path`.
Expected<json> ParseObject(const std::string& text, const std::string& path) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return MakeError(fmt::format("{}: not a JSON object", path));
  }
  return j;
}

/// The string member `key` of `j`, or "".
std::string StringAt(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

std::uint64_t SizeAt(const json& j) {
  auto it = j.find("size");
  return it != j.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

}  // namespace

std::string DigestHex(const std::string& digest) {
  constexpr std::string_view kPrefix = "sha256:";
  if (digest.rfind(kPrefix, 0) != 0) return "";
  std::string hex = digest.substr(kPrefix.size());
  return IsHex64(hex) ? hex : "";
}

Expected<OciImage> ReadOciLayout(const std::string& dir) {
  const std::string index_path = dir + "/index.json";
  auto index_text = ReadFile(index_path);
  if (!index_text.ok()) {
    return MakeError(
        fmt::format("{}: no OCI image layout here ({})", dir, index_text.error().message));
  }
  auto index = ParseObject(*index_text, index_path);
  if (!index.ok()) return index.error();
  auto manifests = index->find("manifests");
  if (manifests == index->end() || !manifests->is_array() || manifests->size() != 1 ||
      !(*manifests)[0].is_object()) {
    return MakeError(fmt::format("{}: expected exactly one image in 'manifests'", index_path));
  }
  OciImage image;
  image.manifest_digest = StringAt((*manifests)[0], "digest");
  auto manifest_text = ReadBlob(dir, image.manifest_digest);
  if (!manifest_text.ok()) return manifest_text.error();
  const std::string manifest_path = dir + "/blobs/sha256/" + DigestHex(image.manifest_digest);
  auto manifest = ParseObject(*manifest_text, manifest_path);
  if (!manifest.ok()) return manifest.error();
  auto config = manifest->find("config");
  auto layers = manifest->find("layers");
  if (config == manifest->end() || !config->is_object() || layers == manifest->end() ||
      !layers->is_array()) {
    return MakeError(
        fmt::format("{}: not an image manifest (no 'config' or 'layers')", manifest_path));
  }
  image.config_digest = StringAt(*config, "digest");
  auto config_text = ReadBlob(dir, image.config_digest);
  if (!config_text.ok()) return config_text.error();
  image.size = manifest_text->size() + config_text->size();
  for (const json& layer : *layers) image.size += SizeAt(layer);
  auto config_json =
      ParseObject(*config_text, dir + "/blobs/sha256/" + DigestHex(image.config_digest));
  if (!config_json.ok()) return config_json.error();
  auto rootfs = config_json->find("rootfs");
  if (rootfs != config_json->end() && rootfs->is_object()) {
    auto ids = rootfs->find("diff_ids");
    if (ids != rootfs->end() && ids->is_array()) {
      for (const json& id : *ids) {
        if (id.is_string()) image.diff_ids.push_back(id.get<std::string>());
      }
    }
  }
  return image;
}

}  // namespace fanout::image
