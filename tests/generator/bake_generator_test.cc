// Golden tests for docker-bake.json (src/generator/bake_generator.h). `docker buildx` is not
// installed here (Debian's Docker 20.10 has no buildx), so bake itself never reads the file in
// these tests: they check the exact text and that it is the JSON shape bake documents.
#include "generator/bake_generator.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "description/loader.h"

namespace fanout {
namespace {

Plan PlanOf(const std::string& yaml) {
  LoadResult loaded = LoadDescriptionText(yaml, "fanout.yaml");
  EXPECT_TRUE(loaded.description) << loaded.FormatErrors();
  if (!loaded.description) return Plan();
  return MakePlan(std::move(*loaded.description));
}

constexpr const char* kChain = R"(version: 1
targets:
  base:
    sockets: [/var/run/docker.sock]
    image:
      context: docker/base
  app:
    deps: [base]
    sockets: [/var/run/docker.sock]
    image:
      context: services/app
      dockerfile: docker/app.Dockerfile
      args: {BASE: "{image:base}", NOTE: "cost ${x} 100%{y}"}
      target: runtime
      platform: linux/amd64
      tags: ["registry.example/app:{short}", "app:{target}-{commit}", "app:{digest}"]
      cache_from: ["type=registry,ref=registry.example/app:cache"]
      cache_to: ["type=registry,ref=registry.example/app:cache,mode=max"]
      secrets: [{id: npmrc, file: /run/ci/npmrc}, {id: token, env: NPM_TOKEN}]
  docs:
    command: make docs
    inputs: [docs/**]
)";

TEST(GenerateBake, Golden_AChainWithEveryImageField) {
  Expected<std::string> text =
      GenerateBake(PlanOf(kChain), std::string("0123456789abcdef0123456789abcdef01234567"));
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_EQ(*text, R"({
  "variable": {
    "FANOUT_COMMIT": {
      "default": "0123456789abcdef0123456789abcdef01234567"
    },
    "FANOUT_SHORT": {
      "default": "0123456789ab"
    }
  },
  "group": {
    "default": {
      "targets": [
        "app",
        "base"
      ]
    }
  },
  "target": {
    "app": {
      "context": "services/app",
      "dockerfile": "../../docker/app.Dockerfile",
      "args": {
        "BASE": "fanout.invalid/base",
        "NOTE": "cost $${x} 100%%{y}"
      },
      "contexts": {
        "fanout.invalid/base": "target:base"
      },
      "target": "runtime",
      "platforms": [
        "linux/amd64"
      ],
      "tags": [
        "registry.example/app:${FANOUT_SHORT}",
        "app:app-${FANOUT_COMMIT}"
      ],
      "cache-from": [
        "type=registry,ref=registry.example/app:cache"
      ],
      "cache-to": [
        "type=registry,ref=registry.example/app:cache,mode=max"
      ],
      "secret": [
        "id=npmrc,src=/run/ci/npmrc",
        "id=token,env=NPM_TOKEN"
      ]
    },
    "base": {
      "context": "docker/base",
      "dockerfile": "Dockerfile"
    }
  }
}
)");
}

TEST(GenerateBake, IsTheShapeBakeReadsAndAWorkTreeLeavesTheCommitToTheEnvironment) {
  Expected<std::string> text = GenerateBake(PlanOf(kChain), std::nullopt);
  ASSERT_TRUE(text.ok()) << text.error().message;
  const nlohmann::json bake = nlohmann::json::parse(*text);
  EXPECT_EQ(bake["variable"]["FANOUT_COMMIT"]["default"], "");
  // Every target of the default group is defined, and every named context names a target.
  for (const auto& name : bake["group"]["default"]["targets"]) {
    ASSERT_TRUE(bake["target"].contains(name.get<std::string>())) << name;
  }
  for (const auto& [name, target] : bake["target"].items()) {
    EXPECT_TRUE(target["context"].is_string()) << name;
    EXPECT_TRUE(target["dockerfile"].is_string()) << name;
    if (!target.contains("contexts")) continue;
    for (const auto& [key, value] : target["contexts"].items()) {
      const std::string dep = value.get<std::string>().substr(std::string("target:").size());
      EXPECT_TRUE(bake["target"].contains(dep)) << key;
    }
  }
  EXPECT_FALSE(bake["target"].contains("docs"));  // not an image
}

TEST(GenerateBake, APlanWithoutImagesIsAnError) {
  Expected<std::string> text = GenerateBake(PlanOf(R"(version: 1
targets:
  docs:
    command: make docs
    inputs: [docs/**]
)"),
                                            std::nullopt);
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.error().message.find("no image targets"), std::string::npos);
}

}  // namespace
}  // namespace fanout
