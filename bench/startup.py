#!/usr/bin/env python3
"""Whole-process start-up, in the style of hyperfine: each command runs 3 times to warm the caches, then N
rounds run every command once in turn (so a change in the machine's load hits them all alike). Per command:
the median wall time with its quartiles and minimum, and the median CPU time (user + system). Output is
discarded; a failing run stops it. Peak memory: /usr/bin/time -v (the rusage of a child forked from Python
counts Python's own pages from before the exec).

usage: python3 bench/startup.py N 'command 1' ['command 2' ...]
e.g.:  python3 bench/startup.py 60 'artifacts/native/bytepiece encode "hello world"'
"""
import os
import shlex
import statistics
import subprocess
import sys
import time


def run(command):
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = (time.perf_counter() - start) * 1000
    if status != 0:
        sys.exit(f"{shlex.join(command)} failed (wait status {status})")
    return wall, (usage.ru_utime + usage.ru_stime) * 1000


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    rounds = int(sys.argv[1])
    commands = [shlex.split(c) for c in sys.argv[2:]]
    for command in commands:
        for _ in range(3):
            run(command)
    results = [[] for _ in commands]
    for _ in range(rounds):
        for i, command in enumerate(commands):
            results[i].append(run(command))
    for command, runs in zip(commands, results):
        wall = [r[0] for r in runs]
        q1, _, q3 = statistics.quantiles(wall, n=4)
        print(f"wall median {statistics.median(wall):6.1f} ms (q1 {q1:.1f}, q3 {q3:.1f}, min {min(wall):.1f})"
              f"  cpu median {statistics.median(r[1] for r in runs):6.1f} ms"
              f"  n {rounds}  {shlex.join(command)}")


if __name__ == "__main__":
    main()
