#include "description/loader.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

#include "description/values.h"
#include "test_util.h"

namespace fanout {
namespace {

LoadResult Load(const std::string& text) { return LoadDescriptionText(text, "fanout.yaml"); }

/// Expects exactly one diagnostic and returns it.
Diagnostic One(const LoadResult& r) {
  EXPECT_EQ(r.diagnostics.size(), 1u) << r.FormatErrors();
  EXPECT_FALSE(r.description.has_value());
  return r.diagnostics.empty() ? Diagnostic{} : r.diagnostics[0];
}

/// Checks a diagnostic's place and message; `note` (when given) must be its only note.
void ExpectDiag(const Diagnostic& d, int line, int column, const std::string& message,
                const std::string& note = "") {
  EXPECT_EQ(d.file, "fanout.yaml");
  EXPECT_EQ(d.mark.line, line) << d.message;
  EXPECT_EQ(d.mark.column, column) << d.message;
  EXPECT_EQ(d.message, message);
  if (!note.empty()) {
    ASSERT_EQ(d.notes.size(), 1u) << d.message;
    EXPECT_EQ(d.notes[0], note);
  }
}

// Lines 1-4; a target written after it starts on line 5.
constexpr char kHeader[] = "version: 1\npools:\n  docker: 2\ntargets:\n";

/// A valid target `web` on lines 5-7; `extra` starts on line 8 (keys at column 5).
std::string WebWith(const std::string& extra) {
  return std::string(kHeader) + "  web:\n    command: make\n    inputs: [src/**]\n" + extra;
}

constexpr char kDesignExample[] = R"(version: 1
pools:                      # name -> depth (an integer >= 1)
  docker: 2
global_inputs:              # a change to any of these affects every target; every workspace has them
  - Makefile
  - build/common/**
targets:
  base:
    command: docker build -t base -f docker/base/Dockerfile docker/base
    inputs: [docker/base/**]
    pool: docker
  runtime:
    command: ./build-runtime.sh "$FANOUT_OUT/runtime.tar"
    inputs: [python/**, "!python/tests/**", build-runtime.sh]
    deps: [base]            # upstream targets: run first; their artifacts visible read-only
    pool: docker
    artifacts: [runtime.tar]  # looked up in $FANOUT_OUT, then in the workspace; missing = failure
    env: {PYTHONDONTWRITEBYTECODE: "1"}
    pass_env: [DOCKER_HOST]
    timeout: 30m
    retries: 1
    network: true           # false: no network inside the sandbox
    checkout: inputs        # inputs (default): only declared inputs exist in the workspace; full
post_submit:
  command: scripts/push.sh  # runs after a successful gather; sees $FANOUT_ARTIFACTS
)";

// --- Valid descriptions -------------------------------------------------------------------

TEST(DescriptionLoaderTest, Load_DesignExampleLoadsIntoTheModel) {
  LoadResult r = Load(kDesignExample);
  ASSERT_TRUE(r.diagnostics.empty()) << r.FormatErrors();
  ASSERT_TRUE(r.description.has_value());
  EXPECT_EQ(r.FormatErrors(), "");
  const Description& d = *r.description;
  EXPECT_EQ(d.version, 1);
  EXPECT_EQ(d.pools, (std::map<std::string, int>{{"docker", 2}}));
  EXPECT_EQ(d.global_inputs, (std::vector<std::string>{"Makefile", "build/common/**"}));
  EXPECT_EQ(d.sandbox, SandboxRequirement::kPreferred);
  EXPECT_EQ(d.post_submit.command, "scripts/push.sh");
  EXPECT_FALSE(d.post_submit.always);
  ASSERT_EQ(d.targets.size(), 2u);

  const Target& base = d.targets[0];
  EXPECT_EQ(base.name, "base");
  EXPECT_EQ(base.mark.line, 8);
  EXPECT_EQ(base.mark.column, 3);
  EXPECT_EQ(base.command, "docker build -t base -f docker/base/Dockerfile docker/base");
  EXPECT_EQ(base.inputs, (std::vector<std::string>{"docker/base/**"}));
  EXPECT_TRUE(base.deps.empty());
  EXPECT_EQ(base.pool, "docker");
  EXPECT_TRUE(base.artifacts.empty());
  EXPECT_TRUE(base.env.empty());
  EXPECT_FALSE(base.timeout_seconds.has_value());
  EXPECT_EQ(base.retries, 0);
  EXPECT_TRUE(base.network);
  EXPECT_EQ(base.checkout, Checkout::kInputs);
  EXPECT_EQ(base.limits.memory_bytes, 0u);

  const Target& runtime = d.targets[1];
  EXPECT_EQ(runtime.name, "runtime");
  EXPECT_EQ(runtime.mark.line, 12);
  EXPECT_EQ(runtime.command, "./build-runtime.sh \"$FANOUT_OUT/runtime.tar\"");
  EXPECT_EQ(runtime.inputs,
            (std::vector<std::string>{"python/**", "!python/tests/**", "build-runtime.sh"}));
  EXPECT_EQ(runtime.deps, (std::vector<std::string>{"base"}));
  EXPECT_EQ(runtime.pool, "docker");
  EXPECT_EQ(runtime.artifacts, (std::vector<std::string>{"runtime.tar"}));
  EXPECT_EQ(runtime.env, (std::map<std::string, std::string>{{"PYTHONDONTWRITEBYTECODE", "1"}}));
  EXPECT_EQ(runtime.pass_env, (std::vector<std::string>{"DOCKER_HOST"}));
  EXPECT_EQ(runtime.timeout_seconds, 1800);
  EXPECT_EQ(runtime.retries, 1);
  EXPECT_TRUE(runtime.network);
  EXPECT_EQ(runtime.checkout, Checkout::kInputs);
}

TEST(DescriptionLoaderTest, Load_TargetsAreSortedByName) {
  LoadResult r = Load(
      "version: 1\ntargets:\n"
      "  zeta: {command: z, inputs: [z]}\n"
      "  alpha: {command: a, inputs: [a]}\n"
      "  mid: {command: m, inputs: [m]}\n");
  ASSERT_TRUE(r.description) << r.FormatErrors();
  ASSERT_EQ(r.description->targets.size(), 3u);
  EXPECT_EQ(r.description->targets[0].name, "alpha");
  EXPECT_EQ(r.description->targets[1].name, "mid");
  EXPECT_EQ(r.description->targets[2].name, "zeta");
  EXPECT_NE(r.description->FindTarget("mid"), nullptr);
}

TEST(DescriptionLoaderTest, Load_EveryOptionalFieldIsRead) {
  LoadResult r = Load(
      "version: 1\n"
      "sandbox: required\n"
      "targets:\n"
      "  t:\n"
      "    command: run\n"
      "    checkout: full\n"
      "    network: false\n"
      "    retries: 10\n"
      "    timeout: 2h5m10s\n"
      "    limits: {memory: 4G, pids: 512, nofile: 4096}\n"
      "    env: {A: 1, B: true, C: text, D: \"\"}\n"
      "post_submit: {command: push, when: always}\n");
  ASSERT_TRUE(r.description) << r.FormatErrors();
  const Description& d = *r.description;
  EXPECT_EQ(d.sandbox, SandboxRequirement::kRequired);
  EXPECT_TRUE(d.post_submit.always);
  const Target& t = d.targets.at(0);
  EXPECT_TRUE(t.inputs.empty());  // allowed with checkout: full
  EXPECT_EQ(t.checkout, Checkout::kFull);
  EXPECT_FALSE(t.network);
  EXPECT_EQ(t.retries, 10);
  EXPECT_EQ(t.timeout_seconds, 2 * 3600 + 5 * 60 + 10);
  EXPECT_EQ(t.limits.memory_bytes, 4ull << 30);
  EXPECT_EQ(t.limits.pids, 512u);
  EXPECT_EQ(t.limits.nofile, 4096u);
  EXPECT_EQ(t.env, (std::map<std::string, std::string>{
                       {"A", "1"}, {"B", "true"}, {"C", "text"}, {"D", ""}}));
}

TEST(DescriptionLoaderTest, Load_SharedInputsThroughAnAnchorAndAlias) {
  LoadResult r = Load(
      "version: 1\n"
      "targets:\n"
      "  a:\n"
      "    command: make a\n"
      "    inputs: &common [lib/**, Makefile]\n"
      "  b:\n"
      "    command: make b\n"
      "    inputs: *common\n");
  ASSERT_TRUE(r.description) << r.FormatErrors();
  const std::vector<std::string> common = {"lib/**", "Makefile"};
  EXPECT_EQ(r.description->FindTarget("a")->inputs, common);
  EXPECT_EQ(r.description->FindTarget("b")->inputs, common);
}

TEST(DescriptionLoaderTest, Load_MergeKeySharesTargetDefaults) {
  LoadResult r = Load(
      "version: 1\n"
      "pools: {docker: 1}\n"
      "x-defaults: &defaults {pool: docker, retries: 2}\n"
      "targets:\n"
      "  a: {<<: *defaults, command: make a, inputs: [a]}\n"
      "  b: {<<: *defaults, command: make b, inputs: [b], retries: 0}\n");
  // 'x-defaults' is not a known key: extension keys are not part of version 1.
  ASSERT_EQ(r.diagnostics.size(), 1u) << r.FormatErrors();
  ExpectDiag(r.diagnostics[0], 3, 1, "unknown key 'x-defaults' at the top level");

  r = Load(
      "version: 1\n"
      "pools: {docker: 1}\n"
      "targets:\n"
      "  a: &a {pool: docker, retries: 2, command: make a, inputs: [a]}\n"
      "  b: {<<: *a, command: make b, retries: 0}\n");
  ASSERT_TRUE(r.description) << r.FormatErrors();
  const Target* b = r.description->FindTarget("b");
  EXPECT_EQ(b->pool, "docker");
  EXPECT_EQ(b->retries, 0);
  EXPECT_EQ(b->command, "make b");
  EXPECT_EQ(b->inputs, (std::vector<std::string>{"a"}));
}

TEST(DescriptionLoaderTest, Load_NullOptionalListsAndMapsReadAsEmpty) {
  LoadResult r = Load("version: 1\npools:\nglobal_inputs:\ntargets:\n");
  ASSERT_TRUE(r.description) << r.FormatErrors();
  EXPECT_TRUE(r.description->pools.empty());
  EXPECT_TRUE(r.description->targets.empty());
}

// --- Document-level errors ----------------------------------------------------------------

TEST(DescriptionLoaderTest, Load_EmptyFileIsAnErrorWithoutLocation) {
  Diagnostic d = One(Load(""));
  ExpectDiag(d, 0, 0, "the description is empty", "help: start it with 'version: 1'");
  EXPECT_EQ(Load("").FormatErrors(),
            "fanout.yaml: error: the description is empty\n"
            "help: start it with 'version: 1'\n"
            "1 error generated.\n");
}

TEST(DescriptionLoaderTest, Load_TopLevelListIsAnError) {
  ExpectDiag(One(Load("- version: 1\n")), 1, 1,
             "expected a mapping at the top level, found a list");
}

TEST(DescriptionLoaderTest, Load_YamlSyntaxErrorHasLineAndColumn) {
  Diagnostic d = One(Load("version: 1\ntargets:\n  a: [x\n"));
  EXPECT_EQ(d.mark.line, 4);
  EXPECT_EQ(d.message.rfind("invalid YAML: ", 0), 0u) << d.message;
}

TEST(DescriptionLoaderTest, Load_BillionLaughsIsAnErrorNotAnExplosion) {
  std::string text = "version: 1\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i <= 9; ++i) {
    // fmt, not "literal" + std::string: GCC 12 at -O3 reports a -Wrestrict false positive on
    // that operator (GCC bug 105329).
    const std::string prev = fmt::format("*a{}", i - 1);
    text += fmt::format("a{0}: &a{0} [", i);
    for (int j = 0; j < 10; ++j) text += (j ? ", " : "") + prev;
    text += "]\n";
  }
  Diagnostic d = One(Load(text));
  EXPECT_EQ(d.message, "the document expands to more than 1000000 nodes");
  EXPECT_EQ(d.mark.line, 7);  // a5 expands to more than 10^6 nodes on its own
}

TEST(DescriptionLoaderTest, Load_MissingVersionIsAnError) {
  ExpectDiag(One(Load("targets: {}\n")), 1, 1, "missing required key 'version'",
             "help: add 'version: 1' at the top of the file");
}

TEST(DescriptionLoaderTest, Load_UnsupportedVersionIsTheOnlyError) {
  // Under another version the other keys may mean something else: no more errors.
  ExpectDiag(One(Load("version: 2\nbogus: 1\ntargets: {}\n")), 1, 10,
             "unsupported description version 2", "note: this fanout reads version 1");
}

TEST(DescriptionLoaderTest, Load_QuotedVersionIsNotAnInteger) {
  ExpectDiag(One(Load("version: \"1\"\n")), 1, 10,
             "expected an integer for 'version', found a string",
             "help: remove the quotes to make it an integer");
}

TEST(DescriptionLoaderTest, Load_UnknownTopLevelKeySuggestsNearName) {
  ExpectDiag(One(Load("version: 1\ntaregts: {}\n")), 2, 1, "unknown key 'taregts' at the top level",
             "help: did you mean 'targets'?");
}

TEST(DescriptionLoaderTest, Load_UnknownTopLevelKeyWithoutNearNameListsValidKeys) {
  ExpectDiag(One(Load("version: 1\nwhatever: {}\n")), 2, 1,
             "unknown key 'whatever' at the top level",
             "note: valid keys are: version, pools, global_inputs, targets, post_submit, "
             "sandbox, build_dir");
}

TEST(DescriptionLoaderTest, Load_KeyThatIsNotAStringIsAnError) {
  ExpectDiag(One(Load("version: 1\n? [a, b]\n: 1\n")), 2, 3, "expected a key, found a list");
  ExpectDiag(One(Load("version: 1\npools:\n  ? {a: 1}\n  : 1\n")), 3, 5,
             "expected a pool name, found a mapping");
  ExpectDiag(One(Load("version: 1\ntargets:\n  ? [web]\n  : {command: c, inputs: [a]}\n")), 3, 5,
             "expected a target name, found a list");
  ExpectDiag(One(Load(WebWith("    env: {? [A]: x}\n"))), 8, 13,
             "expected a variable name, found a list");
}

TEST(DescriptionLoaderTest, Load_DisplayNameIsUsedInEveryDiagnostic) {
  LoadResult r = LoadDescriptionText("version: 1\nbogus: 1\n", "path/to/fanout.yaml");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].file, "path/to/fanout.yaml");
  EXPECT_EQ(r.FormatErrors().rfind("path/to/fanout.yaml:2:1: error: ", 0), 0u);
}

// --- Pools ---------------------------------------------------------------------------------

TEST(DescriptionLoaderTest, Load_PoolDepthBelowOneIsAnError) {
  ExpectDiag(One(Load("version: 1\npools:\n  docker: 0\n")), 3, 11,
             "pool depth must be at least 1, found 0",
             "note: the depth is how many targets of the pool may run at once");
  ExpectDiag(One(Load("version: 1\npools: {docker: -2}\n")), 2, 17,
             "pool depth must be at least 1, found -2");
}

TEST(DescriptionLoaderTest, Load_PoolDepthMustBeAnInteger) {
  ExpectDiag(One(Load("version: 1\npools:\n  docker: \"2\"\n")), 3, 11,
             "expected an integer for 'pool depth', found a string",
             "help: remove the quotes to make it an integer");
  ExpectDiag(One(Load("version: 1\npools:\n  docker: [2]\n")), 3, 11,
             "expected an integer for 'pool depth', found a list");
}

TEST(DescriptionLoaderTest, Load_PoolDepthTooLargeIsAnError) {
  ExpectDiag(One(Load("version: 1\npools:\n  docker: 4294967296\n")), 3, 11,
             "pool depth 4294967296 is too large");
}

TEST(DescriptionLoaderTest, Load_PoolNamedConsoleIsReserved) {
  ExpectDiag(One(Load("version: 1\npools:\n  console: 1\n")), 3, 3,
             "pool name 'console' is reserved",
             "note: Ninja predefines the 'console' pool; choose another name");
}

TEST(DescriptionLoaderTest, Load_InvalidPoolNameSaysWhatIsAllowed) {
  ExpectDiag(One(Load("version: 1\npools:\n  my pool: 1\n")), 3, 3, "invalid pool name 'my pool'",
             "note: a pool name starts with a letter or digit and holds only letters, digits, "
             "'.', '_' and '-'");
}

TEST(DescriptionLoaderTest, Load_PoolsMustBeAMapping) {
  ExpectDiag(One(Load("version: 1\npools: [docker]\n")), 2, 8,
             "expected a mapping for 'pools', found a list");
}

TEST(DescriptionLoaderTest, Load_UnknownPoolSuggestsNearName) {
  ExpectDiag(One(Load(WebWith("    pool: dokcer\n"))), 8, 11, "unknown pool 'dokcer'",
             "help: did you mean 'docker'?");
}

TEST(DescriptionLoaderTest, Load_UnknownPoolWithoutNearNameSaysWhereToDeclareIt) {
  ExpectDiag(One(Load(WebWith("    pool: gpu\n"))), 8, 11, "unknown pool 'gpu'",
             "help: declare it under the top-level 'pools' key");
}

TEST(DescriptionLoaderTest, Load_PoolWithBadDepthIsStillKnownToTargets) {
  // One error for the depth, none for the reference to the pool.
  ExpectDiag(One(Load("version: 1\npools: {gpu: 0}\ntargets:\n  t: {command: c, inputs: [a], "
                      "pool: gpu}\n")),
             2, 14, "pool depth must be at least 1, found 0");
}

// --- Target names, deps and cycles ------------------------------------------------------

TEST(DescriptionLoaderTest, Load_DuplicateTargetNameIsAnError) {
  LoadResult r = Load(
      "version: 1\ntargets:\n"
      "  web: {command: a, inputs: [a]}\n"
      "  api: {command: b, inputs: [b]}\n"
      "  web: {command: c, inputs: [c]}\n");
  ExpectDiag(One(r), 5, 3, "duplicate key 'web'",
             "note: 'web' is first defined at line 3, column 3");
}

TEST(DescriptionLoaderTest, Load_InvalidTargetNameSaysWhatIsAllowed) {
  const std::string note =
      "note: a target name starts with a letter or digit and holds only letters, digits, '.', "
      "'_' and '-'";
  for (const char* name : {"web/api", ".hidden", "-x", "a b", "_x"}) {
    SCOPED_TRACE(name);
    ExpectDiag(One(Load(std::string("version: 1\ntargets:\n  \"") + name +
                        "\": {command: c, inputs: [a]}\n")),
               3, 3, "invalid target name '" + std::string(name) + "'", note);
  }
}

// Found by fuzz_ninja_writer in CI: a target named with 270 bytes was accepted, and ninja
// could not stat its stamp (.fanout/stamps/NAME.stamp: "File name too long").
TEST(DescriptionLoaderTest, Load_TargetNameLongerThanAFileNameMayBeIsAnError) {
  const std::string longest(kMaxNameLength, 'r');
  LoadResult ok = Load("version: 1\ntargets:\n  " + longest + ": {command: c, inputs: [a]}\n");
  ASSERT_TRUE(ok.description.has_value());
  EXPECT_EQ(ok.description->targets.at(0).name, longest);

  const std::string too_long = longest + "b";
  const std::string note =
      "note: the name becomes a file name in the build directory (targets/NAME/, "
      ".fanout/stamps/NAME.stamp), and file names end at 255 bytes; shorten it";
  ExpectDiag(One(Load("version: 1\ntargets:\n  " + too_long + ": {command: c, inputs: [a]}\n")), 3,
             3, "target name is 129 bytes long, more than 128", note);
  ExpectDiag(One(Load("version: 1\npools:\n  " + too_long +
                      ": 2\ntargets:\n"
                      "  a: {command: c, inputs: [a]}\n")),
             3, 3, "pool name is 129 bytes long, more than 128", note);
}

TEST(DescriptionLoaderTest, Load_ReservedTargetNamesAreErrors) {
  for (const char* name : {"all", "gather", "post_submit", "build.ninja", "manifest.json"}) {
    SCOPED_TRACE(name);
    ExpectDiag(
        One(Load(std::string("version: 1\ntargets:\n  ") + name + ": {command: c, inputs: [a]}\n")),
        3, 3, "target name '" + std::string(name) + "' is reserved",
        "note: 'all', 'gather', 'post_submit', 'build.ninja' and 'manifest.json' name steps and "
        "files of the generated build; rename the target");
  }
}

TEST(DescriptionLoaderTest, Load_TargetNamesMayUseDotsDashesUnderscoresAndDigits) {
  LoadResult r = Load("version: 1\ntargets:\n  1web_api-v2.0: {command: c, inputs: [a]}\n");
  ASSERT_TRUE(r.description) << r.FormatErrors();
}

TEST(DescriptionLoaderTest, Load_TargetBodyMustBeAMapping) {
  ExpectDiag(One(Load("version: 1\ntargets:\n  web: make\n")), 3, 8,
             "expected a mapping for target 'web', found a string");
  ExpectDiag(One(Load("version: 1\ntargets:\n  web:\n")), 3, 3,
             "expected a mapping for target 'web', found null",
             "help: give it at least a 'command' and its 'inputs'");
}

TEST(DescriptionLoaderTest, Load_UnknownDepSuggestsNearName) {
  ExpectDiag(One(Load(WebWith("    deps: [api]\n  base: {command: b, inputs: [b]}\n  "
                              "api2: {command: b, inputs: [b]}\n"))),
             8, 12, "unknown dependency 'api' of target 'web'", "help: did you mean 'api2'?");
  ExpectDiag(One(Load(WebWith("    deps: [bsae]\n  base: {command: b, inputs: [b]}\n"))), 8, 12,
             "unknown dependency 'bsae' of target 'web'", "help: did you mean 'base'?");
}

TEST(DescriptionLoaderTest, Load_UnknownDepWithoutNearNameHasNoSuggestion) {
  Diagnostic d = One(Load(WebWith("    deps: [zzzz]\n")));
  ExpectDiag(d, 8, 12, "unknown dependency 'zzzz' of target 'web'");
  EXPECT_TRUE(d.notes.empty());
}

TEST(DescriptionLoaderTest, Load_DepOnAnInvalidTargetIsNotASecondError) {
  ExpectDiag(One(Load("version: 1\ntargets:\n  a: {command: c, inputs: [a], deps: [b]}\n"
                      "  b: {command: c}\n")),
             4, 3, "target 'b' has no inputs");
}

TEST(DescriptionLoaderTest, Load_TargetDependingOnItselfIsAnError) {
  ExpectDiag(One(Load(WebWith("    deps: [web]\n"))), 8, 12, "target 'web' depends on itself");
}

TEST(DescriptionLoaderTest, Load_EmptyDependencyNameIsAnError) {
  ExpectDiag(One(Load(WebWith("    deps: [\"\"]\n"))), 8, 12, "empty name in 'deps'");
}

TEST(DescriptionLoaderTest, Load_DuplicateDependencyIsAnError) {
  ExpectDiag(One(Load(WebWith("    deps: [b, b]\n  b: {command: b, inputs: [b]}\n"))), 8, 15,
             "dependency 'b' is listed twice");
}

TEST(DescriptionLoaderTest, Load_DependencyCycleIsPrintedAtItsFirstTarget) {
  LoadResult r = Load(
      "version: 1\ntargets:\n"
      "  c: {command: c, inputs: [c], deps: [a]}\n"
      "  b: {command: b, inputs: [b], deps: [c]}\n"
      "  a: {command: a, inputs: [a], deps: [b]}\n");
  ExpectDiag(One(r), 5, 3, "dependency cycle: a -> b -> c -> a");
}

TEST(DescriptionLoaderTest, Load_EachSeparateCycleIsReported) {
  LoadResult r = Load(
      "version: 1\ntargets:\n"
      "  a: {command: a, inputs: [a], deps: [b]}\n"
      "  b: {command: b, inputs: [b], deps: [a]}\n"
      "  x: {command: x, inputs: [x], deps: [y, a]}\n"
      "  y: {command: y, inputs: [y], deps: [x]}\n");
  ASSERT_EQ(r.diagnostics.size(), 2u) << r.FormatErrors();
  ExpectDiag(r.diagnostics[0], 3, 3, "dependency cycle: a -> b -> a");
  ExpectDiag(r.diagnostics[1], 5, 3, "dependency cycle: x -> y -> x");
}

TEST(DescriptionLoaderTest, Load_CycleFollowsTheShortestWayBack) {
  LoadResult r = Load(
      "version: 1\ntargets:\n"
      "  a: {command: a, inputs: [a], deps: [b, c]}\n"
      "  b: {command: b, inputs: [b], deps: [c]}\n"
      "  c: {command: c, inputs: [c], deps: [a]}\n");
  ExpectDiag(One(r), 3, 3, "dependency cycle: a -> c -> a");
}

TEST(DescriptionLoaderTest, Load_DiamondIsNotACycle) {
  LoadResult r = Load(
      "version: 1\ntargets:\n"
      "  a: {command: a, inputs: [a], deps: [b, c]}\n"
      "  b: {command: b, inputs: [b], deps: [d]}\n"
      "  c: {command: c, inputs: [c], deps: [d]}\n"
      "  d: {command: d, inputs: [d]}\n");
  EXPECT_TRUE(r.description) << r.FormatErrors();
}

// --- command and inputs -------------------------------------------------------------------

TEST(DescriptionLoaderTest, Load_MissingCommandIsAnErrorAtTheTargetName) {
  ExpectDiag(One(Load(std::string(kHeader) + "  web:\n    inputs: [a]\n")), 5, 3,
             "target 'web' has no 'command'",
             "help: add 'command: ...' with the shell command that builds it, or 'image:' for a "
             "container image");
}

TEST(DescriptionLoaderTest, Load_EmptyCommandIsAnError) {
  ExpectDiag(One(Load(std::string(kHeader) + "  web:\n    command: \"  \"\n    inputs: [a]\n")), 6,
             14, "'command' must not be empty");
}

TEST(DescriptionLoaderTest, Load_CommandMustBeAString) {
  ExpectDiag(One(Load(std::string(kHeader) + "  web:\n    command: [make]\n    inputs: [a]\n")), 6,
             14, "expected a string for 'command', found a list");
}

TEST(DescriptionLoaderTest, Load_MissingInputsIsAnError) {
  ExpectDiag(One(Load(std::string(kHeader) + "  web:\n    command: make\n")), 5, 3,
             "target 'web' has no inputs",
             "help: list the files it reads (e.g. 'inputs: [src/**]'), or set 'checkout: full' "
             "to give it the whole tree");
}

TEST(DescriptionLoaderTest, Load_EmptyInputsIsAnErrorAtTheList) {
  ExpectDiag(One(Load(std::string(kHeader) + "  web:\n    command: make\n    inputs: []\n")), 7, 13,
             "target 'web' has no inputs");
}

TEST(DescriptionLoaderTest, Load_NoInputsIsFineWithFullCheckout) {
  LoadResult r = Load(std::string(kHeader) + "  web:\n    command: make\n    checkout: full\n");
  ASSERT_TRUE(r.description) << r.FormatErrors();
  EXPECT_EQ(r.description->targets[0].checkout, Checkout::kFull);
}

TEST(DescriptionLoaderTest, Load_InputsAsAScalarSuggestsAList) {
  ExpectDiag(One(Load(std::string(kHeader) + "  web:\n    command: make\n    inputs: src/**\n")), 7,
             13, "expected a list for 'inputs', found a string", "help: write a list: [src/**]");
}

TEST(DescriptionLoaderTest, Load_InputThatIsNotAStringIsAnError) {
  ExpectDiag(One(Load(WebWith("    artifacts: [{a: 1}]\n"))), 8, 17,
             "expected a string for 'artifacts', found a mapping");
}

TEST(DescriptionLoaderTest, Load_OnlyExcludedInputsMatchNothing) {
  ExpectDiag(
      One(Load(std::string(kHeader) + "  web:\n    command: make\n    inputs: [\"!docs/**\"]\n")),
      7, 13, "every pattern in 'inputs' is an exclude ('!'), so it matches nothing",
      "help: add the patterns to include before the excludes, e.g. '**'");
}

TEST(DescriptionLoaderTest, Load_MalformedGlobPointsInsideAPlainScalar) {
  // Column 7 of "    - src/[ab" is 's'; the '[' is 4 further on.
  Diagnostic d =
      One(Load(std::string(kHeader) + "  web:\n    command: make\n    inputs:\n    - src/[ab\n"));
  EXPECT_EQ(d.mark.line, 8);
  EXPECT_EQ(d.mark.column, 11);
  EXPECT_EQ(d.message.rfind("invalid pattern 'src/[ab' in 'inputs': unclosed '['", 0), 0u)
      << d.message;
}

TEST(DescriptionLoaderTest, Load_MalformedGlobInAQuotedExcludeCountsTheQuoteAndBang) {
  // 'inputs: [a, "!src/[ab"]': the quote is at column 17, '!' at 18, '[' at 23.
  Diagnostic d = One(
      Load(std::string(kHeader) + "  web:\n    command: make\n    inputs: [a, \"!src/[ab\"]\n"));
  EXPECT_EQ(d.mark.line, 7);
  EXPECT_EQ(d.mark.column, 23);
  EXPECT_EQ(d.message.rfind("invalid pattern '!src/[ab' in 'inputs': ", 0), 0u) << d.message;
}

TEST(DescriptionLoaderTest, Load_EveryMalformedGlobIsReported) {
  LoadResult r = Load(std::string(kHeader) +
                      "  web:\n    command: make\n    inputs: [\"a/[x\", ok/**, \"b//c\"]\n");
  ASSERT_EQ(r.diagnostics.size(), 2u) << r.FormatErrors();
  EXPECT_EQ(r.diagnostics[0].mark.column, 17);  // the '[' of "a/[x" (quote at 14)
  EXPECT_EQ(r.diagnostics[1].mark.line, 7);
}

TEST(DescriptionLoaderTest, Load_EmptyPatternIsAnError) {
  ExpectDiag(One(Load(WebWith("    artifacts: [a, \"\"]\n"))), 8, 20,
             "empty pattern in 'artifacts'");
  ExpectDiag(One(Load(WebWith("    artifacts: [a, \"!\"]\n"))), 8, 20,
             "pattern '!' in 'artifacts' is empty after '!'");
}

TEST(DescriptionLoaderTest, Load_AbsoluteInputIsAnError) {
  ExpectDiag(One(Load(WebWith("    artifacts: [/tmp/out.tar]\n"))), 8, 17,
             "absolute path '/tmp/out.tar' in 'artifacts'",
             "note: artifacts are relative paths, looked up in $FANOUT_OUT and then in the "
             "workspace");
  ExpectDiag(One(Load("version: 1\nglobal_inputs: [Makefile, \"!/etc\"]\n")), 2, 29,
             "absolute path '!/etc' in 'global_inputs'",
             "note: paths are relative to the repository root");
}

TEST(DescriptionLoaderTest, Load_DotDotSegmentIsAnErrorAtTheSegment) {
  ExpectDiag(One(Load(WebWith("    artifacts: [out/../../x]\n"))), 8, 21,
             "pattern 'out/../../x' in 'artifacts' has a '..' segment",
             "note: artifacts cannot leave their directory");
  ExpectDiag(One(Load("version: 1\nglobal_inputs: [..]\n")), 2, 17,
             "pattern '..' in 'global_inputs' has a '..' segment",
             "note: patterns cannot leave the repository");
}

TEST(DescriptionLoaderTest, Load_ArtifactGlobsAreAllowed) {
  LoadResult r = Load(WebWith("    artifacts: [\"dist/*.tar\", reports/**]\n"));
  ASSERT_TRUE(r.description) << r.FormatErrors();
  EXPECT_EQ(r.description->targets[0].artifacts,
            (std::vector<std::string>{"dist/*.tar", "reports/**"}));
}

TEST(DescriptionLoaderTest, Load_GlobalInputsMustBeAList) {
  ExpectDiag(One(Load("version: 1\nglobal_inputs: {a: 1}\n")), 2, 16,
             "expected a list for 'global_inputs', found a mapping");
}

// --- Scalar fields ------------------------------------------------------------------------

TEST(DescriptionLoaderTest, Load_UnknownTargetKeySuggestsDeps) {
  ExpectDiag(One(Load(WebWith("    dpes: [x]\n"))), 8, 5, "unknown key 'dpes' in target 'web'",
             "help: did you mean 'deps'?");
}

TEST(DescriptionLoaderTest, Load_UnknownTargetKeyWithoutNearNameListsValidKeys) {
  ExpectDiag(One(Load(WebWith("    flavour: x\n"))), 8, 5, "unknown key 'flavour' in target 'web'",
             "note: valid keys are: command, inputs, deps, pool, artifacts, env, pass_env, "
             "sockets, timeout, retries, network, cache, checkout, limits, image, log_limit, "
             "inputs_from");
}

TEST(DescriptionLoaderTest, Load_TimeoutAcceptsUnitsAndBareSeconds) {
  const std::pair<const char*, std::int64_t> cases[] = {
      {"90s", 90},       {"30m", 1800}, {"1h", 3600},   {"1h30m", 5400},
      {"2h5m10s", 7510}, {"45", 45},    {"\"45\"", 45}, {"1m30s", 90}};
  for (const auto& [text, seconds] : cases) {
    SCOPED_TRACE(text);
    LoadResult r = Load(WebWith("    timeout: " + std::string(text) + "\n"));
    ASSERT_TRUE(r.description) << r.FormatErrors();
    EXPECT_EQ(r.description->targets[0].timeout_seconds, seconds);
  }
}

TEST(DescriptionLoaderTest, Load_ZeroTimeoutIsAnError) {
  ExpectDiag(One(Load(WebWith("    timeout: 0\n"))), 8, 14,
             "'timeout' must be greater than zero, found '0'");
  ExpectDiag(One(Load(WebWith("    timeout: 0m\n"))), 8, 14,
             "'timeout' must be greater than zero, found '0m'");
}

TEST(DescriptionLoaderTest, Load_NegativeTimeoutIsAnError) {
  ExpectDiag(One(Load(WebWith("    timeout: -5\n"))), 8, 14,
             "'timeout' must be greater than zero, found '-5'");
  ExpectDiag(One(Load(WebWith("    timeout: -1h\n"))), 8, 14,
             "'timeout' must be greater than zero, found '-1h'");
}

TEST(DescriptionLoaderTest, Load_MalformedTimeoutIsAnError) {
  for (const char* text : {"30x", "1.5h", "30m1h", "1h1h", "h", "30 m", "1d"}) {
    SCOPED_TRACE(text);
    ExpectDiag(One(Load(WebWith("    timeout: " + std::string(text) + "\n"))), 8, 14,
               "invalid duration '" + std::string(text) + "' for 'timeout'",
               "help: write a number of seconds, or h, m and s units, e.g. '90s', '30m', "
               "'1h30m'");
  }
}

TEST(DescriptionLoaderTest, Load_RetriesOutOfRangeIsAnError) {
  ExpectDiag(One(Load(WebWith("    retries: 11\n"))), 8, 14,
             "'retries' must be between 0 and 10, found 11");
  ExpectDiag(One(Load(WebWith("    retries: -1\n"))), 8, 14,
             "'retries' must be between 0 and 10, found -1");
}

TEST(DescriptionLoaderTest, Load_RetriesMustBeAnInteger) {
  ExpectDiag(One(Load(WebWith("    retries: two\n"))), 8, 14,
             "expected an integer for 'retries', found a string");
  ExpectDiag(One(Load(WebWith("    retries: 99999999999999999999\n"))), 8, 14,
             "integer 99999999999999999999 for 'retries' is out of range");
}

TEST(DescriptionLoaderTest, Load_NetworkYesIsNotABoolean) {
  ExpectDiag(One(Load(WebWith("    network: yes\n"))), 8, 14,
             "expected true or false for 'network', found 'yes'",
             "help: write 'true'; YAML 1.1 words such as 'yes' and 'off' are not booleans here");
  ExpectDiag(One(Load(WebWith("    network: off\n"))), 8, 14,
             "expected true or false for 'network', found 'off'",
             "help: write 'false'; YAML 1.1 words such as 'yes' and 'off' are not booleans here");
}

TEST(DescriptionLoaderTest, Load_NetworkMustBeABoolean) {
  ExpectDiag(One(Load(WebWith("    network: \"true\"\n"))), 8, 14,
             "expected true or false for 'network', found a string",
             "help: remove the quotes to make it a boolean");
  ExpectDiag(One(Load(WebWith("    network: 1\n"))), 8, 14,
             "expected true or false for 'network', found an integer");
}

TEST(DescriptionLoaderTest, Load_CheckoutMustBeInputsOrFull) {
  ExpectDiag(One(Load(WebWith("    checkout: ful\n"))), 8, 15,
             "invalid 'checkout' value 'ful'; expected 'inputs' or 'full'",
             "help: did you mean 'full'?");
}

TEST(DescriptionLoaderTest, Load_EnvMustBeAMapping) {
  ExpectDiag(One(Load(WebWith("    env: [A=1]\n"))), 8, 10,
             "expected a mapping for 'env', found a list");
}

TEST(DescriptionLoaderTest, Load_EnvValueThatIsAListIsAnError) {
  ExpectDiag(One(Load(WebWith("    env:\n      A: [1]\n"))), 9, 10,
             "expected a string for environment variable 'A', found a list");
}

TEST(DescriptionLoaderTest, Load_EnvValueThatIsNullIsAnError) {
  ExpectDiag(One(Load(WebWith("    env:\n      A:\n      B: x\n"))), 9, 9,
             "environment variable 'A' has no value",
             "help: write \"\" for an empty value, or list it in 'pass_env' to pass it through");
}

TEST(DescriptionLoaderTest, Load_InvalidEnvNameIsAnError) {
  ExpectDiag(One(Load(WebWith("    env: {1ABC: x}\n"))), 8, 11,
             "invalid environment variable name '1ABC'",
             "note: a name holds letters, digits and '_', and does not start with a digit");
}

TEST(DescriptionLoaderTest, Load_InvalidPassEnvNameIsAnError) {
  ExpectDiag(One(Load(WebWith("    pass_env: [HOME, \"MY-VAR\"]\n"))), 8, 22,
             "invalid environment variable name 'MY-VAR' in 'pass_env'");
}

TEST(DescriptionLoaderTest, Load_PassEnvMustBeAList) {
  ExpectDiag(One(Load(WebWith("    pass_env: HOME\n"))), 8, 15,
             "expected a list for 'pass_env', found a string", "help: write a list: [HOME]");
}

TEST(DescriptionLoaderTest, Load_LimitsAcceptSizeSuffixes) {
  const std::pair<const char*, std::uint64_t> cases[] = {
      {"4096", 4096},     {"512K", 512ull << 10}, {"512M", 512ull << 20},
      {"4G", 4ull << 30}, {"1T", 1ull << 40},     {"2g", 2ull << 30}};
  for (const auto& [text, bytes] : cases) {
    SCOPED_TRACE(text);
    LoadResult r = Load(WebWith("    limits: {memory: " + std::string(text) + "}\n"));
    ASSERT_TRUE(r.description) << r.FormatErrors();
    EXPECT_EQ(r.description->targets[0].limits.memory_bytes, bytes);
  }
}

TEST(DescriptionLoaderTest, Load_BadMemorySizeIsAnError) {
  ExpectDiag(One(Load(WebWith("    limits:\n      memory: 4GB\n"))), 9, 15,
             "invalid size '4GB' for 'memory'",
             "help: write bytes, or a number with a K, M, G or T suffix (powers of 1024), e.g. "
             "'512M', '4G'");
  ExpectDiag(One(Load(WebWith("    limits:\n      memory: 0\n"))), 9, 15,
             "'memory' must be greater than zero");
}

TEST(DescriptionLoaderTest, Load_LimitsPidsAndNofileMustBePositive) {
  ExpectDiag(One(Load(WebWith("    limits: {pids: 0}\n"))), 8, 20,
             "'pids' must be at least 1, found 0");
  ExpectDiag(One(Load(WebWith("    limits: {nofile: \"4096\"}\n"))), 8, 22,
             "expected an integer for 'nofile', found a string");
}

TEST(DescriptionLoaderTest, Load_UnknownLimitKeySuggestsNearName) {
  ExpectDiag(One(Load(WebWith("    limits: {memroy: 1G}\n"))), 8, 14,
             "unknown key 'memroy' in 'limits'", "help: did you mean 'memory'?");
}

TEST(DescriptionLoaderTest, Load_TmpLimitReadsASizeLikeMemory) {
  LoadResult r = Load(WebWith("    limits: {tmp: 2G, memory: 512M}\n"));
  ASSERT_TRUE(r.description) << r.FormatErrors();
  EXPECT_EQ(r.description->targets[0].limits.tmp_bytes, 2ull << 30);
  EXPECT_EQ(r.description->targets[0].limits.memory_bytes, 512ull << 20);
  LoadResult unset = Load(WebWith(""));
  ASSERT_TRUE(unset.description) << unset.FormatErrors();
  EXPECT_EQ(unset.description->targets[0].limits.tmp_bytes, 0u);
}

TEST(DescriptionLoaderTest, Load_BadTmpSizeIsAnError) {
  ExpectDiag(One(Load(WebWith("    limits: {tmp: 1GiB}\n"))), 8, 19,
             "invalid size '1GiB' for 'tmp'",
             "help: write bytes, or a number with a K, M, G or T suffix (powers of 1024), e.g. "
             "'512M', '4G'");
  ExpectDiag(One(Load(WebWith("    limits: {tmp: 0}\n"))), 8, 19,
             "'tmp' must be greater than zero");
}

TEST(DescriptionLoaderTest, Load_SocketsAreReadWithTheirMarks) {
  LoadResult r =
      Load(WebWith("    sockets: [/var/run/docker.sock, \"/run/user/1000/ssh agent.sock\"]\n"
                   "    pass_env: [A, B]\n"));
  ASSERT_TRUE(r.description) << r.FormatErrors();
  const Target& t = r.description->targets[0];
  EXPECT_EQ(t.sockets,
            (std::vector<std::string>{"/var/run/docker.sock", "/run/user/1000/ssh agent.sock"}));
  ASSERT_EQ(t.socket_marks.size(), 2u);
  EXPECT_EQ(t.socket_marks[0].line, 8);
  EXPECT_EQ(t.socket_marks[0].column, 15);
  EXPECT_EQ(t.socket_marks[1].column, 37);
  ASSERT_EQ(t.pass_env_marks.size(), 2u);
  EXPECT_EQ(t.pass_env_marks[1].line, 9);
  EXPECT_EQ(t.pass_env_marks[1].column, 19);
  LoadResult none = Load(WebWith(""));
  ASSERT_TRUE(none.description) << none.FormatErrors();
  EXPECT_TRUE(none.description->targets[0].sockets.empty());
}

TEST(DescriptionLoaderTest, Load_SocketPathMustBeAbsolute) {
  ExpectDiag(One(Load(WebWith("    sockets: [var/run/docker.sock]\n"))), 8, 15,
             "socket path 'var/run/docker.sock' in 'sockets' is not absolute",
             "help: write the host path from the root, e.g. '/var/run/docker.sock'");
  ExpectDiag(One(Load(WebWith("    sockets: [/]\n"))), 8, 15,
             "socket path '/' in 'sockets' names the root directory");
}

TEST(DescriptionLoaderTest, Load_SocketPathMustBeNormalized) {
  // Each error points at the part that is wrong (column 15 is the path's first character).
  ExpectDiag(One(Load(WebWith("    sockets: [/var/run/../run/docker.sock]\n"))), 8, 24,
             "socket path '/var/run/../run/docker.sock' in 'sockets' has a '..' component",
             "help: write it normalized: '/var/run/docker.sock'");
  ExpectDiag(One(Load(WebWith("    sockets: [/var/./run/docker.sock]\n"))), 8, 20,
             "socket path '/var/./run/docker.sock' in 'sockets' has a '.' component",
             "help: write it normalized: '/var/run/docker.sock'");
  ExpectDiag(One(Load(WebWith("    sockets: [/var//run/docker.sock]\n"))), 8, 19,
             "socket path '/var//run/docker.sock' in 'sockets' has an empty component ('//')",
             "help: write it normalized: '/var/run/docker.sock'");
  ExpectDiag(One(Load(WebWith("    sockets: [\"/run/docker/\"]\n"))), 8, 27,
             "socket path '/run/docker/' in 'sockets' ends with '/'",
             "help: name the socket file itself, without the trailing '/'");
}

TEST(DescriptionLoaderTest, Load_SocketListedTwiceIsAnError) {
  ExpectDiag(One(Load(WebWith("    sockets: [/run/a.sock, /run/b.sock, /run/a.sock]\n"))), 8, 41,
             "socket '/run/a.sock' is listed twice in 'sockets'");
}

TEST(DescriptionLoaderTest, Load_SocketsMustBeAListOfStrings) {
  ExpectDiag(One(Load(WebWith("    sockets: /var/run/docker.sock\n"))), 8, 14,
             "expected a list for 'sockets', found a string",
             "help: write a list: [/var/run/docker.sock]");
  ExpectDiag(One(Load(WebWith("    sockets: [\"\"]\n"))), 8, 15, "empty path in 'sockets'");
  ExpectDiag(One(Load(WebWith("    sockets: [{a: 1}]\n"))), 8, 15,
             "expected a string for 'sockets', found a mapping");
}

TEST(DescriptionLoaderTest, Load_SandboxMustBeRequiredOrPreferred) {
  ExpectDiag(One(Load("version: 1\nsandbox: requried\n")), 2, 10,
             "invalid 'sandbox' value 'requried'; expected 'required' or 'preferred'",
             "help: did you mean 'required'?");
}

TEST(DescriptionLoaderTest, Load_PostSubmitNeedsACommand) {
  ExpectDiag(One(Load("version: 1\npost_submit:\n  when: always\n")), 2, 1,
             "'post_submit' has no 'command'",
             "help: add 'command: ...' with the shell command to run after the gather");
}

TEST(DescriptionLoaderTest, Load_PostSubmitWhenMustBeSuccessOrAlways) {
  ExpectDiag(One(Load("version: 1\npost_submit: {command: push, when: never}\n")), 2, 36,
             "invalid 'when' value 'never'; expected 'success' or 'always'");
}

TEST(DescriptionLoaderTest, Load_UnknownPostSubmitKeyIsAnError) {
  ExpectDiag(One(Load("version: 1\npost_submit: {command: push, comand: x}\n")), 2, 30,
             "unknown key 'comand' in 'post_submit'", "help: did you mean 'command'?");
}

// --- Reporting ----------------------------------------------------------------------------

TEST(DescriptionLoaderTest, Load_ReportsEveryErrorInDocumentOrderGolden) {
  LoadResult r = Load(
      "version: 1\n"
      "pools:\n"
      "  docker: 2\n"
      "  console: 1\n"
      "targets:\n"
      "  runtime:\n"
      "    command: ./build.sh\n"
      "    inputs: [python/**]\n"
      "    dpes: [base]\n"
      "    deps: [bsae]\n"
      "    timeout: 30x\n"
      "  base:\n"
      "    command: docker build .\n"
      "    inputs: [docker/base/**]\n"
      "    pool: dokcer\n");
  EXPECT_FALSE(r.description);
  EXPECT_EQ(r.FormatErrors(),
            "fanout.yaml:4:3: error: pool name 'console' is reserved\n"
            "  console: 1\n"
            "  ^\n"
            "note: Ninja predefines the 'console' pool; choose another name\n"
            "fanout.yaml:9:5: error: unknown key 'dpes' in target 'runtime'\n"
            "    dpes: [base]\n"
            "    ^\n"
            "help: did you mean 'deps'?\n"
            "fanout.yaml:10:12: error: unknown dependency 'bsae' of target 'runtime'\n"
            "    deps: [bsae]\n"
            "           ^\n"
            "help: did you mean 'base'?\n"
            "fanout.yaml:11:14: error: invalid duration '30x' for 'timeout'\n"
            "    timeout: 30x\n"
            "             ^\n"
            "help: write a number of seconds, or h, m and s units, e.g. '90s', '30m', '1h30m'\n"
            "fanout.yaml:15:11: error: unknown pool 'dokcer'\n"
            "    pool: dokcer\n"
            "          ^\n"
            "help: did you mean 'docker'?\n"
            "5 errors generated.\n");
}

TEST(DescriptionLoaderTest, Load_DuplicateKeyAndValidationErrorsAreBothReported) {
  LoadResult r = Load(WebWith("    retries: 20\n    retries: 1\n"));
  ASSERT_EQ(r.diagnostics.size(), 2u) << r.FormatErrors();
  ExpectDiag(r.diagnostics[0], 8, 14, "'retries' must be between 0 and 10, found 20");
  ExpectDiag(r.diagnostics[1], 9, 5, "duplicate key 'retries'");
}

TEST(DescriptionLoaderTest, Load_ErrorsAreCappedAtFifty) {
  std::string text = "version: 1\ntargets:\n";
  for (int i = 0; i < 60; ++i) text += "  t" + std::to_string(i) + ": {inputs: [a]}\n";
  LoadResult r = Load(text);
  ASSERT_EQ(r.diagnostics.size(), 50u);
  EXPECT_EQ(r.omitted, 10u);
  EXPECT_EQ(r.diagnostics.back().mark.line, 52);  // the first fifty, in document order
  const std::string out = r.FormatErrors();
  const std::string tail = "too many errors: showing the first 50 of 60\n60 errors generated.\n";
  ASSERT_GE(out.size(), tail.size());
  EXPECT_EQ(out.substr(out.size() - tail.size()), tail);
}

TEST(DescriptionLoaderTest, Load_ShownErrorsKeepTheirSuggestionsInAHugeBrokenFile) {
  // 3,000 misspelt deps among 3,000 targets: suggestions are computed within a budget, and the
  // errors that are shown (the first fifty) still have theirs.
  std::string text = "version: 1\ntargets:\n";
  auto name = [](int i) {
    std::string digits = std::to_string(i);
    return std::string(4 - digits.size(), '0') + digits;
  };
  for (int i = 0; i < 3000; ++i) {
    text +=
        "  t" + name(i) + ": {command: c, inputs: [a], deps: [s" + name((i + 1) % 3000) + "]}\n";
  }
  LoadResult r = Load(text);
  ASSERT_EQ(r.diagnostics.size(), 50u);
  EXPECT_EQ(r.omitted, 2950u);
  for (int i = 0; i < 50; ++i) {
    const Diagnostic& d = r.diagnostics[i];
    EXPECT_EQ(d.message, "unknown dependency 's" + name(i + 1) + "' of target 't" + name(i) + "'");
    ASSERT_EQ(d.notes.size(), 1u);
    EXPECT_EQ(d.notes[0], "help: did you mean 't" + name(i + 1) + "'?");
  }
}

TEST(DescriptionLoaderTest, LoadDescription_ReadsAValidFile) {
  testing::TempDir dir;
  testing::WriteFile(dir / "fanout.yaml", kDesignExample);
  Expected<Description> d = LoadDescription(dir / "fanout.yaml");
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->targets.size(), 2u);
}

TEST(DescriptionLoaderTest, LoadDescription_ErrorsAreExitCodeTwoWithTheRenderedText) {
  testing::TempDir dir;
  const std::string path = dir / "fanout.yaml";
  testing::WriteFile(path, "version: 1\nbogus: 1\n");
  Expected<Description> d = LoadDescription(path);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().exit_code, kExitUsage);
  EXPECT_EQ(d.error().message, path + ":2:1: error: unknown key 'bogus' at the top level\n" +
                                   "bogus: 1\n^\n" +
                                   "note: valid keys are: version, pools, global_inputs, "
                                   "targets, post_submit, sandbox, build_dir\n" +
                                   "1 error generated.\n");
}

TEST(DescriptionLoaderTest, LoadDescription_MissingFileIsOneErrorWithoutLocation) {
  testing::TempDir dir;
  const std::string path = dir / "nope.yaml";
  Expected<Description> d = LoadDescription(path);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().exit_code, kExitUsage);
  EXPECT_EQ(d.error().message, path + ": error: cannot read '" + path +
                                   "': No such file or directory\n1 error generated.\n");
}

}  // namespace
}  // namespace fanout

namespace fanout {
namespace {

// Lines 5-8: an image target `app` with a dependency `base` (line 9 on: `base`, then extras).
std::string ImageTarget(const std::string& image, const std::string& extra = "") {
  return std::string(kHeader) + "  app:\n    deps: [base]\n    sockets: [/var/run/docker.sock]\n" +
         "    image:\n" + image + extra + "  base:\n    command: make\n    inputs: [base/**]\n";
}

TEST(DescriptionLoaderTest, Image_ContextDefaultsTheInputsAndTheDockerfile) {
  auto r =
      Load(ImageTarget("      context: docker/app\n      args: {BASE: \"{image:base}\"}\n"
                       "      tags: [\"reg/app:{short}\", \"reg/app:{target}-{digest}\"]\n"));
  ASSERT_TRUE(r.description) << r.FormatErrors();
  const Target* app = r.description->FindTarget("app");
  ASSERT_TRUE(app && app->image);
  EXPECT_EQ(app->image->context, "docker/app");
  EXPECT_EQ(app->image->DockerfilePath(), "docker/app/Dockerfile");
  // The context, less what its .dockerignore excludes (base/dockerignore.h), and always the
  // Dockerfile and both places of an ignore file.
  EXPECT_EQ(app->inputs,
            (std::vector<std::string>{
                "docker/app/**", "docker/app/Dockerfile", "docker/app/Dockerfile.dockerignore",
                "docker/app/.dockerignore", ":(dockerignore)docker/app//docker/app/Dockerfile"}));
  EXPECT_EQ(app->image->args.at("BASE"), "{image:base}");
  EXPECT_EQ(app->image->tags.size(), 2u);
  EXPECT_EQ(app->command, "");
}

TEST(DescriptionLoaderTest, Image_ADockerfileOutsideTheContextIsAnInputToo) {
  auto r = Load(ImageTarget("      context: .\n      dockerfile: docker/app.Dockerfile\n"));
  ASSERT_TRUE(r.description) << r.FormatErrors();
  EXPECT_EQ(
      r.description->FindTarget("app")->inputs,
      (std::vector<std::string>{"**", "docker/app.Dockerfile", "docker/app.Dockerfile.dockerignore",
                                ".dockerignore", ":(dockerignore).//docker/app.Dockerfile"}));
  r = Load(ImageTarget("      context: app\n      dockerfile: docker/app.Dockerfile\n"));
  ASSERT_TRUE(r.description) << r.FormatErrors();
  EXPECT_EQ(r.description->FindTarget("app")->inputs,
            (std::vector<std::string>{"app/**", "docker/app.Dockerfile",
                                      "docker/app.Dockerfile.dockerignore", "app/.dockerignore",
                                      ":(dockerignore)app//docker/app.Dockerfile"}));
}

TEST(DescriptionLoaderTest, Image_TheDockerignorePatternIsFanoutsOwn) {
  // Positive control: the same file name without the prefix is a pattern like any other.
  EXPECT_TRUE(Load(ImageTarget("      context: app\n", "    inputs: [\"app/**\"]\n")).description);
  LoadResult r = Load(ImageTarget("      context: app\n",
                                  "    inputs: [\":(dockerignore)app//app/Dockerfile\"]\n"));
  ASSERT_FALSE(r.description);
  EXPECT_NE(r.FormatErrors().find("starts with fanout's own prefix for a .dockerignore"),
            std::string::npos)
      << r.FormatErrors();
}

TEST(DescriptionLoaderTest, Image_ErrorsNameTheKeyAndSayWhatToDo) {
  ExpectDiag(One(Load(ImageTarget("      dockerfile: Dockerfile\n"))), 9, 7,
             "'image' of target 'app' has no 'context'");
  ExpectDiag(One(Load(ImageTarget("      context: ../up\n"))), 9, 16,
             "path '../up' for 'context' has a '..' component");
  ExpectDiag(One(Load(ImageTarget("      context: app\n      args: {BASE: \"{image:nope}\"}\n"))),
             10, 20,
             "build argument 'BASE' names '{image:nope}', which is not a dependency of 'app'");
  ExpectDiag(One(Load(ImageTarget("      context: app\n      tags: [\"r/app:{branch}\"]\n"))), 10,
             14, "unknown field '{branch}' in tag 'r/app:{branch}'");
  ExpectDiag(One(Load(ImageTarget("      context: app\n", "    command: make\n"))), 10, 5,
             "target 'app' has both 'image' and 'command'");
  ExpectDiag(One(Load(ImageTarget("      context: app\n      contxt: x\n"))), 10, 7,
             "unknown key 'contxt' in 'image' of target 'app'", "help: did you mean 'context'?");
}

TEST(DescriptionLoaderTest, Image_NeedsASocketForTheDaemon) {
  const std::string text = std::string(kHeader) + "  app:\n    image:\n      context: app\n";
  ExpectDiag(One(Load(text)), 6, 5, "image target 'app' has no socket for the Docker daemon");
}

TEST(DescriptionLoaderTest, Image_TheEngineIsDockerByDefaultOrBuildahWhichNeedsNoSocket) {
  auto r = Load(ImageTarget("      context: app\n"));
  ASSERT_TRUE(r.description) << r.FormatErrors();
  EXPECT_EQ(r.description->FindTarget("app")->image->engine, ImageEngine::kDocker);
  const std::string text =
      std::string(kHeader) + "  app:\n    image:\n      engine: buildah\n      context: app\n";
  r = Load(text);
  ASSERT_TRUE(r.description) << r.FormatErrors();
  EXPECT_EQ(r.description->FindTarget("app")->image->engine, ImageEngine::kBuildah);
  ExpectDiag(One(Load(ImageTarget("      context: app\n      engine: buildha\n"))), 10, 15,
             "invalid 'engine' value 'buildha'; expected 'docker' or 'buildah'",
             "help: did you mean 'buildah'?");
  ExpectDiag(One(Load(ImageTarget("      engine: buildah\n      context: app\n"
                                  "      cache_from: [\"type=registry,ref=r/app:cache\"]\n"))),
             11, 7,
             "'cache_from' of target 'app' is BuildKit's; the buildah engine does not take it");
}

TEST(DescriptionLoaderTest, Image_SecretsNameTheirSourceOnTheRunner) {
  auto r =
      Load(ImageTarget("      context: app\n      cache_to: [\"type=registry,ref=r/app:c\"]\n"
                       "      secrets:\n"
                       "        - {id: npmrc, file: ~/.npmrc}\n"
                       "        - {id: tok.en-1, env: NPM_TOKEN}\n"
                       "        - {id: key, file: /run/ci/key}\n"));
  ASSERT_TRUE(r.description) << r.FormatErrors();
  const ImageSpec& image = *r.description->FindTarget("app")->image;
  EXPECT_EQ(image.cache_to, std::vector<std::string>{"type=registry,ref=r/app:c"});
  ASSERT_EQ(image.secrets.size(), 3u);
  EXPECT_EQ(image.secrets[0], (ImageSecret{"npmrc", ImageSecret::Source::kFile, "~/.npmrc"}));
  EXPECT_EQ(image.secrets[1], (ImageSecret{"tok.en-1", ImageSecret::Source::kEnv, "NPM_TOKEN"}));
  EXPECT_EQ(image.secrets[2], (ImageSecret{"key", ImageSecret::Source::kFile, "/run/ci/key"}));
}

TEST(DescriptionLoaderTest, Image_SecretErrorsSayWhatIsWrongAndWhatToDo) {
  const std::string head = "      context: app\n      secrets:\n";
  ExpectDiag(One(Load(ImageTarget(head + "        - {file: /x}\n"))), 11, 11,
             "a secret of target 'app' has no 'id'");
  ExpectDiag(One(Load(ImageTarget(head + "        - {id: \"a b\", env: X}\n"))), 11, 16,
             "invalid secret id 'a b'");
  ExpectDiag(One(Load(ImageTarget(head + "        - {id: a, env: X, file: /x}\n"))), 11, 11,
             "secret 'a' of target 'app' has both 'file' and 'env'");
  ExpectDiag(One(Load(ImageTarget(head + "        - {id: a}\n"))), 11, 11,
             "secret 'a' of target 'app' has neither 'file' nor 'env'");
  // A secret never comes from the repository: a relative path is refused.
  ExpectDiag(One(Load(ImageTarget(head + "        - {id: a, file: keys/npmrc}\n"))), 11, 25,
             "secret file 'keys/npmrc' of target 'app' is not an absolute path to a file");
  ExpectDiag(One(Load(ImageTarget(head + "        - {id: a, file: /run/../etc/shadow}\n"))), 11, 25,
             "secret file '/run/../etc/shadow' of target 'app' is not an absolute path to a file");
  ExpectDiag(One(Load(ImageTarget(head + "        - {id: a, env: 1X}\n"))), 11, 24,
             "invalid variable name '1X'");
  ExpectDiag(
      One(Load(ImageTarget(head + "        - {id: a, env: X}\n        - {id: a, env: Y}\n"))), 12,
      16, "secret 'a' is declared twice in target 'app'");
  ExpectDiag(One(Load(ImageTarget(head + "        - {id: a, env: X, mode: 0400}\n"))), 11, 27,
             "unknown key 'mode' in a secret of target 'app'");
  ExpectDiag(One(Load(ImageTarget("      engine: buildah\n      context: app\n"
                                  "      cache_to: [\"type=local,dest=/c\"]\n"))),
             11, 7,
             "'cache_to' of target 'app' is BuildKit's; the buildah engine does not take it");
  std::string eight = head;
  for (char c = 'a'; c < 'i'; ++c) eight += std::string("        - {id: ") + c + ", env: X}\n";
  ExpectDiag(One(Load(ImageTarget(eight))), 10, 7,
             "target 'app' has 8 secrets; an image build takes at most 7");
  ExpectDiag(One(Load(ImageTarget("      engine: buildah\n      context: app\n"
                                  "      secrets: [{id: a, env: X}]\n"))),
             11, 7, "'secrets' of target 'app' cannot be mounted by the buildah engine");
  ExpectDiag(
      One(Load(ImageTarget("      context: app\n      cache_to: [\"mode=max,type=inline\"]\n"))),
      10, 18,
      "cache export 'mode=max,type=inline' of target 'app' would be lost: fanout keeps the image "
      "as an OCI layout, whose config has no room for BuildKit's inline cache");
}

}  // namespace
}  // namespace fanout
