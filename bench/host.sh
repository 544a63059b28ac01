#!/usr/bin/env bash
# The host against the engine (issue 22 item 3), whole process, on one big file: the in-process engine (the file in
# memory, EncodeBytes, one thread: `Tokenizer.Bench -- --engine`), `bytepiece encode --threads 1`, `--threads 2`, and
# the machine's bound for two threads: two one-thread processes on the same file, started together.
#   bash bench/host.sh FILE [MODEL|default] [ROUNDS] [BYTEPIECE...] > host.log
# BYTEPIECE is the command to run (default: the JIT build, `dotnet src/Tokenizer.Cli/bin/Release/net10.0/bytepiece.dll`;
# the native one: artifacts/native/bytepiece). Build first: dotnet build -c Release src/Tokenizer.Cli bench/Tokenizer.Bench.
# Each line: mode wall user sys maxrss_kb foreign, where foreign is the CPU other processes used during the run
# (from /proc/stat) as a share of the machine: rounds where it is high are noise, not data. The engine line gives
# its best of 3 runs (wall and thread CPU). Outputs are compared: every run must write the same bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
file=$1 model=${2:-default} rounds=${3:-3}
shift $(( $# < 3 ? $# : 3 ))
bytepiece=("$@")
[ ${#bytepiece[@]} -gt 0 ] || bytepiece=(dotnet src/Tokenizer.Cli/bin/Release/net10.0/bytepiece.dll)
work=${BENCH_WORK:-/tmp/bytepiece-host}
mkdir -p "$work"
modelargs=()
[ "$model" = default ] || modelargs=(--model "$model")

busy() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; } # jiffies (1/100 s) of both cores not idle
# quiet: waits (at most BENCH_IDLE_WAIT seconds, default 300) until the machine was 90% idle for 2 s
quiet() {
  local until=$(( $(date +%s) + ${BENCH_IDLE_WAIT:-300} )) b0
  while [ "$(date +%s)" -lt "$until" ]; do
    b0=$(busy); sleep 2
    [ $(( $(busy) - b0 )) -le 40 ] && return 0
  done
  return 0 # never quiet: measure anyway (the foreign column tells)
}
# run THREADS OUT: prints "wall user sys maxrss"
run() { /usr/bin/time -f "%e %U %S %M" "${bytepiece[@]}" encode "${modelargs[@]}" --input "$file" --format bin32 --output "$2" --threads "$1" --quiet 2>&1 >/dev/null | tail -1; }
measured() {
  local mode=$1 b0 b1 line
  b0=$(busy)
  case $mode in
    t1) line=$(run 1 "$work/t1.bin") ;;
    t2) line=$(run 2 "$work/t2.bin") ;;
    pair)
      run 1 "$work/pa.bin" > "$work/pa.txt" &
      run 1 "$work/pb.bin" > "$work/pb.txt" &
      wait
      line=$(awk '{w = $1 > w ? $1 : w; u += $2; s += $3; m = $4 > m ? $4 : m} END {print w, u, s, m}' "$work/pa.txt" "$work/pb.txt") ;;
  esac
  b1=$(busy)
  echo "$mode $line $(echo "$line $b0 $b1" | awk '{printf "%.3f", (($6 - $5) / 100 - $2 - $3) / (2 * $1)}')"
}
echo "# $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(stat -c %s "$file") bytes of $file; model $model; ${bytepiece[*]}; $(date -u +%FT%TZ)"
for round in $(seq 1 "$rounds"); do
  quiet
  dotnet bench/Tokenizer.Bench/bin/Release/net10.0/Tokenizer.Bench.dll --engine "$file" "$model" 2 | sed 's/^/# /'
  for mode in t1 t2 pair; do measured "$mode"; done
  for f in t2 pa pb; do cmp -s "$work/t1.bin" "$work/$f.bin" || echo "# DIFFERENT OUTPUT: $f"; done
done
rm -f "$work"/*.bin
