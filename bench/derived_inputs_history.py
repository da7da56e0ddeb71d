#!/usr/bin/env python3
"""Derived inputs on a real Go monorepo's history: image builds over N commits, and agreement
with what the builds read.

The repository is one like aibrix (github.com/vllm-project/aibrix): one Go module at the root,
Dockerfiles in build/container/ that `COPY cmd/ api/ pkg/` and `go build` one command each.
For every commit C of the last N on the first-parent line, `fanout affected --base C~1 --head C
--direct` runs with four descriptions of the same images:

  whole       the directories the Dockerfile copies (go.mod, go.sum, cmd, api, pkg) and the
              Dockerfile: what a description written from the Dockerfile lists;
  dockerfile  inputs_from: {dockerfile: ...}: the same, derived from the Dockerfile;
  frozen      each image's in-module import closure worked out once, by `go list`, at the
              oldest commit, and then kept by hand (what the issue's script gave): the
              package directories' .go files, go.mod, go.sum and the Dockerfile;
  derived     inputs_from: {go: ./cmd/X, tags: [...]} and the Dockerfile.

It reports the image builds each description asks for, and the commits where the frozen list
misses a build the derived one asks for (it went stale). Then, at every STEP-th commit, it
checks that the derived inputs hold every file `go list -deps` says the build reads, run on
the commit's full Go sources (not fanout's copy): each package's Go, C and embedded files, in
the module.

Usage (through scripts/bench-derived-inputs): derived_inputs_history.py REPO [N] [STEP]
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

FANOUT = os.environ["FANOUT"]
REPO = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 300
STEP = int(sys.argv[3]) if len(sys.argv) > 3 else 50

# The images: name, Dockerfile, the command it builds, its build tags.
IMAGES = [
    ("controller-manager", "build/container/Dockerfile", "cmd/controllers", []),
    ("gateway-plugins", "build/container/Dockerfile.gateway", "cmd/plugins", ["zmq"]),
    ("kvcache-watcher", "build/container/Dockerfile.kvcache", "cmd/kvcache-watcher", []),
]
GO_ENV = dict(os.environ, GOPROXY="off", GOFLAGS="-mod=mod", GOWORK="off", GOENV="off",
              GOTOOLCHAIN="local")


def git(*args, cwd=None, inp=None):
    return subprocess.run(["git", *args], cwd=cwd, input=inp, check=True, capture_output=True,
                          text=True).stdout


def yaml_list(items):
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"


def description(kind, frozen=None):
    out = ["version: 1", "targets:"]
    for name, dockerfile, cmd, tags in IMAGES:
        out.append(f"  {name}:")
        out.append('    command: "true"')
        if kind == "whole":
            out.append("    inputs: " + yaml_list(["go.mod", "go.sum", "cmd", "api", "pkg", dockerfile]))
        elif kind == "dockerfile":
            out.append(f"    inputs_from: {{dockerfile: {dockerfile}, context: .}}")
        elif kind == "frozen":
            out.append("    inputs: " + yaml_list(frozen[name] + [dockerfile]))
        else:
            out.append("    inputs: " + yaml_list([dockerfile]))
            tag_part = f", tags: {yaml_list(tags)}" if tags else ""
            out.append(f"    inputs_from: {{go: ./{cmd}{tag_part}}}")
    return "\n".join(out) + "\n"


def go_list(tree_dir, cmd, tags):
    """The packages `go list -e -deps -json` reports for ./cmd in tree_dir."""
    argv = ["go", "list", "-e", "-deps", "-json"] + ([f"-tags={','.join(tags)}"] if tags else [])
    r = subprocess.run(argv + ["./" + cmd], cwd=tree_dir, env=GO_ENV, capture_output=True,
                       text=True)
    dec, i, out = json.JSONDecoder(), 0, []
    text = r.stdout
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        obj, i = dec.raw_decode(text, i)
        out.append(obj)


def export(commit, dest):
    """The commit's Go sources (go.mod, go.sum, cmd, api, pkg) in dest, with go.mod in the form
    Debian 12's Go reads (as fanout writes its copy: src/base/go_imports.cc)."""
    os.makedirs(dest)
    archive = subprocess.run(["git", "archive", commit, "go.mod", "go.sum", "cmd", "api", "pkg"],
                             cwd=REPO_CLONE, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", dest], input=archive, check=True)
    path = os.path.join(dest, "go.mod")
    text = open(path).read()
    text = re.sub(r"(?m)^toolchain .*\n", "", text)
    text = re.sub(r"(?m)^go (\d+\.\d+)\.\d+\s*$", r"go \1", text)
    open(path, "w").write(text)


def in_module(pkg, root):
    d = pkg.get("Dir") or ""
    return d == root or d.startswith(root + "/")


def read_files(packages, root):
    """Files of the module the build reads, relative to the root."""
    files = {"go.mod", "go.sum"}
    for p in packages:
        if not in_module(p, root) or p.get("Standard"):
            continue
        rel = os.path.relpath(p["Dir"], root)
        for key in ("GoFiles", "CgoFiles", "CFiles", "CXXFiles", "HFiles", "SFiles", "SysoFiles",
                    "EmbedFiles"):
            for f in p.get(key) or []:
                files.add(os.path.normpath(os.path.join(rel, f)))
    return files


def affected(desc_path, base, head):
    r = subprocess.run([FANOUT, "affected", "-f", desc_path, "--repo", REPO_CLONE, "--base", base,
                        "--head", head, "--direct", "--format", "json"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"fanout affected failed at {head}: {r.stderr}")
    doc = json.loads(r.stdout)
    return doc


work = tempfile.mkdtemp(prefix="fanout-derived-history-")
REPO_CLONE = os.path.join(work, "repo")
git("clone", "-q", "--no-checkout", REPO, REPO_CLONE)
commits = git("rev-list", "--first-parent", "-n", str(N + 1), "HEAD", cwd=REPO_CLONE).split()
commits.reverse()  # oldest first: commits[0] is the base of the first pair
print(f"repository {REPO}: {len(commits) - 1} commits, {commits[1][:10]}..{commits[-1][:10]}")

# The frozen lists: each image's closure at the oldest commit, as directories' .go files.
oldest = os.path.join(work, "oldest")
export(commits[0], oldest)
frozen = {}
for name, _, cmd, tags in IMAGES:
    dirs = sorted({os.path.relpath(p["Dir"], oldest) for p in go_list(oldest, cmd, tags)
                   if in_module(p, oldest) and not p.get("Standard")})
    frozen[name] = ["go.mod", "go.sum"] + [f"{d}/*.go" for d in dirs]
    print(f"  frozen list of {name}: {len(dirs)} package directories")

kinds = ["whole", "dockerfile", "frozen", "derived"]
paths = {}
for kind in kinds:
    paths[kind] = os.path.join(work, kind + ".yaml")
    open(paths[kind], "w").write(description(kind, frozen))

builds = {k: 0 for k in kinds}
per_image = {k: {name: 0 for name, *_ in IMAGES} for k in kinds}
stale = []  # (commit, image): derived asks for a build the frozen list does not
over = 0    # (commit, image): derived asks for one the whole directories do not (must be 0)
seconds = {k: 0.0 for k in kinds}
for base, head in zip(commits, commits[1:]):
    got = {}
    for kind in kinds:
        t = time.monotonic()
        got[kind] = {a["name"] for a in affected(paths[kind], base, head)["affected"]}
        seconds[kind] += time.monotonic() - t
        builds[kind] += len(got[kind])
        for name in got[kind]:
            per_image[kind][name] += 1
    for name in got["derived"] - got["frozen"]:
        stale.append((head[:10], name))
    over += len(got["derived"] - got["whole"])

pairs = len(commits) - 1
print(f"\nimage builds over {pairs} commits ({len(IMAGES)} Go images, {pairs * len(IMAGES)} "
      "possible):")
for kind in kinds:
    detail = ", ".join(f"{n} {c}" for n, c in per_image[kind].items())
    print(f"  {kind:<11} {builds[kind]:>4}  ({detail}); fanout affected {seconds[kind] / pairs * 1000:.0f} ms a commit")
print(f"  derived / whole: {builds['derived'] / max(builds['whole'], 1):.2f}")
print(f"  builds the frozen list missed (it went stale): {len(stale)}"
      + (f", first at {stale[0][0]} ({stale[0][1]})" if stale else ""))
print(f"  builds derived asked for that the whole directories did not: {over}")

# Agreement: what go list on the full sources says each build reads is inside the derived
# inputs. The derived inputs' files come from `fanout affected` against an empty commit, where
# every file of the tree is added: the reasons are exactly the matching files.
empty = git("commit-tree", git("hash-object", "-t", "tree", "-w", "--stdin", cwd=REPO_CLONE,
                               inp="").strip(), "-m", "empty", cwd=REPO_CLONE).strip()
checked = missing_total = 0
print(f"\nagreement with go list on the full sources, every {STEP}th commit:")
for i in range(1, len(commits), STEP):
    commit = commits[i]
    tree = git("rev-parse", commit + "^{tree}", cwd=REPO_CLONE).strip()
    alone = git("commit-tree", tree, "-p", empty, "-m", "alone", cwd=REPO_CLONE).strip()
    doc = affected(paths["derived"], empty, alone)
    matched = {}
    for a in doc["affected"]:
        matched[a["name"]] = {r["path"] for r in a["reasons"] if r["kind"] == "input"}
    src = os.path.join(work, f"src-{i}")
    export(commit, src)
    line = []
    for name, _, cmd, tags in IMAGES:
        read = read_files(go_list(src, cmd, tags), src)
        missing = sorted(read - matched.get(name, set()))
        checked += 1
        missing_total += len(missing)
        line.append(f"{name} reads {len(read)}, derived {len(matched.get(name, set()))}"
                    + (f", MISSING {missing[:5]}" if missing else ""))
    print(f"  {commit[:10]}: " + "; ".join(line))
print(f"  {checked} image checks, {missing_total} files read that the derived inputs lack")
subprocess.run(["rm", "-rf", work])
sys.exit(1 if missing_total or over else 0)
