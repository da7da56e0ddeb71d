// `inputs_from:` in a description (docs/format.md): the marker each target gets, and the errors.
// What the marker stands for is tested in tests/base/dockerfile_sources_test.cc and
// tests/base/python_imports_test.cc.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "description/loader.h"

namespace fanout {
namespace {

LoadResult Load(const std::string& text) { return LoadDescriptionText(text, "fanout.yaml"); }

/// A description whose target `t` (line 3) has `body` from line 4, keys at column 5.
std::string With(const std::string& body) { return "version: 1\ntargets:\n  t:\n" + body; }

TEST(InputsFrom, ADockerfileJoinsTheWrittenInputsWithItsDirectoryAsContext) {
  auto r =
      Load(With("    command: make\n    inputs: [Makefile]\n"
                "    inputs_from: {dockerfile: docker/app/Dockerfile}\n"));
  ASSERT_TRUE(r.description) << r.FormatErrors();
  EXPECT_EQ(
      r.description->FindTarget("t")->inputs,
      (std::vector<std::string>{"Makefile", ":(dockerfile)docker/app//docker/app/Dockerfile"}));
  r = Load(With("    command: make\n    inputs_from: {dockerfile: Dockerfile, context: src}\n"));
  ASSERT_TRUE(r.description) << r.FormatErrors();
  EXPECT_EQ(r.description->FindTarget("t")->inputs,
            std::vector<std::string>{":(dockerfile)src//Dockerfile"});
  r = Load(With("    command: make\n    inputs_from: {dockerfile: Dockerfile}\n"));
  ASSERT_TRUE(r.description) << r.FormatErrors();
  EXPECT_EQ(r.description->FindTarget("t")->inputs,
            std::vector<std::string>{":(dockerfile).//Dockerfile"});
}

TEST(InputsFrom, AnImageTargetsDerivedInputsReplaceTheWholeContext) {
  auto r =
      Load(With("    sockets: [/var/run/docker.sock]\n    image: {context: app}\n"
                "    inputs_from: {dockerfile: app/Dockerfile}\n"));
  ASSERT_TRUE(r.description) << r.FormatErrors();
  EXPECT_EQ(r.description->FindTarget("t")->inputs,
            std::vector<std::string>{":(dockerfile)app//app/Dockerfile"});
  // The image's context is the derivation's when the Dockerfile is the image's.
  r =
      Load(With("    sockets: [/var/run/docker.sock]\n"
                "    image: {context: ., dockerfile: docker/app.Dockerfile}\n"
                "    inputs_from: {dockerfile: docker/app.Dockerfile}\n"));
  ASSERT_TRUE(r.description) << r.FormatErrors();
  EXPECT_EQ(r.description->FindTarget("t")->inputs,
            std::vector<std::string>{":(dockerfile).//docker/app.Dockerfile"});
}

TEST(InputsFrom, APythonProgramWithTheDirectoriesOnItsPath) {
  auto r =
      Load(With("    command: python3 app/main.py\n    inputs: [data/**]\n"
                "    inputs_from: {python: app/main.py}\n"));
  ASSERT_TRUE(r.description) << r.FormatErrors();
  EXPECT_EQ(r.description->FindTarget("t")->inputs,
            (std::vector<std::string>{"data/**", ":(python)app/main.py"}));
  r = Load(With("    command: python3 -m app\n    inputs_from: {python: app, path: [., src]}\n"));
  ASSERT_TRUE(r.description) << r.FormatErrors();
  EXPECT_EQ(r.description->FindTarget("t")->inputs,
            std::vector<std::string>{":(python)app//.//src"});
}

TEST(InputsFrom, AGoPackageByItsDirectoryAsTheGoCommandOrAPathWritesIt) {
  for (const char* written : {"./cmd/api", "cmd/api", "cmd/api/"}) {
    auto r = Load(With(std::string("    command: go build ./cmd/api\n    inputs_from: {go: ") +
                       written + "}\n"));
    ASSERT_TRUE(r.description) << r.FormatErrors();
    EXPECT_EQ(r.description->FindTarget("t")->inputs, std::vector<std::string>{":(go)cmd/api"})
        << written;
  }
  auto r =
      Load(With("    command: go build -tags=zmq,netgo ./cmd/gw\n"
                "    inputs_from: {go: ./cmd/gw, tags: [zmq, netgo]}\n"));
  ASSERT_TRUE(r.description) << r.FormatErrors();
  EXPECT_EQ(r.description->FindTarget("t")->inputs,
            std::vector<std::string>{":(go)cmd/gw//zmq,netgo"});
  r = Load(With("    command: go run .\n    inputs: [testdata]\n    inputs_from: {go: .}\n"));
  ASSERT_TRUE(r.description) << r.FormatErrors();
  EXPECT_EQ(r.description->FindTarget("t")->inputs,
            (std::vector<std::string>{"testdata", ":(go)"}));
}

TEST(InputsFrom, ErrorsNameTheLineColumnAndWhatToDo) {
  struct Case {
    std::string body;
    int line, column;
    std::string message;
  } cases[] = {
      {"    command: make\n    inputs_from: {context: src}\n", 5, 18,
       "'inputs_from' of target 't' has none of 'dockerfile', 'python' and 'go'"},
      {"    command: make\n    inputs_from: {dockerfile: /abs/Dockerfile}\n", 5, 31,
       "path '/abs/Dockerfile' for 'dockerfile' in 'inputs_from' is absolute"},
      {"    command: make\n    inputs_from: {dockerfile: d/../Dockerfile}\n", 5, 31,
       "path 'd/../Dockerfile' for 'dockerfile' in 'inputs_from' has a '..' component"},
      {"    command: make\n    inputs_from: {dockerfile: .}\n", 5, 31,
       "'dockerfile' in 'inputs_from' of target 't' names the root"},
      {"    command: make\n    inputs_from: {dockerfile: D, go: ./cmd/x}\n", 5, 34,
       "'inputs_from' of target 't' has both 'dockerfile' and 'go'"},
      {"    command: make\n    inputs_from: {go: ./cmd/x, gomod: go.mod}\n", 5, 32,
       "unknown key 'gomod' in 'inputs_from' of target 't'"},
      {"    command: make\n    inputs_from: {go: ./cmd/x, path: [lib]}\n", 5, 32,
       "'path' in 'inputs_from' of target 't' is not for 'go'"},
      {"    command: make\n    inputs_from: {go: ../cmd/x}\n", 5, 23,
       "path '../cmd/x' for 'go' in 'inputs_from' of target 't' has a '..' component"},
      {"    command: make\n    inputs_from: {go: ./cmd/x, tags: [zmq, -x]}\n", 5, 44,
       "build tag '-x' in 'inputs_from' of target 't' is not a Go build tag"},
      {"    command: make\n    inputs_from: {python: a.py, tags: [zmq]}\n", 5, 33,
       "'tags' in 'inputs_from' of target 't' is for 'go' only"},
      {"    command: make\n    inputs: [\":(go)cmd/x\"]\n", 5, 14,
       "pattern ':(go)cmd/x' in 'inputs' starts with fanout's own prefix for inputs_from"},
      {"    command: make\n    inputs_from: {dockerfile: D, python: a.py}\n", 5, 34,
       "'inputs_from' of target 't' has both 'dockerfile' and 'python'"},
      {"    command: make\n    inputs_from: {dockerfile: D, path: [lib]}\n", 5, 34,
       "'path' in 'inputs_from' of target 't' is for 'python' only"},
      {"    command: make\n    inputs_from: {python: a.py, context: src}\n", 5, 33,
       "'context' in 'inputs_from' of target 't' is for 'dockerfile' only"},
      {"    command: make\n    inputs_from: {python: .}\n", 5, 27,
       "'python' in 'inputs_from' of target 't' names the root"},
      {"    command: make\n    inputs_from: {python: a.py, path: [lib, ../x]}\n", 5, 45,
       "path '../x' for 'path' in 'inputs_from' has a '..' component"},
      {"    command: make\n    inputs: [\":(python)a.py\"]\n", 5, 14,
       "pattern ':(python)a.py' in 'inputs' starts with fanout's own prefix for inputs_from"},
      {"    command: make\n    inputs_from: [Dockerfile]\n", 5, 18,
       "expected a mapping for 'inputs_from', found a list"},
      {"    command: make\n    inputs: [\":(dockerfile).//Dockerfile\"]\n", 5, 14,
       "pattern ':(dockerfile).//Dockerfile' in 'inputs' starts with fanout's own prefix for "
       "inputs_from"},
  };
  for (const Case& c : cases) {
    auto r = Load(With(c.body));
    ASSERT_FALSE(r.description) << c.body;
    ASSERT_FALSE(r.diagnostics.empty()) << c.body;
    const Diagnostic& d = r.diagnostics[0];
    EXPECT_EQ(d.message, c.message) << c.body;
    EXPECT_EQ(d.mark.line, c.line) << c.body << d.message;
    EXPECT_EQ(d.mark.column, c.column) << c.body << d.message;
    if (c.message.rfind("expected", 0) != 0) {
      EXPECT_FALSE(d.notes.empty()) << c.body << d.message;  // what to do
    }
  }
}

}  // namespace
}  // namespace fanout
