#!/usr/bin/env bash
# Same-minute A/B of two builds of Tokenizer.Bench, alternated (old, new, old, new, ...): this machine moves by
# up to 30% between minutes, so only runs taken side by side compare. Each round runs `--quick` (BytePiece,
# bytes and string paths, 40k and 160k models) and `--ml-peer` (SentencePiece against Microsoft.ML.Tokenizers).
#   git worktree add /tmp/old <commit> && (cd /tmp/old && dotnet build -c Release bench/Tokenizer.Bench)
#   bash bench/ab.sh /tmp/old/bench/Tokenizer.Bench/bin/Release/net10.0/Tokenizer.Bench.dll \
#        bench/Tokenizer.Bench/bin/Release/net10.0/Tokenizer.Bench.dll [ROUNDS] > ab.log
# Needs ../shared (or BYTEPIECE_TEST_DATA) for the models and corpora; en.txt is written by `--texts` if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1 new=$2 rounds=${3:-3}
shared=${SHARED:-$(cd .. && pwd)/shared}
sp=$shared/models/sentencepiece
texts=${BENCH_TEXT_DIR:-/tmp/bytepiece-ab}
mkdir -p "$texts"
[ -f "$texts/en.txt" ] || BENCH_TEXT_DIR=$texts dotnet "$new" --texts "$texts" >/dev/null
for round in $(seq 1 "$rounds"); do
  for side in old new; do
    dll=${!side}
    echo "== $side quick round $round"
    dotnet "$dll" --quick 2>&1 | grep -E 'loaded|string'
    echo "== $side ml-peer round $round"
    dotnet "$dll" --ml-peer "$sp/test_model.model" "$sp/botchan.txt" "$texts/en.txt" --rounds 3 2>&1 | tail -8
  done
done
