#!/usr/bin/env python3
"""Pushing N built images: `fanout publish` (N at a time) against a serial loop of skopeo.

A private Docker daemon (bench/images_bench.py's) builds N `FROM scratch` images with fanout,
each holding its own 8 MiB of random bytes (so no layer is shared), tagged for a registry on
loopback (Debian's docker-registry, no authentication). Then, with the registry's storage
emptied before every push:
  - publish:    `fanout publish -j N`, every image by digest and then by tag;
  - publish-1:  `fanout publish -j 1`, the same one image at a time;
  - loop:       a shell loop of the same two `skopeo copy` per image, one after another (what
                a post-submit script does today);
and once more `fanout publish` against the full registry (nothing to send). The sides alternate
which goes first. Then the same again with the registry behind a link of LATENCY_MS one-way
delay and RATE_MBIT per connection (default 40 ms and 100 Mbit/s, a registry in another
region): this machine's kernel has no netem qdisc, so a proxy on loopback (DelayLink below)
holds every chunk for the delay and paces each connection at the rate, in both directions.
Prints the median seconds of each and the ratios, all measured in this run.
Run through scripts/bench-publish [N [ROUNDS [LATENCY_MS [RATE_MBIT]]]].
"""
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from images_bench import Daemon, run, write  # noqa: E402

FANOUT = os.environ["FANOUT"]
N = int(sys.argv[1]) if len(sys.argv) > 1 else 8
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
LATENCY_MS = float(sys.argv[3]) if len(sys.argv) > 3 else 40
RATE_MBIT = float(sys.argv[4]) if len(sys.argv) > 4 else 100
PATH = "/usr/bin:/bin:/usr/sbin:/sbin"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Registry:
    """docker-registry on ip:port, storage under dir; restart() empties it."""

    def __init__(self, dir, ip, port):
        self.dir, self.ip, self.port, self.proc = dir, ip, port, None
        self.config = os.path.join(dir, "config.yml")
        write(self.config, f"version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
                           f"storage:\n  filesystem:\n    rootdirectory: {dir}/data\n"
                           f"http:\n  addr: {ip}:{port}\n")
        self.restart()

    def restart(self):
        self.stop()
        shutil.rmtree(os.path.join(self.dir, "data"), ignore_errors=True)
        self.proc = subprocess.Popen(["docker-registry", "serve", self.config],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):
            with socket.socket() as s:
                if s.connect_ex((self.ip, self.port)) == 0:
                    return
            time.sleep(0.05)
        sys.exit("docker-registry did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()


class DelayLink:
    """A TCP proxy on ip:port to upstream: every chunk either way arrives `delay` seconds after
    it was sent, and each direction of a connection carries at most `rate` bytes a second."""

    def __init__(self, ip, port, upstream, delay, rate):
        self.upstream, self.delay, self.rate = upstream, delay, rate
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((ip, port))
        self.listener.listen(64)
        self.stopped = False
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while not self.stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self.pump, args=(a, b), daemon=True).start()

    def pump(self, src, dst):
        # A reader stamps each chunk; this thread's sender delivers it at stamp + delay, no
        # sooner than the rate allows after the previous one.
        chunks, ready = [], threading.Condition()

        def read():
            while True:
                try:
                    data = src.recv(65536)
                except OSError:
                    data = b""
                with ready:
                    chunks.append((time.monotonic() + self.delay, data))
                    ready.notify()
                if not data:
                    return

        threading.Thread(target=read, daemon=True).start()
        free_at = 0.0
        while True:
            with ready:
                while not chunks:
                    ready.wait()
                due, data = chunks.pop(0)
            now = time.monotonic()
            start = max(due, free_at)
            if start > now:
                time.sleep(start - now)
            if not data:
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            free_at = max(time.monotonic(), start) + len(data) / self.rate
            try:
                dst.sendall(data)
            except OSError:
                return

    def stop(self):
        self.stopped = True
        self.listener.close()


def describe(daemon, host):
    targets = ""
    for i in range(N):
        targets += (f"  img{i}:\n    pool: images\n    network: false\n"
                    f"    sockets: [{daemon.socket}]\n    pass_env: [DOCKER_HOST]\n"
                    f"    image:\n      context: img{i}\n"
                    f"      tags: [\"{host}/img{i}:v1\"]\n")
    return f"version: 1\npools:\n  images: 2\ntargets:\n{targets}"


def measure(title, repo, build, env, registry, host):
    """Every side against an empty registry, ROUNDS times, then a publish with nothing to send."""
    with open(os.path.join(build, "manifest.json")) as f:
        manifest = json.load(f)
    loop = []
    for t in manifest["targets"]:
        image = t["image"]
        layout = os.path.join(build, image["layout"])
        name = f"{host}/{t['name']}"
        for ref in (f"{name}@{image['manifest_digest']}", f"{name}:v1"):
            loop.append(f"skopeo copy --quiet --preserve-digests "
                        f"--dest-tls-verify=false oci:{layout} docker://{ref}")
    sides = {
        "publish": [FANOUT, "publish", "-B", build, "--insecure", "-j", str(N)],
        "publish-1": [FANOUT, "publish", "-B", build, "--insecure", "-j", "1"],
        "loop": ["sh", "-c", " && ".join(loop)],
    }
    times = {name: [] for name in sides}
    noop = []
    for r in range(ROUNDS):
        order = list(sides) if r % 2 == 0 else list(reversed(sides))
        for name in order:
            registry.restart()
            t0 = time.perf_counter()
            run(sides[name], repo, env)
            times[name].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        run(sides["publish"], repo, env)  # the registry has everything now
        noop.append(time.perf_counter() - t0)
    med = {name: statistics.median(t) for name, t in times.items()}
    print(f"\n{title}: push {N} images of 8 MiB each (by digest, then one tag), median of "
          f"{ROUNDS} rounds, {os.cpu_count()} cores")
    print(f"{'side':<46}{'seconds':>9}{'vs publish':>12}")
    labels = {"publish": f"fanout publish -j {N}",
              "publish-1": "fanout publish -j 1",
              "loop": "serial loop of skopeo copy"}
    for name in sides:
        print(f"{labels[name]:<46}{med[name]:>9.2f}{med[name] / med['publish']:>11.2f}x")
    m = statistics.median(noop)
    print(f"{'fanout publish again (registry has them)':<46}{m:>9.2f}{m / med['publish']:>11.2f}x")


def main():
    daemon = Daemon()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            os.chmod(tmp, 0o755)
            repo = os.path.join(tmp, "repo")
            port = free_port()
            for i in range(N):
                write(os.path.join(repo, f"img{i}", "Dockerfile"), "FROM scratch\nCOPY blob /blob\n")
                write(os.path.join(repo, f"img{i}", "blob"), os.urandom(8 << 20), "wb")
            write(os.path.join(repo, "fanout.yaml"), describe(daemon, f"127.0.0.1:{port}"))
            for argv in (["git", "init", "-q"], ["git", "add", "-A"],
                         ["git", "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm",
                          "x"]):
                run(argv, repo)
            env = daemon.env()
            loopback_build = os.path.join(tmp, "build")
            run([FANOUT, "build", "-B", loopback_build], repo, env)
            host = f"127.0.0.1:{port}"
            registry = Registry(os.path.join(tmp, "registry"), "127.0.0.1", port)
            try:
                measure("registry on loopback", repo, loopback_build, env, registry, host)
            finally:
                registry.stop()
            # The same tags, now answered through the slow link.
            behind = free_port()
            registry = Registry(os.path.join(tmp, "registry"), "127.0.0.1", behind)
            link = DelayLink("127.0.0.1", port, ("127.0.0.1", behind), LATENCY_MS / 1000,
                             RATE_MBIT * 1e6 / 8)
            try:
                measure(f"registry behind a link of {LATENCY_MS:g} ms one way and {RATE_MBIT:g} "
                        f"Mbit/s per connection", repo, loopback_build, env, registry, host)
            finally:
                link.stop()
                registry.stop()
    finally:
        daemon.stop()


if __name__ == "__main__":
    main()
