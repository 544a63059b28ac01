#!/usr/bin/python3
"""Where the CPU time goes, from a dotnet-trace speedscope file (dotnet-trace collect --profile
dotnet-common,dotnet-sampled-thread-time --format speedscope): the on-CPU samples of all threads
(stacks holding the CPU_TIME pseudo frame; waiting threads are left out), with each frame's self and
inclusive share, sorted by inclusive time. For the profiler evidence in RESULTS.md.

usage: profile-top.py FILE.speedscope.json [N] [FILTER]   (FILTER: only frames whose name contains it)
"""
import collections
import json
import sys

data = json.load(open(sys.argv[1]))
top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
needle = sys.argv[3] if len(sys.argv) > 3 else ""
frames = [f["name"] for f in data["shared"]["frames"]]
PSEUDO = {"CPU_TIME", "UNMANAGED_CODE_TIME"}
cpu = frames.index("CPU_TIME") if "CPU_TIME" in frames else -1
self_time, inclusive, total = collections.Counter(), collections.Counter(), 0.0


def account(stack, weight):
    """One on-CPU stretch: its innermost real frame gets the self time, every frame on it the inclusive time."""
    global total
    if cpu not in stack:
        return
    owner = next((f for f in reversed(stack) if frames[f] not in PSEUDO), stack[-1])
    self_time[owner] += weight
    for f in set(stack):
        inclusive[f] += weight
    total += weight


for profile in data["profiles"]:
    if profile["type"] == "evented":
        stack, last = [], profile["startValue"]
        for event in profile["events"]:
            if stack:
                account(stack, event["at"] - last)
            last = event["at"]
            if event["type"] == "O":
                stack.append(event["frame"])
            else:
                stack.pop()
    else:
        for sample, weight in zip(profile["samples"], profile["weights"]):
            if sample:
                account(sample, weight)

print(f"on-CPU time, all threads: {total:.0f} {data['profiles'][0].get('unit', '')}")
print(f"{'self':>6} {'incl':>6}  frame (by inclusive time)")
for f, t in sorted(inclusive.items(), key=lambda kv: -kv[1]):
    if frames[f] in PSEUDO or (needle and needle not in frames[f]):
        continue
    print(f"{100 * self_time[f] / total:5.1f}% {100 * t / total:5.1f}%  {frames[f][:140]}")
    top -= 1
    if top == 0:
        break
