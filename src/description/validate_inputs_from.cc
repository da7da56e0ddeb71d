// A target's `inputs_from:` under version 1 of docs/format.md, for the Validator of
// description/validator.h: inputs derived from what the build itself reads. The derivation
// happens where the tree is read (base/dockerfile_sources.h and base/python_imports.h,
// through PathFilter); here the target gets the marker that stands for it.
#include <string>

#include <fmt/format.h>

#include "base/dockerfile_sources.h"
#include "base/go_imports.h"
#include "base/python_imports.h"
#include "description/validator.h"
#include "description/values.h"

namespace fanout {
namespace {

constexpr std::string_view kInputsFromKeys[] = {"dockerfile", "context", "python",
                                                "path",       "go",      "tags"};

}  // namespace

bool Validator::ReadInputsFrom(const YamlNode& node, Target* t) {
  const std::optional<Entries> entries = ExpectMapping(node, "inputs_from");
  if (!entries) return false;
  CheckKeys(*entries, kInputsFromKeys, " in 'inputs_from' of target ", t->name);
  const Entry* dockerfile_entry = node.Find("dockerfile");
  const Entry* python_entry = node.Find("python");
  const Entry* go_entry = node.Find("go");
  const Entry* kinds[] = {dockerfile_entry, python_entry, go_entry};
  const char* kind_names[] = {"dockerfile", "python", "go"};
  for (int a = 0; a < 3; ++a) {
    for (int b = a + 1; b < 3; ++b) {
      if (!kinds[a] || !kinds[b]) continue;
      Error(kinds[b]->key->mark,
            "'inputs_from' of target " + Quoted(t->name) + " has both '" + kind_names[a] +
                "' and '" + kind_names[b] + "'",
            {"help: derive from one of them here, and list what the other reads in 'inputs'"});
      return false;
    }
  }
  if (go_entry) return ReadInputsFromGo(node, *go_entry, t);
  if (const Entry* e = node.Find("tags")) {
    Error(e->key->mark,
          "'tags' in 'inputs_from' of target " + Quoted(t->name) + " is for 'go' only",
          {"help: 'tags' are the Go build tags the package is built with"});
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
          "'inputs_from' of target " + Quoted(t->name) +
              " has none of 'dockerfile', 'python' and 'go'",
          {"help: name the Dockerfile whose COPY and ADD sources are the target's inputs, "
           "e.g. 'inputs_from: {dockerfile: app/Dockerfile}', the Python program whose "
           "imports are, e.g. 'inputs_from: {python: app/main.py}', or the Go package, e.g. "
           "'inputs_from: {go: cmd/app}'"});
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

bool Validator::ReadInputsFromGo(const YamlNode& node, const Entry& go, Target* t) {
  for (const char* key : {"context", "path"}) {
    if (const Entry* e = node.Find(key)) {
      // Formatted: `"'" + std::string(...)` trips GCC 12's -Wrestrict at -O3
      // (docs/development.md, "Build types and warnings").
      Error(e->key->mark,
            fmt::format("'{}' in 'inputs_from' of target {} is not for 'go'", key, Quoted(t->name)),
            {"help: the Go package's module (the nearest go.mod above it) says where its "
             "imports are"});
      return false;
    }
  }
  // Written as the go command takes it ("./cmd/app") or as a path ("cmd/app").
  std::optional<std::string> dir = ExpectText(*go.value, "go");
  if (!dir) return false;
  std::string_view path = *dir;
  if (path.size() > 2 && path.substr(0, 2) == "./") path.remove_prefix(2);
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  const std::string problem = path.empty() ? "is empty" : RelativePathProblem(path);
  if (!problem.empty()) {
    Error(go.value->mark,
          "path " + Quoted(*dir) + " for 'go' in 'inputs_from' of target " + Quoted(t->name) + " " +
              problem,
          {"note: the package directory is relative to the repository root, as in "
           "'./cmd/app' or 'cmd/app' ('.' alone is the root)"});
    return false;
  }
  std::vector<std::string> tags;
  if (const Entry* e = node.Find("tags")) {
    const std::optional<Items> items = ExpectList(*e->value, "tags");
    if (!items) return false;
    for (const YamlNodePtr& item : *items) {
      std::optional<std::string> tag = ExpectText(*item, "tags");
      if (!tag) return false;
      // Go's build tags are identifiers with dots (go/build/constraint): nothing that could
      // be read as a flag or split the marker.
      const bool valid = !tag->empty() && tag->find_first_not_of(
                                              "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789_.") == std::string::npos;
      if (!valid) {
        Error(item->mark,
              "build tag " + Quoted(*tag) + " in 'inputs_from' of target " + Quoted(t->name) +
                  " is not a Go build tag",
              {"help: a tag is letters, digits, '_' and '.', as in 'go build -tags=zmq'"});
        return false;
      }
      tags.push_back(std::move(*tag));
    }
  }
  // "." is the package at the root, beside its module's go.mod.
  t->inputs.push_back(GoMarker(path == "." ? std::string_view() : path, tags));
  return true;
}

}  // namespace fanout
