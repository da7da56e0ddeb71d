#!/usr/bin/env python3
"""Start-up of `fanout --version`: N runs (default 200) after 10 warm-up runs, each a fork and
exec of the binary to its exit, alternated with `/bin/true` as the anchor measured in the same
run. Prints the median, the mean and the 10th/90th percentiles in milliseconds. Run through
scripts/bench-startup; docs/startup.md records the figures.
"""
import os
import statistics
import subprocess
import sys
import time

FANOUT = os.environ["FANOUT"]
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 200


def once(argv):
    t0 = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return (time.perf_counter() - t0) * 1000


def summary(samples):
    q = statistics.quantiles(samples, n=10)
    return (f"median {statistics.median(samples):6.2f} ms  mean {statistics.fmean(samples):6.2f} ms"
            f"  p10 {q[0]:6.2f}  p90 {q[-1]:6.2f}")


def main():
    fanout, anchor = [FANOUT, "--version"], ["/bin/true"]
    for _ in range(10):
        once(fanout)
        once(anchor)
    fanout_ms, anchor_ms = [], []
    for _ in range(RUNS):
        fanout_ms.append(once(fanout))
        anchor_ms.append(once(anchor))
    print(f"fanout --version ({RUNS} runs): {summary(fanout_ms)}")
    print(f"/bin/true        ({RUNS} runs): {summary(anchor_ms)}")
    print(f"fanout --version minus /bin/true (medians): "
          f"{statistics.median(fanout_ms) - statistics.median(anchor_ms):.2f} ms")


if __name__ == "__main__":
    main()
