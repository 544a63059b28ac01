#!/usr/bin/python3
"""Encode a corpus of shards with Spark's RDD.pipe, then merge the manifests.

    spark-submit spark_encode_shards.py SHARDS_LIST OUT_DIR [ENCODE OPTIONS: --model M --format F ...]

Each shard is one record, "INDEX PATH", in a partition of its own; RDD.pipe writes it to the stdin of a
small sh script that runs `bytepiece encode --input PATH --output-dir OUT_DIR --manifest
OUT_DIR/.parts/INDEX.jsonl`, so each shard's output is the file a one-process shard run writes and each task
keeps its own manifest. With checkCode=True a shard that fails (its exit code nonzero, its error on the
executor's stderr) fails its task; Spark retries it (spark.task.maxFailures) and then fails the job, and the
merge does not run. Submitted again, the job skips every shard already done. When every task has
succeeded, the driver merges the task manifests, in the order of the list, into OUT_DIR/manifest.jsonl.

Paths must be the same on the driver and every executor (a shared file system); `bytepiece` must be on the
executors' PATH (or set BYTEPIECE). Not run in CI (no Spark there): the Dask recipe beside it is the tested
one, and both rest on the same contract (docs/shards.md#the-filter-contract).
"""
import os
import shlex
import subprocess
import sys

from pyspark import SparkContext


def main():
    if len(sys.argv) < 3:
        print("usage: spark_encode_shards.py SHARDS_LIST OUT_DIR [ENCODE OPTIONS]", file=sys.stderr)
        return 1
    bytepiece = shlex.split(os.environ.get("BYTEPIECE", "bytepiece"))
    out = os.path.abspath(sys.argv[2])
    options = sys.argv[3:]
    with open(sys.argv[1], encoding="utf-8") as listing:
        shards = [os.path.abspath(line.rstrip("\r\n")) for line in listing if line.rstrip("\r\n")]
    parts = os.path.join(out, ".parts")
    os.makedirs(parts, exist_ok=True)

    # One record per shard; `read` takes the index, and the rest of the line (spaces and all) is the path.
    encode = shlex.join(bytepiece + ["encode", "--output-dir", out, "--threads", "1", "--quiet"] + options)
    script = 'read -r index shard && exec %s --input "$shard" --manifest %s/"$index".jsonl' % (encode, shlex.quote(parts))
    records = ["%06d %s" % (i, shard) for i, shard in enumerate(shards)]
    context = SparkContext(appName="bytepiece-encode-shards")
    try:
        context.parallelize(records, len(records)).pipe(shlex.join(["sh", "-c", script]), checkCode=True).collect()
    finally:
        context.stop()

    manifests = [os.path.join(parts, "%06d.jsonl" % i) for i in range(len(shards))]
    return subprocess.run(bytepiece + ["manifest", "merge", "--quiet", "-o", os.path.join(out, "manifest.jsonl")] + manifests).returncode


if __name__ == "__main__":
    sys.exit(main())
