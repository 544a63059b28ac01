#!/usr/bin/env bash
# Issue 22, item 2: SentencePiece sampling against our own Viterbi (alpha 0.1 and 0.5), and our Viterbi against
# Microsoft.ML.Tokenizers 3.0.0, on every model of bench/ml-peer.sh with text of its own language, each in one
# process (`--ml-peer MODEL TEXT --sampling`, the sides alternated), timed by the thread's CPU time
# (BENCH_CLOCK=cpu, the default here, as the machine is shared; BENCH_CLOCK=wall for the wall clock). Two
# builds, old and new, alternated process by process, so the before/after figures are of the same minutes:
#   git archive OLD | tar -x -C /tmp/old && (cd /tmp/old && dotnet build -c Release bench/Tokenizer.Bench)
#   bash bench/sampling-ab.sh /tmp/old/bench/Tokenizer.Bench/bin/Release/net10.0/Tokenizer.Bench.dll \
#        bench/Tokenizer.Bench/bin/Release/net10.0/Tokenizer.Bench.dll [ROUNDS] [INNER_ROUNDS] > ab.log
# (one build only: pass the same dll twice). Trains the models it lacks as bench/ml-peer.sh does (in WORK).
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1 new=$2 rounds=${3:-2} inner=${4:-7}
work=${WORK:-/tmp/bytepiece-compare}
shared=${SHARED:-$(cd .. && pwd)/shared}
sp=$shared/models/sentencepiece
bash bench/ml-peer.sh --work "$work" --no-speed --no-parity >/dev/null
runs=(
  "$sp/test_model.model $sp/botchan.txt"
  "$sp/test_ja_model.model $sp/wagahaiwa_nekodearu.txt"
  "$work/spm32k-zh.model $work/zh.txt"
  "$work/botchan-nobos.model $sp/botchan.txt"
  "$work/botchan-bytes.model $sp/botchan.txt $work/en.txt"
)
for round in $(seq 1 "$rounds"); do
  for side in old new; do
    dll=${!side}
    for run in "${runs[@]}"; do
      echo "== $side round $round: $(basename "${run%% *}")"
      # shellcheck disable=SC2086 # a model and its texts
      BENCH_CLOCK=${BENCH_CLOCK:-cpu} dotnet "$dll" --ml-peer $run --rounds "$inner" --sampling | grep -E '^  [^ ]|best|ratio'
    done
  done
done
