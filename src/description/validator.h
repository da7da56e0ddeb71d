// The validator of docs/format.md's version 1 schema, shared by its two files:
// description/validate.cc (the top level, pools, patterns, the target list) and
// description/validate_target.cc (one target's body). Not included elsewhere; the interface is
// description/validate.h.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "description/description.h"
#include "description/schema_reader.h"

namespace fanout {

/// What is wrong with `path` as a relative path inside the repository (absolute, a glob
/// character, an empty, '.' or '..' component); "" when nothing ("." alone is the root).
std::string RelativePathProblem(std::string_view path);

/// Where a pattern comes from decides what it is relative to.
enum class PatternKind { kInput, kArtifact };

/// Walks the node tree, filling a Description and reporting every problem.
class Validator : public SchemaReader {
 public:
  using SchemaReader::SchemaReader;

  std::optional<Description> Run(const YamlNode* root);

  /// The inputs of an image target that lists none: its context and its Dockerfile.
  static std::vector<std::string> DefaultImageInputs(const ImageSpec& image);

 private:
  bool CheckVersion(const YamlNode& root);
  bool CheckName(const YamlNode& key, std::string_view kind);
  void ReadPools(const YamlNode& node, Description* desc);
  void ReadPostSubmit(const Entry& entry, PostSubmit* post);
  void ReadBuildDir(const YamlNode& node, Description* desc);
  /// Reads a list of glob patterns into `out` (as written), checking each one; `marks`, when
  /// given, receives where each one is written.
  bool ReadPatterns(const YamlNode& node, std::string_view what, PatternKind kind,
                    std::vector<std::string>* out, std::vector<SourceMark>* marks = nullptr);
  void CheckPattern(const YamlNode& node, std::string_view what, PatternKind kind);
  void ReadTargets(const YamlNode& node, Description* desc);
  void CheckTargetName(const YamlNode& key);

  // One target's body: description/validate_target.cc.
  Target ReadTarget(const YamlNode& key, const YamlNode& body);
  void ReadDeps(const YamlNode& node, Target* target);
  void ReadPool(const YamlNode& node, Target* target);
  void ReadEnv(const YamlNode& node, Target* target);
  void ReadPassEnv(const YamlNode& node, Target* target);
  void ReadSockets(const YamlNode& node, Target* target);
  void CheckSocketPath(const YamlNode& node, const std::string& path);
  void ReadTimeout(const YamlNode& node, Target* target);
  void ReadRetries(const YamlNode& node, Target* target);
  void ReadLimits(const YamlNode& node, Limits* limits);

  // A target's `inputs_from:`: description/validate_inputs_from.cc. Adds its marker to the
  // target's inputs; whether it was read.
  bool ReadInputsFrom(const YamlNode& node, Target* target);
  bool ReadInputsFromPython(const YamlNode& node, const Entry& python, Target* target);
  bool ReadInputsFromGo(const YamlNode& node, const Entry& go, Target* target);

  // An image target's `image:`: description/validate_image.cc.
  void ReadImage(const YamlNode& node, Target* target);
  /// A relative path under `section` ("image", "inputs_from"), or an error naming it.
  std::optional<std::string> ReadRelativePath(const YamlNode& node, std::string_view what,
                                              std::string_view section = "image");
  void ReadImageArgs(const YamlNode& node, const Target& target, ImageSpec* image);
  void ReadImageTags(const YamlNode& node, ImageSpec* image);
  void ReadImageSecrets(const Entry& entry, const Target& target, ImageSpec* image);
  void ReadCacheList(const Entry& entry, std::string_view key, const Target& target,
                     std::vector<std::string>* out, ImageEngine engine);

  std::vector<std::string> declared_pools_;
  std::vector<std::string> target_names_;  // sorted
};

}  // namespace fanout
