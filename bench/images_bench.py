#!/usr/bin/env python3
"""N independent small images: fanout (a pool of depth 4) against a serial shell loop.

A private Docker daemon (its own socket under /tmp, no bridge, no iptables rules, stopped and
removed at the end, as tests/e2e/docker_daemon.cc starts one) builds N `FROM scratch` images
of a static busybox, each with a RUN step that sleeps and counts (fixed work, so a build is
not trivial):
  - fanout: `fanout build` of N image targets in one pool of depth 4 (each build is exported
    to an OCI layout with skopeo, as fanout always does);
  - loop:   `DOCKER_BUILDKIT=1 docker build` of the same contexts one after another;
  - bake:   `docker buildx bake` of the file `fanout gen --format bake` writes, when buildx is
    installed.
Every image of every build of every round sees its own content (a nonce copied in before the
RUN step), so no image is another's cache hit, on either side; the sides alternate which goes first. Prints the median seconds
of each side and the ratios, all measured in this run. Run through scripts/bench-images.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

FANOUT = os.environ["FANOUT"]
N = int(sys.argv[1]) if len(sys.argv) > 1 else 8
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
# Debian's docker CLI (20.10, BuildKit built in); /usr/local/bin may hold another.
PATH = "/usr/bin:/bin:/usr/sbin:/sbin"
RUN_STEP = ('RUN ["/bin/busybox", "sh", "-c", "busybox sleep 1; i=0; '
            'while [ $i -lt 100000 ]; do i=$((i+1)); done; echo $i > /count"]')


def run(argv, cwd=None, env=None, check=True):
    r = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if check and r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(argv)}\n{r.stdout.decode()}"
                 f"{r.stderr.decode()[-3000:]}")
    return r


class Daemon:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="fbi.", dir="/tmp")  # short: sockets live here
        os.chmod(self.dir, 0o755)
        self.socket = os.path.join(self.dir, "docker.sock")
        self.host = "unix://" + self.socket
        self.log = open(os.path.join(self.dir, "dockerd.log"), "w")
        self.proc = subprocess.Popen(
            ["dockerd", "--host", self.host, "--data-root", self.dir + "/data",
             "--exec-root", self.dir + "/exec", "--pidfile", self.dir + "/dockerd.pid",
             "--bridge", "none", "--iptables=false", "--ip6tables=false", "--ip-masq=false"],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
            env=dict(os.environ, PATH=PATH))
        for _ in range(600):
            if run(["docker", "--host", self.host, "version"], env=self.env(),
                   check=False).returncode == 0:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        sys.exit("dockerd did not start; see its log")

    def env(self, **extra):
        return dict(os.environ, PATH=PATH, DOCKER_HOST=self.host, **extra)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        subprocess.run(["sh", "-c", f"grep -o ' {self.dir}[^ ]*' /proc/self/mounts | sort -r | "
                        "xargs -r -n1 umount -l"], check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


def write(path, text, mode="w"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(text)


def make_repo(repo, daemon):
    busybox = shutil.which("busybox", path=PATH)
    targets = ""
    for i in range(N):
        ctx = os.path.join(repo, f"img{i}")
        os.makedirs(ctx)
        shutil.copy(busybox, os.path.join(ctx, "busybox"))
        write(os.path.join(ctx, "Dockerfile"),
              f"FROM scratch\nCOPY busybox /bin/busybox\nCOPY nonce /nonce\n{RUN_STEP}\n")
        write(os.path.join(ctx, "nonce"), "0\n")
        targets += (f"  img{i}:\n    pool: images\n    network: false\n"
                    f"    sockets: [{daemon.socket}]\n    pass_env: [DOCKER_HOST]\n"
                    f"    image:\n      context: img{i}\n")
    write(os.path.join(repo, "fanout.yaml"),
          f"version: 1\npools:\n  images: 4\ntargets:\n{targets}")
    for argv in (["git", "init", "-q"], ["git", "add", "-A"],
                 ["git", "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "x"]):
        run(argv, repo)


def new_content(repo, nonce):
    for i in range(N):
        # Distinct per image too: identical images would be one build and N-1 cache hits.
        write(os.path.join(repo, f"img{i}", "nonce"), f"{nonce}-{i}\n")
    run(["git", "add", "-A"], repo)
    run(["git", "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", nonce], repo)


def timed(argv, cwd, env):
    t0 = time.perf_counter()
    run(argv, cwd, env)
    return time.perf_counter() - t0


def main():
    daemon = Daemon()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            os.chmod(tmp, 0o755)
            repo = os.path.join(tmp, "repo")
            make_repo(repo, daemon)
            build = os.path.join(tmp, "build")
            env = daemon.env()
            bake = run(["docker", "buildx", "version"], env=env, check=False).returncode == 0
            loop = " && ".join(f"docker build -q --network none img{i} >/dev/null"
                               for i in range(N))
            sides = {
                "fanout": [FANOUT, "build", "-B", build],
                "loop": ["sh", "-c", loop],
            }
            if bake:
                bake_dir = os.path.join(tmp, "bake")
                run([FANOUT, "gen", "-B", bake_dir, "--format", "bake"], repo, env)
                sides["bake"] = ["docker", "buildx", "bake", "-f",
                                 os.path.join(bake_dir, "docker-bake.json"), "--set",
                                 "*.network=none"]
            run([FANOUT, "build", "-B", build], repo, env)  # warm: the busybox layer, the probe
            times = {name: [] for name in sides}
            for r in range(ROUNDS):
                order = list(sides) if r % 2 == 0 else list(reversed(sides))
                for name in order:
                    new_content(repo, f"{r}-{name}")
                    times[name].append(timed(sides[name], repo, dict(env, DOCKER_BUILDKIT="1")))
                    print(f"round {r + 1} {name}: {times[name][-1]:.2f} s", file=sys.stderr)
            med = {name: statistics.median(t) for name, t in times.items()}
            print(f"{N} small images (RUN: sleep 1 s + 100,000 shell iterations), median of "
                  f"{ROUNDS} rounds, {os.cpu_count()} cores, uid {os.geteuid()}")
            print(f"{'side':<44}{'seconds':>9}{'vs fanout':>11}")
            labels = {"fanout": "fanout build (pool of depth 4)",
                      "loop": "serial loop of DOCKER_BUILDKIT=1 docker build",
                      "bake": "docker buildx bake"}
            for name in sides:
                print(f"{labels[name]:<44}{med[name]:>9.2f}{med[name] / med['fanout']:>10.2f}x")
            if not bake:
                print(f"{labels['bake']:<44}{'not installed (no buildx plugin)':>20}")
    finally:
        daemon.stop()


if __name__ == "__main__":
    main()
