// The reference test for change detection: git itself defines the right answer. A generated
// repository gets a few hundred commits of random adds, edits, deletes, renames, mode changes,
// symlink changes, file <-> symlink changes and gitlink bumps across a dozen targets; for every
// commit C, each target's changed inputs must be exactly what
// `git diff --name-only --no-renames C^ C -- <the target's pathspecs>` lists, and the affected
// set that plus global inputs and dependents. Checked through the library and the binary.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <random>
#include <set>
#include <sstream>

#include "affected/affected.h"
#include "description/loader.h"
#include "test_util.h"

namespace fanout::testing {
namespace {

using nlohmann::json;
using Set = std::set<std::string>;

constexpr int kCommits = 300;
constexpr unsigned kSeed = 20240611;

struct RefTarget {
  std::string name;
  std::vector<std::string> inputs;  ///< empty: checkout: full
  std::vector<std::string> deps;
};

const std::vector<RefTarget> kTargets = {
    {"t00", {"svc/a/**"}, {}},
    {"t01", {"svc/b/**", "!svc/b/test/**"}, {"t02"}},
    {"t02", {"svc/c", "shared/proto/*.proto"}, {}},
    {"t03", {"**/*.md"}, {}},
    {"t04", {"lib/x/**", "lib/y/src/**"}, {"t05"}},
    {"t05", {"lib/z"}, {}},
    {"t06", {"tools/*/bin/**"}, {}},
    {"t07", {"docs/**", "!docs/**/*.tmp"}, {}},
    {"t08", {"svc/a/conf.yaml", "svc/d/**"}, {"t00"}},
    {"t09", {"vendor/mod", "other/sub"}, {}},
    {"t10", {"svc/*/Dockerfile", "lib/?/README.md"}, {"t08"}},
    {"t11", {}, {}},  // checkout: full
};
const std::vector<std::string> kGlobals = {"Makefile", "ci/*.yml"};

std::string DescriptionText() {
  std::string y = "version: 1\nglobal_inputs: [";
  for (size_t i = 0; i < kGlobals.size(); ++i) y += (i ? ", \"" : "\"") + kGlobals[i] + "\"";
  y += "]\ntargets:\n";
  for (const RefTarget& t : kTargets) {
    y += "  " + t.name + ":\n    command: \"true\"\n";
    if (t.inputs.empty()) {
      y += "    checkout: full\n";
    } else {
      y += "    inputs: [";
      for (size_t i = 0; i < t.inputs.size(); ++i) y += (i ? ", \"" : "\"") + t.inputs[i] + "\"";
      y += "]\n";
    }
    if (!t.deps.empty()) {
      y += "    deps: [";
      for (size_t i = 0; i < t.deps.size(); ++i) y += (i ? ", " : "") + t.deps[i];
      y += "]\n";
    }
  }
  return y;
}

/// The repository's files as the generator tracks them: path -> (mode, content).
struct Model {
  std::map<std::string, std::pair<std::string, std::string>> files;
  std::mt19937 rng{kSeed};
  std::map<std::string, int> ops;  ///< how many of each kind of change were made

  size_t Pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); }
  bool Chance(int percent) { return static_cast<int>(Pick(100)) < percent; }
  std::string Hex40() {
    static const char* h = "0123456789abcdef";
    std::string s;
    for (int i = 0; i < 40; ++i) s += h[Pick(16)];
    return s;
  }
  std::string Content() { return "content " + std::to_string(rng()) + "\n"; }

  /// A random path that does not collide with a file (as a directory) or a directory (as a
  /// file) of the current tree.
  std::string NewPath() {
    static const std::vector<std::string> dirs = {"svc/a",
                                                  "svc/a/test",
                                                  "svc/b",
                                                  "svc/b/test",
                                                  "svc/c",
                                                  "svc/c/deep",
                                                  "svc/d",
                                                  "svc/e",
                                                  "shared/proto",
                                                  "shared",
                                                  "lib/x",
                                                  "lib/y/src",
                                                  "lib/y/doc",
                                                  "lib/y",
                                                  "lib/z",
                                                  "lib/z/sub",
                                                  "lib/zz",
                                                  "tools/t1/bin",
                                                  "tools/t2/bin/deep",
                                                  "tools/t3/src",
                                                  "docs",
                                                  "docs/sub",
                                                  "other",
                                                  "",
                                                  "ci"};
    static const std::vector<std::string> names = {"a.txt",     "b.md",  "c.proto", "Dockerfile",
                                                   "conf.yaml", "x.tmp", "main.go", "README.md",
                                                   "run.sh",    "z"};
    for (;;) {
      const std::string& d = dirs[Pick(dirs.size())];
      std::string name = names[Pick(names.size())];
      if (Chance(30)) name = std::to_string(Pick(5)) + name;
      std::string p = d.empty() ? name : d + "/" + name;
      if (!Collides(p)) return p;
    }
  }
  bool Collides(const std::string& p) const {
    if (files.count(p)) return true;
    for (size_t i = p.find('/'); i != std::string::npos; i = p.find('/', i + 1)) {
      if (files.count(p.substr(0, i))) return true;
    }
    auto it = files.lower_bound(p + "/");
    return it != files.end() && it->first.compare(0, p.size() + 1, p + "/") == 0;
  }
  std::string RandomExisting(bool gitlinks_too = false) {
    for (int tries = 0; tries < 50; ++tries) {
      auto it = files.begin();
      std::advance(it, Pick(files.size()));
      if (gitlinks_too || it->second.first != "160000") return it->first;
    }
    return "";
  }
};

std::string FastImportFile(const std::string& path, const std::string& mode,
                           const std::string& content) {
  if (mode == "160000") return "M 160000 " + content + " " + path + "\n";
  return "M " + mode + " inline " + path + "\ndata " + std::to_string(content.size()) + "\n" +
         content + "\n";
}

/// Generates the history as a fast-import stream.
std::string GenerateHistory(Model* m) {
  std::string out;
  std::string desc = DescriptionText();
  m->files["fanout.yaml"] = {"100644", desc};
  m->files["Makefile"] = {"100644", "all:\n"};
  m->files["ci/build.yml"] = {"100644", "on: push\n"};
  for (int i = 0; i < 60; ++i) m->files[m->NewPath()] = {"100644", m->Content()};
  out += "commit refs/heads/main\ncommitter T <t@example.com> 1000000000 +0000\ndata 4\ninit\n";
  for (const auto& [path, f] : m->files) out += FastImportFile(path, f.first, f.second);

  for (int c = 1; c <= kCommits; ++c) {
    std::string ops;
    const int n = 1 + static_cast<int>(m->Pick(4));
    for (int k = 0; k < n; ++k) {
      const int op = static_cast<int>(m->Pick(100));
      if (op < 20) {  // add a file, an executable or a symlink
        std::string p = m->NewPath();
        std::string mode = m->Chance(70) ? "100644" : m->Chance(50) ? "100755" : "120000";
        std::string content =
            mode == "120000" ? "../target" + std::to_string(m->Pick(9)) : m->Content();
        m->files[p] = {mode, content};
        ops += FastImportFile(p, mode, content);
        ++m->ops[mode == "120000" ? "add symlink" : "add"];
      } else if (op < 40) {  // edit (a symlink edit is a retarget)
        std::string p = m->RandomExisting();
        if (p.empty() || p == "fanout.yaml") continue;
        auto& f = m->files[p];
        f.second = f.first == "120000" ? "../retarget" + std::to_string(m->Pick(9)) : m->Content();
        ops += FastImportFile(p, f.first, f.second);
        ++m->ops[f.first == "120000" ? "retarget symlink" : "edit"];
      } else if (op < 52) {  // delete
        std::string p = m->RandomExisting(true);
        if (p.empty() || p == "fanout.yaml") continue;
        m->files.erase(p);
        ops += "D " + p + "\n";
        ++m->ops["delete"];
      } else if (op < 70) {  // rename, often out of its directory
        std::string p = m->RandomExisting();
        if (p.empty() || p == "fanout.yaml") continue;
        auto f = m->files[p];
        m->files.erase(p);
        std::string q = m->NewPath();
        m->files[q] = f;
        ops += "D " + p + "\n" + FastImportFile(q, f.first, f.second);
        ++m->ops["rename"];
      } else if (op < 80) {  // chmod +x / -x
        std::string p = m->RandomExisting();
        if (p.empty() || p == "fanout.yaml") continue;
        auto& f = m->files[p];
        if (f.first == "120000") continue;
        f.first = f.first == "100644" ? "100755" : "100644";
        ops += FastImportFile(p, f.first, f.second);
        ++m->ops["chmod"];
      } else if (op < 87) {  // file <-> symlink
        std::string p = m->RandomExisting();
        if (p.empty() || p == "fanout.yaml") continue;
        auto& f = m->files[p];
        f.first = f.first == "120000" ? "100644" : "120000";
        if (f.first == "120000") f.second = "linked" + std::to_string(m->Pick(9));
        ops += FastImportFile(p, f.first, f.second);
        ++m->ops["file <-> symlink"];
      } else if (op < 95) {  // submodule (gitlink) add, bump or remove
        static const std::vector<std::string> links = {"vendor/mod", "other/sub", "svc/a/sub"};
        std::string p = links[m->Pick(links.size())];
        if (m->files.count(p) && m->Chance(25)) {
          m->files.erase(p);
          ops += "D " + p + "\n";
          ++m->ops["remove gitlink"];
        } else if (m->files.count(p) || !m->Collides(p)) {
          m->files[p] = {"160000", m->Hex40()};
          ops += FastImportFile(p, "160000", m->files[p].second);
          ++m->ops["add or bump gitlink"];
        }
      } else {  // a global input
        std::string p = m->Chance(50) ? "Makefile" : "ci/build.yml";
        m->files[p] = {"100644", m->Content()};
        ops += FastImportFile(p, "100644", m->files[p].second);
        ++m->ops["global"];
      }
    }
    out += "commit refs/heads/main\ncommitter T <t@example.com> " + std::to_string(1000000000 + c) +
           " +0000\ndata 2\nc\n" + ops;
  }
  return out;
}

Set Lines(const std::string& nul_separated) {
  Set out;
  std::string cur;
  for (char ch : nul_separated) {
    if (ch == '\0') {
      if (!cur.empty()) out.insert(cur);
      cur.clear();
    } else {
      cur += ch;
    }
  }
  return out;
}

/// `git diff --name-only --no-renames C^ C -- <pathspecs>` (no pathspecs: every path).
Set GitDiff(const std::string& repo, const std::string& c,
            const std::vector<std::string>& patterns) {
  std::vector<std::string> argv = {"git", "-C",           repo,    "diff", "--name-only",
                                   "-z",  "--no-renames", c + "^", c,      "--"};
  for (const std::string& p : patterns) {
    argv.push_back(p[0] == '!' ? ":(glob,exclude)" + p.substr(1) : ":(glob)" + p);
  }
  RunResult r = Run(argv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return Lines(r.out);
}

TEST(AffectedReference, EveryCommitAgreesWithGitDiffPathspecs) {
  TempDir dir;
  const std::string repo = dir / "repo";
  ASSERT_EQ(fanout::testing::Run({"git", "init", "-q", "-b", "main", repo}).exit_code, 0);
  Model model;
  WriteFile(dir / "stream", GenerateHistory(&model));
  ASSERT_EQ(Sh("git fast-import --quiet < ../stream", repo).exit_code, 0);
  RunResult revs = fanout::testing::Run({"git", "-C", repo, "rev-list", "--reverse", "main"});
  std::vector<std::string> commits;
  std::istringstream in(revs.out);
  for (std::string line; std::getline(in, line);) commits.push_back(line);
  ASSERT_EQ(commits.size(), static_cast<size_t>(kCommits + 1));
  for (const char* kind :
       {"add", "add symlink", "edit", "retarget symlink", "delete", "rename", "chmod",
        "file <-> symlink", "add or bump gitlink", "remove gitlink", "global"}) {
    EXPECT_GE(model.ops[kind], 3) << kind;
  }

  auto repository = Repository::Open(repo);
  ASSERT_TRUE(repository.ok());
  LoadResult loaded = LoadDescriptionText(DescriptionText(), "fanout.yaml");
  ASSERT_TRUE(loaded.description) << loaded.FormatErrors();
  const Description& desc = *loaded.description;

  int affected_total = 0, all_total = 0;
  for (size_t ci = 1; ci < commits.size(); ++ci) {
    const std::string& c = commits[ci];
    SCOPED_TRACE("commit " + std::to_string(ci) + " " + c);
    // What git says.
    const Set changed = GitDiff(repo, c, {});
    const Set globals = GitDiff(repo, c, kGlobals);
    std::map<std::string, Set> direct;
    for (const RefTarget& t : kTargets) {
      direct[t.name] = t.inputs.empty() ? changed : GitDiff(repo, c, t.inputs);
    }
    Set want;
    for (const auto& [name, paths] : direct) {
      if (!paths.empty() || !globals.empty()) want.insert(name);
    }
    for (bool grew = true; grew;) {  // dependents, to a fixed point
      grew = false;
      for (const RefTarget& t : kTargets) {
        for (const std::string& d : t.deps) {
          if (want.count(d) && want.insert(t.name).second) grew = true;
        }
      }
    }

    // What the library says.
    AffectedOptions opts;
    opts.base = c + "^";
    opts.head = c;
    opts.description_relpath = "fanout.yaml";
    auto r = ComputeAffected(*repository, desc, opts);
    ASSERT_TRUE(r.ok()) << r.error().message;
    Set got_changed;
    for (const ChangedPath& p : r->changed_paths) got_changed.insert(p.path);
    EXPECT_EQ(got_changed, changed);
    Set got;
    for (const AffectedTarget& t : r->affected) {
      got.insert(t.name);
      Set inputs, global_paths;
      for (const AffectReason& reason : t.reasons) {
        if (reason.kind == "input") inputs.insert(reason.path);
        if (reason.kind == "global") global_paths.insert(reason.path);
      }
      EXPECT_EQ(inputs, direct[t.name]) << t.name;
      EXPECT_EQ(global_paths, globals) << t.name;
    }
    EXPECT_EQ(got, want);
    EXPECT_EQ(r->all, !globals.empty());
    affected_total += static_cast<int>(got.size());
    all_total += r->all;

    // What the binary says, as JSON.
    RunResult bin = fanout::testing::Run({FanoutBinary(), "affected", "--repo", repo, "-f",
                                          repo + "/fanout.yaml", "--base", c + "^", "--head", c,
                                          "--format", "json"});
    ASSERT_EQ(bin.exit_code, 0) << bin.err;
    json j = json::parse(bin.out);
    Set bin_names;
    for (const json& t : j["affected"]) {
      bin_names.insert(t["name"].get<std::string>());
      Set inputs;
      for (const json& reason : t["reasons"]) {
        if (reason["kind"] == "input") inputs.insert(reason["path"].get<std::string>());
      }
      EXPECT_EQ(inputs, direct[t["name"].get<std::string>()]);
    }
    EXPECT_EQ(bin_names, want);
    EXPECT_EQ(j["compared"], commits[ci - 1]);
  }
  // The generator exercised what it claims to: many affected targets, a few global changes.
  EXPECT_GT(affected_total, kCommits);
  EXPECT_GT(all_total, 3);
  EXPECT_LT(all_total, kCommits / 4);
}

}  // namespace
}  // namespace fanout::testing
