#!/usr/bin/env python3
"""The whole edge: what one `fanout exec` costs over the command it runs, measured in one run.

Ninja runs each edge as `/bin/sh -c COMMAND`. Here the command is `true` and the anchor is
that same `/bin/sh -c true` started bare; against it, the process Ninja starts for a fanout
edge, `/bin/sh -c 'exec fanout exec -B BUILD t'` as a whole (the shell and fanout's start-up
included), with every protection on:

  - warm: the workspace base is cached (every run after the first);
  - warm, exec server: the same edge as `fanout build` runs it, the client `fanout-edge` with a
    worker forked from the build's exec server (cli/exec_server.h);
  - cold: the build directory's workspace bases are removed before each run;

in each sandbox tier. Bare and fanout runs alternate, so load on the machine falls on both,
and each starts once the last run's worker has ended (`settle`: a served worker's sandbox
ends after it answers); each way of running the edge has a loop of its own (served runs
follow served runs, as in a build);
the warm runs come before the cold ones, as in an incremental build, so no cold run's removal
of the bases lands on a warm run's clock. Each row is compared with the bare runs of the whole
bench ("over bare") and with those of its own loop, which ran alternately with it ("its loop"):
this VM's speed drifts from one loop to the next.
Each fanout run also writes its phases (FANOUT_EXEC_PROFILE, sandbox/exec_profile.h); the
medians of the warm runs say where the time goes. Last, a full build of N such targets by
`ninja` in fanout's build directory, without and with an exec server, against `ninja` running
the same N commands from a hand-written build.ninja.

Usage (through scripts/bench-edge): edge_bench.py [RUNS] [N]
"""
import fcntl
import json
import os
import secrets
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

FANOUT = os.environ["FANOUT"]
# The edge client a generated build.ninja starts (src/edge/fanout_edge.cc), beside the binary.
EDGE = os.path.join(os.path.dirname(FANOUT), "fanout-edge")
# The test build (tests/CMakeLists), where FANOUT_TEST_WEAKEN=mount-setattr makes the sandbox's
# read-only pass take its other way, one remount per mount point (docs/security.md).
WEAKENED = os.environ.get("FANOUT_WEAKENED")
# Another fanout binary (an earlier commit's build) timed alternately with this one, warm, so a
# change is compared with what it replaced in the same run.
BASELINE = os.environ.get("FANOUT_BASELINE")
# Its edge client, when it has one beside it: then its served edges are timed too, against this
# build's, alternately.
BASELINE_EDGE = None
if BASELINE and os.path.exists(os.path.join(os.path.dirname(BASELINE), "fanout-edge")):
    BASELINE_EDGE = os.path.join(os.path.dirname(BASELINE), "fanout-edge")
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 30
N = int(sys.argv[2]) if len(sys.argv) > 2 else 1000


def run(argv, cwd, env=None):
    r = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(argv)}\n{r.stderr.decode()}")


def as_ninja(argv):
    """The process Ninja starts for an edge whose command is `exec ARGV`: /bin/sh -c, which
    then becomes the program (ninja_generator.cc writes every fanout command with `exec`)."""
    return ["/bin/sh", "-c", "exec " + shlex.join(argv)]


def settle(build):
    """Waits until the last run's worker has ended: a served worker answers its client once
    the records are written and ends its sandbox after (docs/exec-server.md), holding the
    target's lock until then. Without this the next run, bare or not, would share the machine
    with that end. (A pause on top, to let the kernel finish a namespace's teardown, made every
    run slower on this VM, bare ones too: an idle virtual CPU is slow to wake.)"""
    lock = os.path.join(build, ".fanout", "ws", "t.lock")
    if os.path.exists(lock):
        with open(lock) as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            fcntl.flock(f, fcntl.LOCK_UN)


def once(argv, cwd, env, before=None, spans=None):
    """Wall seconds of one run, started on a settled machine; `spans` gets its (start, end) on
    CLOCK_MONOTONIC in us."""
    settle(cwd)
    if before:
        before()
    t0 = time.perf_counter()
    m0 = time.monotonic_ns() // 1000
    run(argv, cwd, env)
    if spans is not None:
        spans.append((m0, time.monotonic_ns() // 1000))
    return time.perf_counter() - t0


def git_repo(path, description, files):
    os.makedirs(path)
    for rel, text in files.items():
        os.makedirs(os.path.dirname(os.path.join(path, rel)), exist_ok=True)
        with open(os.path.join(path, rel), "w") as f:
            f.write(text)
    with open(os.path.join(path, "fanout.yaml"), "w") as f:
        f.write(description)
    for argv in (["git", "init", "-q"], ["git", "add", "-A"],
                 ["git", "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "x"]):
        run(argv, path)


class ExecServer:
    """The build's exec server (cli/exec_server.h) as `fanout build` starts it: a listening
    socket in a private directory, `fanout exec-server` serving it, and the variables that send
    an edge's client to it."""

    def __init__(self, tmp, env, build_dir, binary=None):
        self.dir = tempfile.mkdtemp(dir=tmp)
        path = os.path.join(self.dir, "socket")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(128)
        token = secrets.token_hex(32)
        # As `fanout build` starts it (cli/exec_server_process.cc): its build directory, and the
        # loader binding every symbol at its start. An earlier build (FANOUT_BASELINE) gets
        # what its own `fanout build` gave it: neither.
        argv = [binary or FANOUT, "exec-server", "--socket-fd", str(self.sock.fileno())]
        extra = {}
        if binary is None:
            argv += ["--build-dir", build_dir]
            extra["LD_BIND_NOW"] = "1"
        self.proc = subprocess.Popen(
            argv,
            pass_fds=(self.sock.fileno(),), env=dict(env, FANOUT_EXEC_SERVER_TOKEN=token, **extra))
        self.env = {"FANOUT_EXEC_SERVER": path, "FANOUT_EXEC_SERVER_TOKEN": token}

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        self.sock.close()


def remove_bases(build):
    internal = os.path.join(build, ".fanout")
    for name in os.listdir(internal):
        if name.startswith("bases"):
            shutil.rmtree(os.path.join(internal, name))


def phase_medians(profile_path, spans):
    """Median milliseconds of each phase, and of the sandbox's own parts, over the profile.
    `spans` are the runs' own (start, end), in the profile's order: before the runner's first
    phase is the process's start-up (the shell Ninja starts, exec, dynamic linking, static
    initialization, the command line); after its last, its exit."""
    rows = [json.loads(line) for line in open(profile_path)]
    names = [n for n, _ in rows[0]["phases"]]
    out = [("start-up (sh, exec, to the runner)",
            statistics.median(r["start_us"] - s[0] for r, s in zip(rows, spans)) / 1000)]
    for name in names:
        out.append((name, statistics.median(dict(r["phases"]).get(name, 0) for r in rows) / 1000))
    # A served edge is done for its parent when its records are written (the "recorded"
    # point): the teardown after it is off the edge's clock.
    def done_us(r):
        return r["points_us"].get("recorded", r["end_us"]) if r.get("served") else r["end_us"]

    out.append(("exit (to the parent seeing it)",
                statistics.median(s[1] - done_us(r) for r, s in zip(rows, spans)) / 1000))
    parts = {"set-up (clone to command start)": [], "the command": [],
             "artifact collection": [], "end (to the runner seeing it)": []}
    for r in rows:
        before = 0
        for n, us in r["phases"]:
            if n == "sandbox":
                break
            before += us
        start = r["start_us"] + before
        end = start + dict(r["phases"])["sandbox"]
        p = r["points_us"]
        if not p.get("sandbox_setup_done"):
            continue
        parts["set-up (clone to command start)"].append(p["sandbox_setup_done"] - start)
        parts["the command"].append(p["command_done"] - p["sandbox_setup_done"])
        parts["artifact collection"].append(p["collection_done"] - p["command_done"])
        parts["end (to the runner seeing it)"].append(end - p["collection_done"])
    inside = [(k, statistics.median(v) / 1000) for k, v in parts.items() if v]
    return out, inside


def edge(tmp):
    repo = os.path.join(tmp, "repo")
    git_repo(repo, "version: 1\ntargets:\n  t:\n    command: 'true'\n    inputs: [src/**]\n",
             {"src/a.txt": "a\n"})
    bare_times = []
    results = []
    profiles = {}
    for tier in ("namespaces", "process"):
        build = os.path.join(tmp, f"b-{tier}")
        profile = os.path.join(tmp, f"profile-{tier}.jsonl")
        env = dict(os.environ, FANOUT_SANDBOX=tier)
        run([FANOUT, "build", "-B", build], repo, env)  # the probe cached, a base made
        warm_env = dict(env, FANOUT_EXEC_PROFILE=profile)
        argv = [FANOUT, "exec", "-B", ".", "t"]
        warm, cold, spans, baseline, alongside = [], [], [], [], []
        baseline_served, alongside_served = [], []
        # The same edge as a build started by `fanout build` runs it: the client, and a worker
        # forked from the exec server.
        server = ExecServer(tmp, env, build)
        served_profile = os.path.join(tmp, f"profile-{tier}-served.jsonl")
        served_env = dict(env, FANOUT_EXEC_PROFILE=served_profile, **server.env)
        served, served_spans = [], []
        # Warm runs follow warm runs, as in an incremental build: a cold run's removal of the
        # bases (thousands of files freed, journalled and, on a file system mounted with
        # `discard`, trimmed) must not land on the next warm run's clock.
        # Each way of running the edge in a loop of its own, alternating with bare runs: a
        # served edge follows served edges in a build, as a started one follows started ones.
        # (A served run right after a started one paid for the kernel's end of the started
        # run's namespaces, 0.5-1.5 ms on this VM, which no build of either kind has.)
        # Each loop's own bare runs are kept too: this VM's speed drifts between loops, and a
        # row is also compared with the bare runs it alternated with.
        loop_bare = {}

        def bare_run(kind):
            t = once(["/bin/sh", "-c", "true"], build, env)
            bare_times.append(t)
            loop_bare.setdefault(kind, []).append(t)

        for _ in range(RUNS):
            bare_run("warm")
            warm.append(once(as_ninja(argv), build, warm_env, spans=spans))
        for _ in range(RUNS):
            bare_run("warm, exec server")
            served.append(once(as_ninja([EDGE] + argv), build, served_env, spans=served_spans))
        if not all(json.loads(line)["served"] for line in open(served_profile)):
            sys.exit("an edge given the exec server's variables was not served by it")
        # Cold and served: what an edge of `fanout build` is after a commit, since a base is
        # made for a tree (sandbox/base_cache.h) and the targets a change reruns have new ones.
        served_cold = []
        for _ in range(RUNS):
            bare_run("cold, exec server")
            served_cold.append(once(as_ninja([EDGE] + argv), build, dict(env, **server.env),
                                    before=lambda: remove_bases(build)))
        server.stop()
        for _ in range(RUNS):
            bare_run("cold")
            cold.append(once(as_ninja(argv), build, env, before=lambda: remove_bases(build)))
        if BASELINE:
            # Another binary has another probe cache stamp (sandbox/probe.h): each would probe
            # again if they alternated, so each keeps its own cache directory.
            base_env = dict(env, XDG_CACHE_HOME=os.path.join(tmp, "baseline-cache"))
            os.makedirs(base_env["XDG_CACHE_HOME"], mode=0o700, exist_ok=True)
            # And its own build directory: what one binary leaves in a target's directories
            # (an overlay's work directory, the result it replaced) must not land on the
            # other's clock.
            base_build = os.path.join(tmp, f"b-{tier}-baseline")
            run([FANOUT, "build", "-B", base_build], repo, env)
            run([BASELINE, "exec", "-B", ".", "t"], base_build, base_env)
            for _ in range(RUNS):
                bare_run("warm, baseline")
                baseline.append(once(as_ninja([BASELINE] + argv[1:]), base_build, base_env))
                alongside.append(once(as_ninja(argv), build, env))
            loop_bare["warm, beside it"] = loop_bare["warm, baseline"]
            if BASELINE_EDGE:
                base_server = ExecServer(tmp, base_env, base_build, binary=BASELINE)
                server = ExecServer(tmp, env, build)
                base_served_env = dict(base_env, **base_server.env)
                this_served_env = dict(env, **server.env)
                for _ in range(RUNS):
                    bare_run("served, baseline")
                    baseline_served.append(once(as_ninja([BASELINE_EDGE, BASELINE] + argv[1:]),
                                                base_build, base_served_env))
                    bare_run("served, baseline")
                    alongside_served.append(once(as_ninja([EDGE] + argv), build, this_served_env))
                loop_bare["served, beside it"] = loop_bare["served, baseline"]
                base_server.stop()
                server.stop()
        rows = [("warm", warm), ("warm, exec server", served), ("cold", cold),
                ("cold, exec server", served_cold), ("warm, baseline", baseline),
                ("warm, beside it", alongside), ("served, baseline", baseline_served),
                ("served, beside it", alongside_served)]
        for kind, times in rows:
            if times:
                results.append((tier, kind, statistics.median(times) * 1000,
                                statistics.median(loop_bare[kind]) * 1000))
        profiles[tier] = phase_medians(profile, spans)
        profiles[tier + ", exec server"] = phase_medians(served_profile, served_spans)
    bare = statistics.median(bare_times) * 1000
    print(f"## one edge: `fanout exec` of `true` as Ninja starts it, median of {RUNS} runs, "
          f"uid {os.geteuid()}")
    print(f"{'':<40}{'ms':>9}{'over bare':>12}{'ratio':>9}{'its loop: bare, over':>24}")
    print(f"{'bare /bin/sh -c true':<40}{bare:>9.2f}")
    for tier, kind, ms, own_bare in results:
        print(f"{tier + ', ' + kind:<40}{ms:>9.2f}{ms - bare:>12.2f}{ms / bare:>8.1f}x"
              f"{own_bare:>14.2f}{ms - own_bare:>10.2f}")
    if BASELINE:
        print(f"(baseline: {BASELINE})")
    for tier, (phases, inside) in profiles.items():
        print(f"\n### where a warm edge's time goes, {tier} tier (medians, ms)")
        for name, ms in phases:
            print(f"  {name:<36}{ms:>8.2f}")
        for name, ms in inside:
            print(f"    sandbox: {name:<34}{ms:>6.2f}")
    return bare, results


def setup_ms(profile_path):
    """Median ms from the sandbox phase's start to the command's start (the sandbox's set-up)."""
    out = []
    for line in open(profile_path):
        r = json.loads(line)
        before = 0
        for n, us in r["phases"]:
            if n == "sandbox":
                break
            before += us
        out.append(r["points_us"]["sandbox_setup_done"] - (r["start_us"] + before))
    return statistics.median(out) / 1000


def readonly_pass(tmp):
    """The namespaces tier's read-only pass made both ways, alternately, in the test build:
    one recursive mount_setattr, and one remount per mount point (kernels before 5.12)."""
    if not WEAKENED:
        return
    build = os.path.join(tmp, "b-namespaces")
    profiles = {}
    for way, weaken in (("one mount_setattr", "none"), ("a remount per point", "mount-setattr")):
        profiles[way] = os.path.join(tmp, f"ro-{weaken}.jsonl")
    for _ in range(RUNS):
        for way, weaken in (("one mount_setattr", "none"), ("a remount per point", "mount-setattr")):
            env = dict(os.environ, FANOUT_SANDBOX="namespaces", FANOUT_TEST_WEAKEN=weaken,
                       FANOUT_EXEC_PROFILE=profiles[way])
            run([WEAKENED, "exec", "-B", ".", "t"], build, env)
    print(f"\n## the read-only pass, namespaces tier: the sandbox's set-up (median of {RUNS}, ms)")
    for way, path in profiles.items():
        print(f"  {way:<34}{setup_ms(path):8.2f}")


def full_build(tmp):
    repo = os.path.join(tmp, "many")
    lines = ["version: 1", "targets:"]
    files = {}
    for i in range(N):
        name = f"t{i:05d}"
        files[f"pkg/{name}/f.txt"] = name + "\n"
        lines += [f"  {name}:", "    command: 'true'", f"    inputs: [pkg/{name}/**]"]
    git_repo(repo, "\n".join(lines) + "\n", files)
    plain = os.path.join(tmp, "plain")
    os.makedirs(plain)
    with open(os.path.join(plain, "build.ninja"), "w") as f:
        f.write("rule run\n  command = true\n")
        for i in range(N):
            f.write(f"build t{i:05d}.stamp: run\n")
    build = os.path.join(tmp, "fanout-many")
    served_build = os.path.join(tmp, "fanout-many-served")
    run([FANOUT, "gen", "-B", build], repo)
    run([FANOUT, "gen", "-B", served_build], repo)
    t0 = time.perf_counter()
    run(["ninja", "-j2"], plain)
    plain_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    run(["ninja", "-j2"], build, dict(os.environ))
    fanout_s = time.perf_counter() - t0
    def served(build_dir, env, binary=None):
        """Seconds of `ninja -j2` in build_dir with its edges forked from an exec server."""
        server = ExecServer(tmp, env, build_dir, binary=binary)
        t0 = time.perf_counter()
        run(["ninja", "-j2"], build_dir, dict(env, **server.env))
        secs = time.perf_counter() - t0
        server.stop()
        return secs

    served_s = served(served_build, os.environ)
    baseline_s = None
    if BASELINE_EDGE:
        # The same served build by the earlier binary, in a build directory it generated.
        base_build = os.path.join(tmp, "fanout-many-baseline")
        base_env = dict(os.environ, XDG_CACHE_HOME=os.path.join(tmp, "baseline-cache"))
        os.makedirs(base_env["XDG_CACHE_HOME"], mode=0o700, exist_ok=True)
        run([BASELINE, "gen", "-B", base_build], repo, base_env)
        baseline_s = served(base_build, base_env, binary=BASELINE)
    print(f"\n## a full build of {N} targets running `true`, ninja -j2 on 2 cores")
    print(f"  plain ninja, the same commands            {plain_s:8.2f} s")
    for label, secs in (("fanout's build directory, each edge starts fanout", fanout_s),
                        ("the same, edges forked from the exec server", served_s),
                        ("the same, the baseline's exec server", baseline_s)):
        if secs is None:
            continue
        print(f"  {label:<50}{secs:8.2f} s  ({secs / plain_s:.1f}x; "
              f"{(secs - plain_s) / N * 1000:.1f} ms more per target, 2 at a time)")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        edge(tmp)
        readonly_pass(tmp)
        full_build(tmp)


if __name__ == "__main__":
    main()
