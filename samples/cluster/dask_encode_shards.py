#!/usr/bin/python3
"""Encode a corpus of shards on Dask distributed: one task per shard, then one manifest.

Each task runs the `bytepiece` executable on its shard (`bytepiece encode --input SHARD --output-dir OUT
--manifest OUT/.parts/NAME.jsonl`), so every output is the file a one-process shard run writes, and each task
keeps its own manifest (no two processes write one file). When every task has succeeded, `bytepiece manifest
merge` joins the task manifests, in the order of the shard list, into OUT/manifest.jsonl: the manifest a
one-process run (`bytepiece encode --input-list LIST --output-dir OUT`) writes, but for the time fields.

Run again after a failure (or on more shards), it skips the shards already done: each task finds its shard in
its manifest in OUT/.parts/ (keep that folder until the merged manifest is verified).

    dask_encode_shards.py --shards LIST --output-dir OUT [--scheduler tcp://HOST:8786 | --workers N]
                          [--bytepiece COMMAND] [-- ENCODE OPTIONS (--model M, --format F, --eos, ...)]

Without --scheduler it starts a LocalCluster of N worker processes (one thread each) on this machine. With a
real cluster every path (shards, OUT, --model) must be the same on every worker: absolute, on a shared file
system. Exit code: 0, or the first failed shard's `bytepiece` exit code (its error lines are printed), 1 for
bad arguments. docs/shards.md describes the contract this relies on.
"""
import argparse
import os
import shlex
import subprocess
import sys
import time

# Manifests merged in one `bytepiece manifest merge` call: keeps the command line short for any number of shards.
MERGE_BATCH = 1000


def stem(path):
    """The name `bytepiece encode --output-dir` gives a shard's outputs: the input's name without its extension."""
    return os.path.splitext(os.path.basename(path))[0]


def encode_shard(shard, bytepiece, output_dir, parts_dir, options):
    """One Dask task: `bytepiece encode` on one shard. Returns (shard, exit code, stderr).

    It runs in a worker process and only starts a program: nothing in it depends on Dask, so a task that a
    dead worker loses is simply run again (the run is idempotent: done means skipped, the rest is redone).
    """
    manifest = os.path.join(parts_dir, stem(shard) + ".jsonl")
    command = bytepiece + ["encode", "--input", shard, "--output-dir", output_dir, "--manifest", manifest,
                           "--threads", "1", "--quiet"] + options
    done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return shard, done.returncode, done.stderr.decode("utf-8", "replace")


def merge(bytepiece, manifests, target, parts_dir):
    """`bytepiece manifest merge` of the task manifests, in order (in batches when there are many); its exit code."""
    batches = [manifests[i:i + MERGE_BATCH] for i in range(0, len(manifests), MERGE_BATCH)]
    intermediate = []
    if len(batches) > 1:
        for number, batch in enumerate(batches):
            intermediate.append(os.path.join(parts_dir, "merged-%06d.jsonl" % number))
            code = subprocess.run(bytepiece + ["manifest", "merge", "--quiet", "-o", intermediate[-1]] + batch).returncode
            if code != 0:
                return code
        manifests = intermediate
    code = subprocess.run(bytepiece + ["manifest", "merge", "--quiet", "-o", target] + manifests).returncode
    for manifest in intermediate:
        os.remove(manifest)
    return code


def main():
    parser = argparse.ArgumentParser(description="Encode shards with bytepiece on Dask distributed, one task per shard.")
    parser.add_argument("--shards", required=True, help="a file naming the shards, one path per line")
    parser.add_argument("--output-dir", required=True, help="the folder of the outputs and of manifest.jsonl")
    parser.add_argument("--bytepiece", default="bytepiece", help="the command that runs bytepiece (split as a shell would)")
    parser.add_argument("--scheduler", help="a running Dask scheduler's address; default: a LocalCluster on this machine")
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="LocalCluster worker processes (default: the cores)")
    parser.add_argument("--quiet", action="store_true", help="no summary line on stderr")
    parser.add_argument("encode_options", nargs=argparse.REMAINDER, help="after --: options of bytepiece encode")
    args = parser.parse_args()
    options = args.encode_options[1:] if args.encode_options[:1] == ["--"] else args.encode_options
    bytepiece = shlex.split(args.bytepiece)

    with open(args.shards, encoding="utf-8") as listing:
        shards = [os.path.abspath(line.rstrip("\r\n")) for line in listing if line.rstrip("\r\n")]
    # Two shards of one name would be written to one file by two tasks at once: refused, as bytepiece refuses them.
    seen = {}
    for shard in shards:
        if stem(shard) in seen:
            print("dask_encode_shards: shards %s and %s have the same name without extension; rename one" % (seen[stem(shard)], shard), file=sys.stderr)
            return 1
        seen[stem(shard)] = shard
    output_dir = os.path.abspath(args.output_dir)
    parts_dir = os.path.join(output_dir, ".parts")
    os.makedirs(parts_dir, exist_ok=True)

    from dask.distributed import Client, LocalCluster  # imported here: --help works without Dask

    started = time.monotonic()
    cluster = None if args.scheduler else LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None)
    with Client(args.scheduler or cluster) as client:
        futures = client.map(encode_shard, shards, bytepiece=bytepiece, output_dir=output_dir, parts_dir=parts_dir,
                             options=options, key=["bytepiece-encode-" + stem(s) for s in shards], pure=False)
        results = client.gather(futures)
    if cluster is not None:
        cluster.close()

    failed = [(shard, code, stderr) for shard, code, stderr in results if code != 0]
    for shard, code, stderr in failed:
        sys.stderr.write(stderr if stderr else "dask_encode_shards: %s: bytepiece exited with %d\n" % (shard, code))
    if failed:
        print("dask_encode_shards: %d of %d shards failed; the others are done (run again to finish)" % (len(failed), len(shards)), file=sys.stderr)
        return failed[0][1] if 0 < failed[0][1] < 256 else 1
    code = merge(bytepiece, [os.path.join(parts_dir, stem(s) + ".jsonl") for s in shards], os.path.join(output_dir, "manifest.jsonl"), parts_dir)
    if code != 0:
        return code
    if not args.quiet:
        print("dask_encode_shards: %d shards encoded on %s in %.1f s; manifest %s" % (
            len(shards), args.scheduler or "%d local workers" % args.workers, time.monotonic() - started,
            os.path.join(output_dir, "manifest.jsonl")), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
