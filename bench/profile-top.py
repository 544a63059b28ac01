#!/usr/bin/python3
"""Top frames of a dotnet-trace speedscope file (dotnet-trace collect --profile dotnet-sampled-thread-time
--format speedscope): self and inclusive share (sorted by inclusive) of the busiest thread's time, for RESULTS.md.

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


def owner(stack):
    """The innermost real frame (dotnet-trace puts CPU_TIME / UNMANAGED_CODE_TIME pseudo frames on top)."""
    for f in reversed(stack):
        if frames[f] not in PSEUDO:
            return f
    return stack[-1]


best = None
for profile in data["profiles"]:
    self_time, inclusive, total = collections.Counter(), collections.Counter(), 0.0
    if profile["type"] == "evented":
        stack, last = [], profile["startValue"]
        for event in profile["events"]:
            at = event["at"]
            if stack:
                self_time[owner(stack)] += at - last
                for f in set(stack):
                    inclusive[f] += at - last
                total += at - last
            last = at
            if event["type"] == "O":
                stack.append(event["frame"])
            else:
                stack.pop()
    else:
        for sample, weight in zip(profile["samples"], profile["weights"]):
            if sample:
                self_time[owner(sample)] += weight
                for f in set(sample):
                    inclusive[f] += weight
                total += weight
    if best is None or total > best[2]:
        best = (self_time, inclusive, total, profile.get("name", ""))
self_time, inclusive, total, name = best
print(f"thread {name}: {total:.0f} {data['profiles'][0].get('unit', '')} sampled")
print(f"{'self':>6} {'incl':>6}  frame (by inclusive time)")
for f, t in sorted(inclusive.items(), key=lambda kv: -kv[1]):
    t = self_time[f]
    if needle and needle not in frames[f]:
        continue
    print(f"{100 * t / total:5.1f}% {100 * inclusive[f] / total:5.1f}%  {frames[f][:150]}")
    top -= 1
    if top == 0:
        break
