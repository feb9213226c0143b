#!/usr/bin/env python3
"""A/B of two konecty-session binaries on a warm call that needs no network.

  python3 bench/ab.py OLD NEW [--runs N] [--args "status --offline"]

Each binary gets a HOME of its own (kept between runs, so its compiled component is cached
after the first run, which is not counted). Runs alternate OLD, NEW, NEW, OLD, ... so drift on
the machine affects both alike. Prints the median and 90th percentile of wall time and of CPU
time (user + system, from os.wait4) per binary, and NEW's medians as a share of OLD's.
"""

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time


def run_once(binary, args, home):
    env = {"HOME": home, "XDG_CACHE_HOME": os.path.join(home, ".cache"), "PATH": os.environ.get("PATH", "")}
    start = time.perf_counter_ns()
    process = subprocess.Popen([binary, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = (time.perf_counter_ns() - start) / 1e6
    code = os.waitstatus_to_exitcode(status)
    return wall, (usage.ru_utime + usage.ru_stime) * 1000, code


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--args", default="status --offline")
    options = parser.parse_args()
    args = shlex.split(options.args)
    binaries = {"old": options.old, "new": options.new}
    homes = {name: tempfile.mkdtemp(prefix=f"ab-{name}-") for name in binaries}
    first_codes = {}
    for name, binary in binaries.items():
        first_codes[name] = run_once(binary, args, homes[name])[2]
    results = {name: {"wall": [], "cpu": []} for name in binaries}
    for round_ in range(options.runs):
        order = ["old", "new"] if round_ % 2 == 0 else ["new", "old"]
        for name in order:
            wall, cpu, code = run_once(binaries[name], args, homes[name])
            if code != first_codes[name]:
                sys.exit(f"{name} exited {code}, its first run {first_codes[name]}: not comparable")
            results[name]["wall"].append(wall)
            results[name]["cpu"].append(cpu)
    print(f"{options.runs} alternating runs of `{' '.join(args)}` each")
    print("| binary | wall median ms | wall p90 ms | CPU median ms | CPU p90 ms |")
    print("|---|---|---|---|---|")
    for name in binaries:
        wall, cpu = results[name]["wall"], results[name]["cpu"]
        print(f"| {name} | {statistics.median(wall):.1f} | {percentile(wall, 0.9):.1f} | "
              f"{statistics.median(cpu):.1f} | {percentile(cpu, 0.9):.1f} |")
    for measure in ("wall", "cpu"):
        share = statistics.median(results["new"][measure]) / statistics.median(results["old"][measure])
        print(f"new/old median {measure}: {share:.2f}")


if __name__ == "__main__":
    main()
