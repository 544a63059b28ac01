#!/bin/bash
# Encode a corpus of shards as a Slurm job array, then merge the manifests.
#
#   bash slurm_encode_shards.sh SHARDS_LIST OUT_DIR SHARDS_PER_TASK [ENCODE OPTIONS: --model M --format F ...]
#
# Run outside a job, it submits two jobs: an array whose task i runs one `bytepiece encode` on shards
# i*K+1 .. (i+1)*K of the list (K = SHARDS_PER_TASK) into OUT_DIR, with its own manifest
# OUT_DIR/.parts/task-NNNNNN.jsonl; and, once every task has succeeded (afterok), one `bytepiece manifest
# merge` of those manifests, in task order, into OUT_DIR/manifest.jsonl. Paths must be the same on every
# node (a shared file system); `bytepiece` must be on the nodes' PATH (or set BYTEPIECE).
#
# A task that fails (a bad shard: exit 3; a full disk: exit 4) fails the array, its error in
# OUT_DIR/logs/JOB_TASK.log, and the merge does not run; submitting the same command again skips every shard
# already done. A node lost mid-task (or `scontrol requeue`) is the same: the task's run starts again and
# skips what is done. Not run in CI (no Slurm there): the Dask recipe beside it is the tested one, and both
# rest on the same contract (docs/shards.md#the-filter-contract).
set -euo pipefail
bytepiece=${BYTEPIECE:-bytepiece}

if [ -z "${SLURM_ARRAY_TASK_ID:-}" ]; then
  [ $# -ge 3 ] || { echo "usage: $0 SHARDS_LIST OUT_DIR SHARDS_PER_TASK [ENCODE OPTIONS]" >&2; exit 1; }
  list=$(realpath "$1") out=$(realpath -m "$2") per=$3
  shift 3
  shards=$(grep -c . "$list")
  tasks=$(( (shards + per - 1) / per ))
  mkdir -p "$out/.parts" "$out/logs"
  array=$(sbatch --parsable --job-name=bytepiece-encode --array="0-$((tasks - 1))" --cpus-per-task=1 \
    --output="$out/logs/%A_%a.log" "$0" "$list" "$out" "$per" "$@")
  # task-NNNNNN sorts in task order, which is the order of the list.
  sbatch --job-name=bytepiece-merge --dependency="afterok:$array" --output="$out/logs/merge-%j.log" \
    --wrap="$bytepiece manifest merge '$out'/.parts/task-*.jsonl -o '$out/manifest.jsonl' && $bytepiece manifest verify '$out'"
  echo "submitted array $array ($tasks tasks of up to $per shards) and its merge" >&2
  exit 0
fi

# One task of the array: its slice of the list (empty lines skipped, as bytepiece skips them) on stdin.
list=$1 out=$2 per=$3
shift 3
first=$(( SLURM_ARRAY_TASK_ID * per + 1 ))
grep . "$list" | sed -n "${first},$(( first + per - 1 ))p" \
  | $bytepiece encode --input-list - --output-dir "$out" \
      --manifest "$out/.parts/task-$(printf %06d "$SLURM_ARRAY_TASK_ID").jsonl" \
      --threads "${SLURM_CPUS_PER_TASK:-1}" --quiet "$@"
