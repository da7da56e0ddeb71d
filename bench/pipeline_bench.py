#!/usr/bin/env python3
"""Whole-command benchmarks of fanout's pipeline against Ninja itself, in one run.

Run through scripts/bench-pipeline (it builds fanout and sets $FANOUT). Prints one table per
benchmark with the ratio to its comparison; the figures are wall-clock medians on this machine.
"""
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

FANOUT = os.environ.get("FANOUT", "fanout")
QUICK = "--quick" in sys.argv


def run(argv, cwd, check=True, quiet=True):
    out = subprocess.DEVNULL if quiet else None
    r = subprocess.run(argv, cwd=cwd, stdout=out, stderr=subprocess.PIPE if quiet else None)
    if check and r.returncode != 0:
        sys.exit(f"command failed ({r.returncode}): {' '.join(argv)}\n{r.stderr.decode() if r.stderr else ''}")
    return r


def timed(argv, cwd, repeat=5, setup=None):
    """Median wall time of `argv` over `repeat` runs."""
    times = []
    for _ in range(repeat):
        if setup:
            setup()
        t0 = time.perf_counter()
        run(argv, cwd)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def make_repo(path, n_targets, pool_depth=4, command="true", files_per_target=1):
    """A git repository with one directory of inputs per target and a description."""
    os.makedirs(path)
    run(["git", "init", "-q", "-b", "main"], path)
    lines = ["version: 1", "pools:", f"  p: {pool_depth}", "targets:"]
    for i in range(n_targets):
        name = f"t{i:05d}"
        d = os.path.join(path, "pkg", name)
        os.makedirs(d)
        for f in range(files_per_target):
            with open(os.path.join(d, f"f{f}.txt"), "w") as fh:
                fh.write(f"{name} {f}\n")
        lines += [f"  {name}:", f"    command: {command}", f"    inputs: [pkg/{name}/**]", "    pool: p"]
    with open(os.path.join(path, "fanout.yaml"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    run(["git", "add", "-A"], path)
    run(["git", "-c", "user.name=b", "-c", "user.email=b@e", "commit", "-q", "-m", "init"], path)


def report(title, rows, ratio_label, ratio, goal):
    print(f"\n## {title}")
    for label, seconds in rows:
        print(f"  {label:<58} {seconds * 1000:9.1f} ms", flush=True)
    verdict = "meets" if ratio <= goal else "MISSES"
    print(f"  {ratio_label:<58} {ratio:9.2f}x  (goal <= {goal}x: {verdict})")


def bench_generation(tmp):
    n = 2000 if QUICK else 10000  # the full run builds 10,000 targets once
    repo = os.path.join(tmp, "gen")
    make_repo(repo, n)
    build = os.path.join(repo, "build")
    gen = [FANOUT, "gen", "-B", build, "--source", "HEAD"]
    run(gen, repo)
    t0 = time.perf_counter()
    run(["ninja", "-C", build, "-j", "8"], repo)  # a real full build, for a real no-op
    t_build = time.perf_counter() - t0
    t_noop = timed(["ninja", "-C", build], repo, repeat=11)
    index = os.path.join(build, ".fanout", "stamps.index")
    def new_tree():
        # As after a commit that changes no input: the index names another tree, so every
        # target's inputs are resolved from the commit and digested again; no stamp changes.
        with open(index) as fh:
            lines = fh.read().split("\n")
        lines[0] = "#tree " + "0" * 40 + " " + lines[0].split(" ")[-1]
        with open(index, "w") as fh:
            fh.write("\n".join(lines))
    # gen from a commit resolves every target's inputs in it (on a second thread) and writes
    # the input stamps; the build's snapshot step then finds them made for this plan and tree.
    t_gen = timed(gen, repo, repeat=11, setup=new_tree)
    snapshot = [FANOUT, "snapshot", "-B", build]
    t_after_gen = timed(snapshot, build, repeat=11)
    # A regeneration with nothing changed: the same tree, so every digest is reused.
    t_gen_same = timed(gen, repo, repeat=11)
    # The snapshot step on its own, resolving every input (as when the source moved to a
    # commit that changes no input since gen ran).
    t_resolve = timed(snapshot, build, repeat=9, setup=new_tree)
    def drop_stamps():
        shutil.rmtree(os.path.join(build, ".fanout", "stamps"), ignore_errors=True)
        os.sync()
    # Cold: gen creating every stamp file (a fresh build directory); bound by file creation
    # on this disk.
    t_cold = timed(gen, repo, repeat=3, setup=lambda: (new_tree(), drop_stamps()))
    ratio = (t_gen + t_after_gen) / t_noop
    report(f"generation of {n} targets (from a commit, inputs resolved) against ninja's no-op "
           "on the result",
           [("fanout gen, every input resolved and digested", t_gen),
            ("then the build's snapshot step (takes gen's stamps)", t_after_gen),
            ("fanout gen again, nothing changed (digests reused)", t_gen_same),
            ("fanout snapshot alone, every input resolved (new tree)", t_resolve),
            ("fanout gen, cold (and every stamp file created)", t_cold),
            ("ninja no-op on the result", t_noop),
            (f"(for information) full build of {n} targets, -j8", t_build)],
           "(gen + snapshot step) / ninja no-op", ratio, 1.0)
    print(f"  {'fanout gen alone / ninja no-op':<58} {t_gen / t_noop:9.2f}x")


def bench_noop(tmp):
    n = 1000
    repo = os.path.join(tmp, "noop")
    make_repo(repo, n)
    build = os.path.join(repo, "build")
    run([FANOUT, "build", "-B", build, "-j", "8"], repo)
    t_fanout = timed(["ninja", "-C", build], repo, repeat=11)
    # The same graph written by hand: each edge depends on its input files directly.
    hand = os.path.join(tmp, "hand")
    os.makedirs(hand)
    lines = ["rule touch", "  command = touch $out", "pool p", "  depth = 4", ""]
    outs = []
    for i in range(n):
        name = f"t{i:05d}"
        lines += [f"build out/{name}.stamp: touch {repo}/pkg/{name}/f0.txt", "  pool = p"]
        outs.append(f"out/{name}.stamp")
    lines += ["build all: phony " + " ".join(outs), "default all", ""]
    with open(os.path.join(hand, "build.ninja"), "w") as fh:
        fh.write("\n".join(lines))
    run(["ninja", "-C", hand], hand)
    t_hand = timed(["ninja", "-C", hand], hand, repeat=11)
    report(f"no-op ninja in a {n}-target build directory",
           [("ninja no-op, fanout's build directory", t_fanout),
            ("ninja no-op, the equivalent hand-written file", t_hand)],
           "fanout / hand-written", t_fanout / t_hand, 2.0)


def bench_fanout(tmp):
    k, d, job = (8, 2, 0.5) if QUICK else (16, 4, 1.0)
    repo = os.path.join(tmp, "fan")
    make_repo(repo, k, pool_depth=d, command=f"sleep {job}")
    build = os.path.join(repo, "build")
    t = timed([FANOUT, "build", "-B", build, "-j", str(k)], repo, repeat=3,
              setup=lambda: shutil.rmtree(build, ignore_errors=True))
    ideal = math.ceil(k / d) * job
    report(f"fan-out of {k} jobs of {job}s under pool depth {d} (cold build dir, gen included)",
           [("fanout build", t), (f"ceil(K/D) job times", ideal)],
           "fanout build / ideal", t / ideal, 1.10)


def main():
    print(f"fanout pipeline benchmarks ({os.cpu_count()} cores){' --quick' if QUICK else ''}")
    with tempfile.TemporaryDirectory(prefix="fanout-bench.") as tmp:
        bench_fanout(tmp)
        bench_noop(tmp)
        bench_generation(tmp)


if __name__ == "__main__":
    main()
