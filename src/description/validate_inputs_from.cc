// A target's `inputs_from:` under version 1 of docs/format.md, for the Validator of
// description/validator.h: inputs derived from what the build itself reads. The derivation
// happens where the tree is read (base/dockerfile_sources.h and base/python_imports.h,
// through PathFilter); here the target gets the marker that stands for it.
#include <string>

#include "base/dockerfile_sources.h"
#include "base/python_imports.h"
#include "description/validator.h"
#include "description/values.h"

namespace fanout {
namespace {

constexpr std::string_view kInputsFromKeys[] = {"dockerfile", "context", "python", "path"};

}  // namespace

bool Validator::ReadInputsFrom(const YamlNode& node, Target* t) {
  const std::optional<Entries> entries = ExpectMapping(node, "inputs_from");
  if (!entries) return false;
  CheckKeys(*entries, kInputsFromKeys, " in 'inputs_from' of target ", t->name);
  const Entry* dockerfile_entry = node.Find("dockerfile");
  const Entry* python_entry = node.Find("python");
  if (dockerfile_entry && python_entry) {
    Error(python_entry->key->mark,
          "'inputs_from' of target " + Quoted(t->name) + " has both 'dockerfile' and 'python'",
          {"help: derive from one of them here, and list what the other reads in 'inputs'"});
    return false;
  }
  if (python_entry) return ReadInputsFromPython(node, *python_entry, t);
  if (const Entry* e = node.Find("path")) {
    Error(e->key->mark,
          "'path' in 'inputs_from' of target " + Quoted(t->name) + " is for 'python' only",
          {"help: 'context' is the Dockerfile's build context"});
    return false;
  }
  if (!dockerfile_entry) {
    Error(node.mark,
          "'inputs_from' of target " + Quoted(t->name) + " has neither 'dockerfile' nor 'python'",
          {"help: name the Dockerfile whose COPY and ADD sources are the target's inputs, "
           "e.g. 'inputs_from: {dockerfile: app/Dockerfile}', or the Python program whose "
           "imports are, e.g. 'inputs_from: {python: app/main.py}'"});
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

bool Validator::ReadInputsFromPython(const YamlNode& node, const Entry& python, Target* t) {
  if (const Entry* e = node.Find("context")) {
    Error(e->key->mark,
          "'context' in 'inputs_from' of target " + Quoted(t->name) + " is for 'dockerfile' only",
          {"help: 'path' names more directories on the Python program's import path"});
    return false;
  }
  std::optional<std::string> entry = ReadRelativePath(*python.value, "python", "inputs_from");
  if (!entry) return false;
  if (*entry == ".") {
    Error(python.value->mark,
          "'python' in 'inputs_from' of target " + Quoted(t->name) + " names the root",
          {"help: name the program's script (app/main.py) or its package directory (app), "
           "as 'python' or 'python -m' would run it"});
    return false;
  }
  std::vector<std::string> roots;
  if (const Entry* e = node.Find("path")) {
    const std::optional<Items> items = ExpectList(*e->value, "path");
    if (!items) return false;
    for (const YamlNodePtr& item : *items) {
      std::optional<std::string> dir = ReadRelativePath(*item, "path", "inputs_from");
      if (!dir) return false;
      roots.push_back(std::move(*dir));
    }
  }
  t->inputs.push_back(PythonMarker(*entry, roots));
  return true;
}

}  // namespace fanout
