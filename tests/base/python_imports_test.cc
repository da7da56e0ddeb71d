// base/python_imports.h and base/python_ast.h: the files a Python marker stands for, read
// from a tree (a map here) through PathFilter, as `inputs_from: {python: ...}` gets them.
#include "base/python_imports.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/glob.h"
#include "base/python_ast.h"
#include "base/tree_map.h"

namespace fanout {
namespace {

const Tree kMonorepo = {
    {"requirements.txt", "flask\n"},
    {"services/a/main.py", "import os\nimport lib.util\nfrom lib import helpers\n"},
    {"services/a/pyproject.toml", "[project]\n"},
    {"services/b/main.py", "from lib.only_b import thing\n"},
    {"lib/__init__.py", ""},
    {"lib/util.py", "def f(): pass\n"},
    {"lib/helpers.py", "from .util import f\nfrom . import strings\n"},
    {"lib/strings.py", ""},
    {"lib/only_b.py", "thing = 1\n"},
    {"lib/unused.py", ""},
    {"docs/readme.md", ""},
};

TEST(PythonImports, AScriptTakesWhatItImportsThroughThePathAndTheProjectFilesAbove) {
  const auto inputs = Inputs(kMonorepo, PythonMarker("services/a/main.py", {"."}));
  EXPECT_EQ(Paths(inputs),
            (std::set<std::string>{"requirements.txt", "services/a/main.py",
                                   "services/a/pyproject.toml", "lib/__init__.py", "lib/util.py",
                                   "lib/helpers.py", "lib/strings.py"}));
  EXPECT_EQ(inputs.at("lib/util.py"), "inputs_from: services/a/main.py:2 import lib.util");
  EXPECT_EQ(inputs.at("lib/helpers.py"),
            "inputs_from: services/a/main.py:3 from lib import helpers");
  EXPECT_EQ(inputs.at("lib/strings.py"), "inputs_from: lib/helpers.py:2 from . import strings");
  EXPECT_EQ(inputs.at("services/a/main.py"), "inputs_from: the Python entry");

  const auto b = Paths(Inputs(kMonorepo, PythonMarker("services/b/main.py", {"."})));
  EXPECT_TRUE(b.count("lib/only_b.py"));
  EXPECT_FALSE(b.count("lib/util.py"));
  // Control: without the root on its path, `lib` is not found (Python would not find it).
  EXPECT_FALSE(
      Paths(Inputs(kMonorepo, PythonMarker("services/b/main.py", {}))).count("lib/only_b.py"));
}

TEST(PythonImports, APackageRunsItsInitAndMainWithItsParentOnThePath) {
  const Tree tree = {{"app/__init__.py", "from .core import run\n"},
                     {"app/__main__.py", "import app.cli\n"},
                     {"app/core.py", ""},
                     {"app/cli.py", "from app.sub import *\n"},
                     {"app/sub/__init__.py", "__all__ = ['one']\n__all__ += ['two']\n"},
                     {"app/sub/one.py", ""},
                     {"app/sub/two.py", ""},
                     {"app/sub/three.py", ""},
                     {"app/data.json", ""}};
  EXPECT_EQ(
      Paths(Inputs(tree, PythonMarker("app", {}))),
      (std::set<std::string>{"app/__init__.py", "app/__main__.py", "app/core.py", "app/cli.py",
                             "app/sub/__init__.py", "app/sub/one.py", "app/sub/two.py"}));
}

TEST(PythonImports, ModulesResolveAsPythonFindsThem) {
  const Tree tree = {
      {"main.py",
       "import first\n"
       "import ns.mod\n"                  // a namespace package
       "from pkg import sub, attr\n"      // a submodule and a plain name
       "from ...beyond import x\n"        // above the top: Python refuses it
       "import json, requests\n"          // not in the repository
       "def later():\n    import lazy\n"  // inside a function: counted
       "import importlib\nimportlib.import_module('plugin')\n"},
      {"first.py", ""},
      {"second/first.py", ""},  // a later path directory: shadowed
      {"ns/mod.py", ""},
      {"pkg/__init__.py", "attr = 1\n"},
      {"pkg/sub/__init__.py", ""},
      {"pkg/attr.py", "# not imported: `attr` is a name in pkg/__init__.py... or this\n"},
      {"lazy.py", ""},
      {"plugin.py", ""},
      {"json.py.orig", ""}};
  const auto paths = Paths(Inputs(tree, PythonMarker("main.py", {"second"})));
  EXPECT_EQ(paths,
            (std::set<std::string>{"main.py", "first.py", "ns/mod.py", "pkg/__init__.py",
                                   "pkg/sub/__init__.py", "pkg/attr.py", "lazy.py", "plugin.py"}));
}

TEST(PythonImports, WhatCannotBeKnownWithoutRunningTakesEveryFileOnThePath) {
  Tree tree = {{"app/main.py", "import importlib\nname = 'x'\nimportlib.import_module(name)\n"},
               {"app/x.py", ""},
               {"lib/y.py", ""},
               {"other/z.py", ""}};
  auto inputs = Inputs(tree, PythonMarker("app/main.py", {"lib"}));
  EXPECT_EQ(Paths(inputs), (std::set<std::string>{"app/main.py", "app/x.py", "lib/y.py"}));
  EXPECT_EQ(inputs.at("lib/y.py"),
            "inputs_from: app/main.py:3 imports a module named at run time, so every file "
            "under app, lib");

  tree["app/main.py"] = "import x\ndef broken(:\n";
  inputs = Inputs(tree, PythonMarker("app/main.py", {"lib"}));
  EXPECT_EQ(Paths(inputs), (std::set<std::string>{"app/main.py", "app/x.py", "lib/y.py"}));
  EXPECT_NE(inputs.at("lib/y.py").find("app/main.py:2: "), std::string::npos)
      << inputs.at("lib/y.py");
  EXPECT_NE(inputs.at("lib/y.py").find("(Python cannot parse it)"), std::string::npos);
}

TEST(PythonImports, AnEntryNotInTheTreeIsItsPathAndItsEncodingIsPythons) {
  const Tree tree = {{"gone/x.py", ""},
                     // Latin-1, declared: 'é' is one byte, and the import after it is read.
                     {"main.py", std::string("# -*- coding: latin-1 -*-\ns = '\xe9'\nimport m\n")},
                     {"m.py", ""},
                     {"odd[1]/*.py", ""}};
  EXPECT_EQ(Paths(Inputs(tree, PythonMarker("gone", {}))), std::set<std::string>{"gone/x.py"});
  EXPECT_EQ(Paths(Inputs(tree, PythonMarker("main.py", {}))),
            (std::set<std::string>{"main.py", "m.py"}));
  // A path with glob characters names that path only.
  EXPECT_EQ(EscapeGlob("odd[1]/*.py"), "odd\\[1]/\\*.py");
  EXPECT_EQ(Paths(Inputs(tree, PythonMarker("odd[1]/*.py", {}))),
            std::set<std::string>{"odd[1]/*.py"});
}

TEST(PythonAstReader, ReadsEachSourceOnceAndSaysWhyOneDoesNotParse) {
  PythonAstReader reader;
  auto info = reader.Read("from .. import a, b\nimport c.d as e\n__import__('f')\n");
  ASSERT_TRUE(info.ok()) << info.error().message;
  ASSERT_EQ(info->imports.size(), 3u);
  EXPECT_EQ(info->imports[0].level, 2);
  EXPECT_EQ(info->imports[0].names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(info->imports[1].module, "c.d");
  EXPECT_EQ(info->imports[2].module, "f");
  EXPECT_EQ(info->imports[2].line, 3);
  EXPECT_TRUE(info->error.empty());

  auto bad = reader.Read(std::string("x = (\n") + std::string(200000, '(') + "\n");
  ASSERT_TRUE(bad.ok()) << bad.error().message;
  EXPECT_FALSE(bad->error.empty()) << "deep nesting is an answer, not a crash";
  auto nul = reader.Read(std::string("import a\0b\n", 11));
  ASSERT_TRUE(nul.ok()) << nul.error().message;
  EXPECT_FALSE(nul->error.empty());
  // The reader still answers after both.
  auto after = reader.Read("import g\n");
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->imports.size(), 1u);
}

}  // namespace
}  // namespace fanout
