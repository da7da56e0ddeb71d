#!/usr/bin/env python3
"""The action cache (docs/cache.md) against running the targets, in one run.

Run through scripts/bench-cache (it builds fanout and sets $FANOUT). N independent targets,
each doing a fixed amount of real work (a shell loop of 300,000 steps, standing in for a
compile: about 0.3 s on the project's VM) and leaving a 4 MiB artifact, are built three ways in fresh build directories of one repository:
  - run, cache off: what every CI runner does today;
  - run, cache on and empty: the same, plus storing each result;
  - restored: a fresh build directory with the cache populated, so every target is `cached`.
Per target, each run's and restore's duration comes from its result.json (the edge as
`fanout exec` times it); the whole builds are timed from outside. Medians; ratios in the run.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

FANOUT = os.environ.get("FANOUT", "fanout")
QUICK = "--quick" in sys.argv


def run(argv, cwd, env=None):
    r = subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       env={**os.environ, **(env or {})})
    if r.returncode != 0:
        sys.exit(f"command failed ({r.returncode}): {' '.join(argv)}\n{r.stderr.decode()}")


def make_repo(path, n, iterations):
    os.makedirs(path)
    run(["git", "init", "-q", "-b", "main"], path)
    lines = ["version: 1", "targets:"]
    for i in range(n):
        name = f"t{i:03d}"
        os.makedirs(os.path.join(path, "pkg", name))
        with open(os.path.join(path, "pkg", name, "seed.txt"), "w") as fh:
            fh.write(f"{name}\n")
        lines += [f"  {name}:",
                  f"    command: i=0; while [ $i -lt {iterations} ]; do i=$((i+1)); done; "
                  f"head -c 4194304 /dev/urandom > \"$FANOUT_OUT/{name}.bin\"",
                  f"    inputs: [pkg/{name}/**]",
                  f"    artifacts: [{name}.bin]"]
    with open(os.path.join(path, "fanout.yaml"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    run(["git", "add", "-A"], path)
    run(["git", "-c", "user.name=b", "-c", "user.email=b@e", "commit", "-q", "-m", "init"], path)


def build(repo, build_dir, env, jobs):
    shutil.rmtree(os.path.join(repo, build_dir), ignore_errors=True)
    t0 = time.perf_counter()
    run([FANOUT, "build", "-B", build_dir, "-j", str(jobs)], repo, env)
    wall = time.perf_counter() - t0
    statuses, durations = set(), []
    for name in sorted(os.listdir(os.path.join(repo, build_dir, "targets"))):
        with open(os.path.join(repo, build_dir, "targets", name, "result.json")) as fh:
            r = json.load(fh)
        statuses.add(r["status"])
        durations.append(r["duration_seconds"])
    return wall, statistics.median(durations), statuses


def main():
    n, iterations = (8, 150000) if QUICK else (24, 300000)
    jobs = os.cpu_count() or 2
    print(f"fanout action cache benchmark ({os.cpu_count()} cores){' --quick' if QUICK else ''}")
    with tempfile.TemporaryDirectory(prefix="fanout-bench-cache.") as tmp:
        os.chmod(tmp, 0o755)
        repo = os.path.join(tmp, "repo")
        make_repo(repo, n, iterations)
        cache = os.path.join(tmp, "cache")
        off = {"FANOUT_CACHE": "off"}
        on = {"FANOUT_CACHE": "on", "FANOUT_CACHE_DIR": cache}
        runs, stores, restores = [], [], []
        for _ in range(1 if QUICK else 3):
            shutil.rmtree(cache, ignore_errors=True)
            runs.append(build(repo, "b-off", off, jobs))
            stores.append(build(repo, "b-store", on, jobs))
            restores.append(build(repo, "b-restore", on, jobs))
        for label, rs, want in (("run", runs, {"succeeded"}), ("store", stores, {"succeeded"}),
                                ("restore", restores, {"cached"})):
            got = set().union(*(r[2] for r in rs))
            if got != want:
                sys.exit(f"{label}: statuses {got}, expected {want}")
        med = lambda rs, i: statistics.median(r[i] for r in rs)
        print(f"\n## {n} targets of a {iterations}-step shell loop and a 4 MiB artifact each, "
              f"-j{jobs}")
        rows = [("one target run, cache off (median edge)", med(runs, 1)),
                ("one target run and stored, empty cache (median edge)", med(stores, 1)),
                ("one target restored from the local cache (median edge)", med(restores, 1)),
                ("whole build, cache off", med(runs, 0)),
                ("whole build, empty cache (run and store)", med(stores, 0)),
                ("whole build, every target restored", med(restores, 0))]
        for label, s in rows:
            print(f"  {label:<58} {s * 1000:9.1f} ms")
        ratio = med(runs, 1) / med(restores, 1)
        verdict = "meets" if ratio >= 20 else "MISSES"
        print(f"  {'run / restore, per target':<58} {ratio:9.1f}x  (goal >= 20x: {verdict})")
        print(f"  {'whole build: run / restore':<58} {med(runs, 0) / med(restores, 0):9.1f}x")
        print(f"  {'cost of storing: (run and store) / run, per target':<58} "
              f"{med(stores, 1) / med(runs, 1):9.2f}x")


if __name__ == "__main__":
    main()
