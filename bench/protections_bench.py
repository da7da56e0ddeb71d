#!/usr/bin/env python3
"""What the sandbox's protections cost per edge, measured in one run.

One `fanout exec` of a target whose command is `true` (one small input, warm workspace), run
the way Ninja runs it, in each tier: with every protection on (`fanout`), and with the
protections that issue 12 added turned off (`fanout-weakened` with every layer of
docs/security.md but `landlock`, which the process tier had before), against a bare
`/bin/true`. The two are run alternately, so load on the machine falls on both alike. Prints
medians and the difference. Run through scripts/bench-protections.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

FANOUT = os.environ["FANOUT"]
WEAKENED = os.environ["FANOUT_WEAKENED"]
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 30


def run(argv, cwd, env=None):
    r = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(argv)}\n{r.stderr.decode()}")


ADDED_LAYERS = ("uid,proc,nosuid,setuid,resolve,seccomp,landlock-scope,metadata,dumpable,run,"
                "tmp,deps")


def once(argv, cwd, env):
    t0 = time.perf_counter()
    run(argv, cwd, env)
    return time.perf_counter() - t0


def median_ms(argv, cwd, env):
    return statistics.median(once(argv, cwd, env) for _ in range(RUNS)) * 1000


def main():
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        repo = os.path.join(tmp, "repo")
        os.makedirs(os.path.join(repo, "src"))
        with open(os.path.join(repo, "src", "a.txt"), "w") as f:
            f.write("a\n")
        with open(os.path.join(repo, "fanout.yaml"), "w") as f:
            f.write("version: 1\ntargets:\n  t:\n    command: 'true'\n    inputs: [src/**]\n")
        for argv in (["git", "init", "-q"], ["git", "add", "-A"],
                     ["git", "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "x"]):
            run(argv, repo)
        rows = []
        bare = median_ms(["/bin/true"], repo, dict(os.environ))
        for tier in ("namespaces", "process"):
            variants = []
            for name, binary, weaken in (("every protection", FANOUT, ""),
                                         ("added ones off", WEAKENED, ADDED_LAYERS)):
                build = os.path.join(tmp, f"b-{tier}-{'off' if weaken else 'on'}")
                env = dict(os.environ, FANOUT_SANDBOX=tier, FANOUT_TEST_WEAKEN=weaken)
                run([binary, "build", "-B", build], repo, env)  # warm: bases, probe cache
                variants.append((name, [binary, "exec", "-B", ".", "t"], build, env, []))
            for _ in range(RUNS):
                for name, argv, build, env, times in variants:
                    times.append(once(argv, build, env))
            for name, argv, build, env, times in variants:
                rows.append((tier, name, statistics.median(times) * 1000))
        print(f"one `fanout exec` of `true`, median of {RUNS} runs, uid {os.geteuid()}")
        print(f"{'tier':<12}{'':<18}{'ms':>8}{'over bare':>12}")
        print(f"{'bare /bin/true':<30}{bare:>8.2f}")
        by = {}
        for tier, name, ms in rows:
            by[(tier, name)] = ms
            print(f"{tier:<12}{name:<18}{ms:>8.2f}{ms - bare:>12.2f}")
        for tier in ("namespaces", "process"):
            cost = by[(tier, "every protection")] - by[(tier, "added ones off")]
            print(f"protections cost, {tier} tier: {cost:+.2f} ms per edge (goal <= 2 ms)")


main()
