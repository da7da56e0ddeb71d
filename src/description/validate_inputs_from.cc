// A target's `inputs_from:` under version 1 of docs/format.md, for the Validator of
// description/validator.h: inputs derived from what the build itself reads. The derivation
// happens where the tree is read (base/dockerfile_sources.h through PathFilter); here the
// target gets the marker that stands for it.
#include <string>

#include "base/dockerfile_sources.h"
#include "description/validator.h"
#include "description/values.h"

namespace fanout {
namespace {

constexpr std::string_view kInputsFromKeys[] = {"dockerfile", "context"};

}  // namespace

bool Validator::ReadInputsFrom(const YamlNode& node, Target* t) {
  const std::optional<Entries> entries = ExpectMapping(node, "inputs_from");
  if (!entries) return false;
  CheckKeys(*entries, kInputsFromKeys, " in 'inputs_from' of target ", t->name);
  const Entry* dockerfile_entry = node.Find("dockerfile");
  if (!dockerfile_entry) {
    Error(node.mark, "'inputs_from' of target " + Quoted(t->name) + " has no 'dockerfile'",
          {"help: name the Dockerfile whose COPY and ADD sources are the target's inputs, "
           "e.g. 'inputs_from: {dockerfile: app/Dockerfile}'"});
    return false;
  }
  std::optional<std::string> dockerfile =
      ReadRelativePath(*dockerfile_entry->value, "dockerfile", "inputs_from");
  if (!dockerfile) return false;
  if (*dockerfile == ".") {
    Error(dockerfile_entry->value->mark,
          "'dockerfile' in 'inputs_from' of target " + Quoted(t->name) + " names the root",
          {"help: name the Dockerfile itself, e.g. 'Dockerfile'"});
    return false;
  }
  std::string context;
  if (const Entry* e = node.Find("context")) {
    std::optional<std::string> c = ReadRelativePath(*e->value, "context", "inputs_from");
    if (!c) return false;
    context = *c;
  } else if (t->image && t->image->DockerfilePath() == *dockerfile) {
    context = t->image->context;  // the context the engine is given
  } else {
    // `docker build DIR` with DIR/Dockerfile: the Dockerfile's own directory.
    const std::size_t slash = dockerfile->rfind('/');
    context = slash == std::string::npos ? "." : dockerfile->substr(0, slash);
  }
  t->inputs.push_back(DockerfileMarker(context, *dockerfile));
  return true;
}

}  // namespace fanout
