// base/go_imports.h: the files a Go marker stands for, read from a tree (a map here) through
// PathFilter, as `inputs_from: {go: ...}` gets them, with the real Go toolchain (Debian's
// golang-go, which scripts/setup installs) answering `go list`.
#include "base/go_imports.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/file_util.h"
#include "base/glob.h"
#include "base/tree_map.h"

namespace fanout {
namespace {

bool HaveGo() { return system("go version >/dev/null 2>&1") == 0; }

#define REQUIRE_GO()                                                    \
  if (!HaveGo())                                                        \
  GTEST_SKIP() << "the Go toolchain ('go', Debian's golang-go) is not " \
                  "installed; scripts/setup installs it"

// A temporary directory for this test's cache (base/user_state.h), so that each test runs go.
class GoImports : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fanout-go-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    const char* old = getenv("XDG_CACHE_HOME");
    if (old) old_cache_ = old;
    had_cache_ = old != nullptr;
    setenv("XDG_CACHE_HOME", (dir_ + "/cache").c_str(), 1);
  }
  void TearDown() override {
    if (had_cache_) {
      setenv("XDG_CACHE_HOME", old_cache_.c_str(), 1);
    } else {
      unsetenv("XDG_CACHE_HOME");
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string dir_;
  std::string old_cache_;
  bool had_cache_ = false;
};

const Tree kMonorepo = {
    {"go.mod", "module example.com/mono\n\ngo 1.19\n"},
    {"go.sum", ""},
    {"README.md", "docs\n"},
    {"cmd/a/main.go",
     "package main\n\nimport (\n\t\"os\"\n\n\t\"example.com/mono/pkg/shared\"\n)\n\n"
     "func main() { os.Exit(shared.Code()) }\n"},
    {"cmd/b/main.go",
     "package main\n\nimport (\n\t\"example.com/mono/pkg/onlyb\"\n"
     "\tshared \"example.com/mono/pkg/shared\"\n)\n\nfunc main() { println(shared.Code() + "
     "onlyb.N) }\n"},
    {"pkg/shared/shared.go", "package shared\n\nfunc Code() int { return 0 }\n"},
    {"pkg/shared/shared_windows.go",
     "package shared\n\nimport _ \"example.com/mono/pkg/winonly\"\n"},
    {"pkg/shared/shared_test.go", "package shared\n"},
    {"pkg/shared/testdata/golden.txt", "x\n"},
    {"pkg/onlyb/onlyb.go", "package onlyb\n\nconst N = 1\n"},
    {"pkg/winonly/w.go", "package winonly\n"},
    {"pkg/unused/u.go", "package unused\n"},
    // Another module, nested: not part of example.com/mono.
    {"tools/go.mod", "module example.com/tools\n\ngo 1.19\n"},
    {"tools/pkg/shared/shared.go", "package shared\n"},
};

TEST_F(GoImports, ThePackagesImportClosureInItsModuleAndTheModuleFiles) {
  REQUIRE_GO();
  const auto a = Inputs(kMonorepo, GoMarker("cmd/a"));
  EXPECT_EQ(Paths(a),
            (std::set<std::string>{"go.mod", "go.sum", "cmd/a/main.go", "pkg/shared/shared.go",
                                   "pkg/shared/shared_test.go", "pkg/shared/shared_windows.go"}));
  EXPECT_EQ(a.at("pkg/shared/shared.go"),
            "inputs_from: go example.com/mono/cmd/a imports example.com/mono/pkg/shared");
  EXPECT_EQ(a.at("cmd/a/main.go"), "inputs_from: the Go package example.com/mono/cmd/a");
  EXPECT_EQ(a.at("go.mod"), "inputs_from: the Go module of cmd/a");

  const auto b = Paths(Inputs(kMonorepo, GoMarker("cmd/b")));
  EXPECT_TRUE(b.count("pkg/onlyb/onlyb.go"));
  EXPECT_TRUE(b.count("pkg/shared/shared.go"));
  EXPECT_FALSE(b.count("cmd/a/main.go"));
}

TEST_F(GoImports, ANewImportMakesThePackageAnInput) {
  REQUIRE_GO();
  Tree tree = kMonorepo;
  EXPECT_FALSE(Paths(Inputs(tree, GoMarker("cmd/a"))).count("pkg/onlyb/onlyb.go"));
  tree["cmd/a/extra.go"] = "package main\n\nimport _ \"example.com/mono/pkg/onlyb\"\n";
  const auto a = Inputs(tree, GoMarker("cmd/a"));
  EXPECT_EQ(a.at("pkg/onlyb/onlyb.go"),
            "inputs_from: go example.com/mono/cmd/a imports example.com/mono/pkg/onlyb");
}

TEST_F(GoImports, EmbeddedFilesCSourcesAndVendoredPackagesCount) {
  REQUIRE_GO();
  Tree tree = {
      {"go.mod", "module example.com/m\n\ngo 1.19\n\nrequire example.com/dep v1.0.0\n"},
      {"vendor/modules.txt", "# example.com/dep v1.0.0\n## explicit\nexample.com/dep\n"},
      {"vendor/example.com/dep/dep.go", "package dep\n\nconst D = 2\n"},
      {"web/web.go",
       "package web\n\nimport \"embed\"\n\n//go:embed static *.tmpl\nvar Files embed.FS\n"},
      {"web/page.tmpl", "<p>\n"},
      {"web/static/css/site.css", "p {}\n"},
      {"web/other/x.txt", "no\n"},
      {"native/n.go", "package native\n\n// int two() { return 2; }\nimport \"C\"\n"},
      {"native/helper.c", "int helper(void) { return 1; }\n"},
      {"native/helper.h", "int helper(void);\n"},
      {"app/main.go",
       "package main\n\nimport (\n\t_ \"example.com/dep\"\n\t_ \"example.com/m/native\"\n"
       "\t_ \"example.com/m/web\"\n)\n\nfunc main() {}\n"},
  };
  const auto inputs = Inputs(tree, GoMarker("app"));
  const auto paths = Paths(inputs);
  for (const char* want :
       {"web/page.tmpl", "web/static/css/site.css", "native/helper.c", "native/helper.h",
        "vendor/modules.txt", "vendor/example.com/dep/dep.go"}) {
    EXPECT_TRUE(paths.count(want)) << want;
  }
  EXPECT_FALSE(paths.count("web/other/x.txt"));
  EXPECT_EQ(inputs.at("web/page.tmpl"),
            "inputs_from: go example.com/m/app imports example.com/m/web (//go:embed *.tmpl)");
}

TEST_F(GoImports, BuildTagsFollowTheImportsOfTheFilesOnlyTheyBuild) {
  REQUIRE_GO();
  Tree tree = kMonorepo;
  tree["cmd/a/zmq.go"] =
      "//go:build zmq\n\npackage main\n\nimport _ \"example.com/mono/pkg/onlyb\"\n";
  // Without the tag, the file is an input (it is in the package's directory) but its import
  // is not followed; with it, the import is.
  const auto plain = Paths(Inputs(tree, GoMarker("cmd/a")));
  EXPECT_TRUE(plain.count("cmd/a/zmq.go"));
  EXPECT_FALSE(plain.count("pkg/onlyb/onlyb.go"));
  const auto tagged = Paths(Inputs(tree, GoMarker("cmd/a", {"zmq"})));
  EXPECT_TRUE(tagged.count("pkg/onlyb/onlyb.go"));
}

TEST_F(GoImports, AModuleForANewerGoIsListedByTheHostsGo) {
  REQUIRE_GO();
  // What Go 1.21+ writes; Debian 12's Go 1.19 refuses these directives as they stand.
  Tree tree = kMonorepo;
  tree["go.mod"] =
      "module example.com/mono\n\ngo 1.22.5\n\ntoolchain go1.22.6\n\n"
      "godebug (\n\tdefault=go1.21\n)\n";
  const auto a = Inputs(tree, GoMarker("cmd/a"));
  EXPECT_EQ(Paths(a),
            (std::set<std::string>{"go.mod", "go.sum", "cmd/a/main.go", "pkg/shared/shared.go",
                                   "pkg/shared/shared_test.go", "pkg/shared/shared_windows.go"}));
  EXPECT_EQ(a.at("go.mod"), "inputs_from: the Go module of cmd/a");  // not a fallback's note
}

TEST_F(GoImports, AModuleReplacedByADirectoryMakesItTheWholeRepository) {
  REQUIRE_GO();
  Tree tree = kMonorepo;
  tree["go.mod"] += "\nrequire example.com/tools v0.0.0\n\nreplace example.com/tools => ./tools\n";
  const auto a = Inputs(tree, GoMarker("cmd/a"));
  EXPECT_TRUE(a.count("tools/pkg/shared/shared.go"));
  EXPECT_EQ(a.at("README.md"),
            "inputs_from: go cmd/a: go.mod replaces a module with a directory, whose imports "
            "fanout does not follow, so the whole repository");
}

TEST_F(GoImports, OtherModulesCountThroughGoModAndGoSumWithoutNetwork) {
  REQUIRE_GO();
  Tree tree = kMonorepo;
  tree["go.mod"] += "\nrequire github.com/example/notfetched v1.2.3\n";
  tree["cmd/a/main.go"] =
      "package main\n\nimport (\n\t\"github.com/example/notfetched/x\"\n"
      "\t\"example.com/mono/pkg/shared\"\n)\n\nfunc main() { x.Y(); shared.Code() }\n";
  const auto a = Paths(Inputs(tree, GoMarker("cmd/a")));
  EXPECT_TRUE(a.count("pkg/shared/shared.go"));
  EXPECT_TRUE(a.count("go.mod"));
  EXPECT_FALSE(a.count("pkg/onlyb/onlyb.go"));  // still the closure, not the whole module
}

TEST_F(GoImports, APackageGoCannotReadMakesItTheWholeModuleWithTheReason) {
  REQUIRE_GO();
  Tree tree = kMonorepo;
  tree["pkg/shared/shared.go"] = "package shared\n\nimport (\n";  // cut off mid-file
  const auto a = Inputs(tree, GoMarker("cmd/a"));
  EXPECT_TRUE(a.count("pkg/unused/u.go"));
  EXPECT_TRUE(a.count("README.md"));
  EXPECT_NE(a.at("README.md").find("go cannot read the package example.com/mono/pkg/shared"),
            std::string::npos)
      << a.at("README.md");
  EXPECT_NE(a.at("README.md").find("so the whole module"), std::string::npos);
  // The module's whole directory: nested modules too (more inputs, never fewer).
  EXPECT_TRUE(a.count("tools/pkg/shared/shared.go"));
}

TEST_F(GoImports, AnImportOfAPackageNotYetInTheTreeCountsItsDirectory) {
  REQUIRE_GO();
  Tree tree = kMonorepo;
  tree["cmd/a/new.go"] = "package main\n\nimport _ \"example.com/mono/pkg/later\"\n";
  auto filter = PathFilter::Compile({GoMarker("cmd/a")}, ReaderOf(tree));
  ASSERT_TRUE(filter.ok()) << filter.error().message;
  EXPECT_TRUE(filter->Matches("pkg/later/later.go"));
}

TEST_F(GoImports, AModuleAboveTheRepositoryRootOrNoneAtAll) {
  REQUIRE_GO();
  // No go.mod at or above the directory: the directory itself, with a note.
  const Tree tree = {{"cmd/a/main.go", "package main\n"}, {"other/x.go", "package other\n"}};
  const auto a = Inputs(tree, GoMarker("cmd/a"));
  EXPECT_EQ(Paths(a), (std::set<std::string>{"cmd/a/main.go"}));
  EXPECT_EQ(a.at("cmd/a/main.go"), "inputs_from: go cmd/a is in no Go module here");
  // A module in a subdirectory, and the root package of a module.
  const Tree sub = {{"svc/go.mod", "module svc\n\ngo 1.19\n"},
                    {"svc/main.go", "package main\n\nimport _ \"svc/lib\"\n"},
                    {"svc/lib/lib.go", "package lib\n"},
                    {"svc/unused/u.go", "package unused\n"},
                    {"go.mod", "module outer\n\ngo 1.19\n"}};
  EXPECT_EQ(Paths(Inputs(sub, GoMarker("svc"))),
            (std::set<std::string>{"svc/go.mod", "svc/main.go", "svc/lib/lib.go"}));
}

TEST_F(GoImports, ATreeSeenBeforeRunsNoGoAndAChangedOneDoes) {
  REQUIRE_GO();
  // A `go` first on PATH that counts its runs, then runs the real one.
  const std::string bin = dir_ + "/bin", count = dir_ + "/runs";
  std::filesystem::create_directories(bin);
  const std::string real = []() {
    std::string path;
    FILE* p = popen("command -v go", "r");
    char buf[4096];
    if (p && fgets(buf, sizeof buf, p)) path = buf;
    if (p) pclose(p);
    while (!path.empty() && path.back() == '\n') path.pop_back();
    return path;
  }();
  ASSERT_FALSE(real.empty());
  {
    std::ofstream go(bin + "/go");
    go << "#!/bin/sh\necho run >>" << count << "\nexec " << real << " \"$@\"\n";
  }
  chmod((bin + "/go").c_str(), 0755);
  const std::string old_path = getenv("PATH");
  setenv("PATH", (bin + ":" + old_path).c_str(), 1);
  auto runs = [&] {
    auto text = ReadFile(count);
    return text.ok() ? std::count(text->begin(), text->end(), '\n') : 0;
  };
  Tree tree = kMonorepo;
  const auto first = Inputs(tree, GoMarker("cmd/a"));
  EXPECT_EQ(runs(), 1);
  EXPECT_EQ(Inputs(tree, GoMarker("cmd/a")), first);
  EXPECT_EQ(runs(), 1);  // the cached answer
  tree["README.md"] = "not in the module's Go directories\n";
  EXPECT_EQ(Inputs(tree, GoMarker("cmd/a")), first);
  EXPECT_EQ(runs(), 1);  // not something go list is given
  tree["pkg/shared/shared.go"] += "\nconst More = 1\n";
  EXPECT_EQ(Paths(Inputs(tree, GoMarker("cmd/a"))), Paths(first));
  EXPECT_EQ(runs(), 2);
  setenv("PATH", old_path.c_str(), 1);
}

TEST_F(GoImports, AReaderThatCannotListIsAnErrorNotAnEmptyList) {
  const Tree tree = kMonorepo;
  TreeFileReader read_only =
      [&tree](const std::string& path) -> Expected<std::optional<std::string>> {
    auto it = tree.find(path);
    if (it == tree.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  };
  auto filter = PathFilter::Compile({GoMarker("cmd/a")}, read_only);
  ASSERT_FALSE(filter.ok());
  EXPECT_NE(filter.error().message.find("cannot be read here"), std::string::npos);
}

}  // namespace
}  // namespace fanout
