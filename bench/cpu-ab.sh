#!/usr/bin/env bash
# In-process A/B of BytePiece Viterbi builds, timed by thread CPU time: the builds take turns in one process, so
# the load of a shared machine falls on all of them alike (bench/ab.sh compares wall-clock runs of separate processes).
#   git worktree add /tmp/old <commit> && (cd /tmp/old && dotnet build -c Release bench/Tokenizer.Bench)
#   bash bench/cpu-ab.sh ROUNDS REPS old=/tmp/old/bench/Tokenizer.Bench/bin/Release/net10.0 new=bench/Tokenizer.Bench/bin/Release/net10.0
# Texts: $BENCH_TEXT_DIR (default /tmp/bytepiece-ab, written by `Tokenizer.Bench --texts` if missing); models in
# $BYTEPIECE_TEST_DATA/models/bytepiece. Prints MB/s per round and, per model and text, each build's ratio to the first.
set -euo pipefail
cd "$(dirname "$0")/.."
texts=${BENCH_TEXT_DIR:-/tmp/bytepiece-ab}
[ -f "$texts/en.txt" ] || dotnet bench/Tokenizer.Bench/bin/Release/net10.0/Tokenizer.Bench.dll --texts "$texts" >/dev/null
out=${TMPDIR:-/tmp}/bytepiece-cpu-ab
dotnet build -c Release bench/cpu-ab/Kernel -o "$out" >/dev/null
dotnet build -c Release bench/cpu-ab/Host -o "$out" >/dev/null
rm -f "$out"/BytePiece.* "$out"/Microsoft.ML.*
BENCH_TEXT_DIR=$texts dotnet "$out/Host.dll" "$out/Kernel.dll" "$@"
