// description/suggest_inputs.h: what `fanout check --suggest-inputs` proposes, from each
// target's image or command.
#include "description/suggest_inputs.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "description/loader.h"

namespace fanout {
namespace {

/// The suggestion for each target of `targets` (YAML under `targets:`), "" for none.
std::vector<std::string> Suggest(const std::string& targets, const IsFile& is_file = nullptr) {
  LoadResult r = LoadDescriptionText("version: 1\ntargets:\n" + targets, "fanout.yaml");
  EXPECT_TRUE(r.description) << r.FormatErrors();
  if (!r.description) return {};
  std::vector<std::string> out;
  const std::vector<InputSuggestion> s = SuggestInputsFrom(*r.description, is_file);
  for (const Target& t : r.description->targets) {
    std::string found;
    for (const InputSuggestion& x : s) {
      if (x.target == t.name) found = x.inputs_from;
    }
    out.push_back(found);
  }
  return out;
}

std::string One(const std::string& command, const IsFile& is_file = nullptr) {
  std::vector<std::string> s =
      Suggest("  t:\n    command: '" + command + "'\n    inputs: [x]\n", is_file);
  return s.empty() ? "?" : s[0];
}

TEST(SuggestInputs, ImageBuildersWithTheirDockerfileAndContext) {
  EXPECT_EQ(One("docker build -t app:1 services/app"), "{dockerfile: services/app/Dockerfile}");
  EXPECT_EQ(One("docker buildx build --build-arg V=1 -f docker/app.Dockerfile --push ."),
            "{dockerfile: docker/app.Dockerfile, context: .}");
  EXPECT_EQ(One("cd . && podman build --file=./web/Dockerfile ./web/ && echo done"),
            "{dockerfile: web/Dockerfile}");
  EXPECT_EQ(One("buildah bud -f Containerfile --layers ."), "{dockerfile: Containerfile}");
  EXPECT_EQ(One("docker image build \"my ctx\""), "{dockerfile: \"my ctx/Dockerfile\"}");
  // What cannot be known without running the command, or is not in the repository.
  EXPECT_EQ(One("docker build -f $DOCKERFILE ."), "");
  EXPECT_EQ(One("docker build https://example.invalid/repo.git"), "");
  EXPECT_EQ(One("docker build - < Dockerfile"), "");
  EXPECT_EQ(One("docker build ../elsewhere"), "");
  EXPECT_EQ(One("docker push app:1"), "");
}

TEST(SuggestInputs, PythonScriptsAndModulesWithTheirPath) {
  EXPECT_EQ(One("python3 tools/gen.py --out x"), "{python: tools/gen.py}");
  EXPECT_EQ(One("PYTHONPATH=src:./lib python3 -u app/main.py"),
            "{python: app/main.py, path: [src, lib]}");
  EXPECT_EQ(One("env PYTHONPATH=. python -m services.api serve"),
            "{python: services/api, path: [.]}");
  const IsFile module_file = [](const std::string& p) { return p == "services/one.py"; };
  EXPECT_EQ(One("python3.11 -m services.one", module_file), "{python: services/one.py, path: [.]}");
  EXPECT_EQ(One("PYTHONPATH=lib python3 -I app/main.py"), "{python: app/main.py}")
      << "-I ignores PYTHONPATH";
  EXPECT_EQ(One("python3 -c \"import x\""), "");
  EXPECT_EQ(One("python3 $SCRIPT"), "");
  EXPECT_EQ(One("pytest tests"), "");
}

TEST(SuggestInputs, GoPackagesBuiltByTheirDirectory) {
  EXPECT_EQ(One("go build -o bin/api ./cmd/api"), "{go: ./cmd/api}");
  EXPECT_EQ(One("CGO_ENABLED=0 go build -trimpath -ldflags \"-s -w\" -o=out/x ./cmd/x/"),
            "{go: ./cmd/x}");
  EXPECT_EQ(One("go run . --selftest"), "{go: .}");
  EXPECT_EQ(One("make gen && go install -tags netgo ./tools/lint"), "{go: ./tools/lint}");
  // Not one package by its directory, or not from the root.
  EXPECT_EQ(One("go build ./..."), "");
  EXPECT_EQ(One("go build example.com/mono/cmd/api"), "");
  EXPECT_EQ(One("go run main.go"), "");
  EXPECT_EQ(One("go build -o $OUT ./cmd/$APP"), "");
  EXPECT_EQ(One("cd svc && go build ./cmd/api"), "");
  EXPECT_EQ(One("go -C svc build ./cmd/api"), "");
  EXPECT_EQ(One("go test ./..."), "");
}

TEST(SuggestInputs, AnImageTargetGetsItsDockerfileAndADerivedTargetNothing) {
  EXPECT_EQ(Suggest("  img:\n    sockets: [/run/x.sock]\n    image: {context: web}\n"
                    "  derived:\n    command: python3 a.py\n    inputs_from: {python: a.py}\n"
                    "  plain:\n    command: make\n    inputs: [Makefile]\n"),
            (std::vector<std::string>{"", "{dockerfile: web/Dockerfile}", ""}))
      << "targets come sorted by name: derived, img, plain";
}

TEST(SuggestInputs, CommandWordsAsAShellSplitsThem) {
  EXPECT_EQ(CommandWords("a 'b c' \"d\\\"e\" f\\ g&&h;i||j|k\nl"),
            (std::vector<std::string>{"a", "b c", "d\"e", "f g", "&&", "h", ";", "i", "||", "j",
                                      "|", "k", "\n", "l"}));
}

}  // namespace
}  // namespace fanout
