#!/usr/bin/env bash
# Rebuilds the embedded default model, src/Tokenizer/Resources/default.bpm, from the real corpora
# (Chinese, English and code; 55 MB). Training is deterministic: the same corpora give the same file,
# byte for byte, whatever the number of threads or the memory budget.
#
#   bash corpora/train-default-model.sh [CORPORA_DIR]
#
# CORPORA_DIR holds zh.txt.xz, en.txt.xz and code.txt.xz: ../shared/corpora when it exists, else the
# output of corpora/build.sh (which rebuilds them from Debian packages).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-}
if [ -z "$dir" ]; then
  if [ -f ../shared/corpora/zh.txt.xz ]; then dir=../shared/corpora; else dir=corpora/data; fi
fi
for name in zh en code; do
  [ -f "$dir/$name.txt.xz" ] || { echo "missing $dir/$name.txt.xz (run corpora/build.sh first)" >&2; exit 1; }
done
dotnet run --project src/Tokenizer.Cli -c Release -- train \
  --input "$dir/zh.txt.xz" "$dir/en.txt.xz" "$dir/code.txt.xz" \
  --vocab-size 65536 --holdout-every 100 \
  --output src/Tokenizer/Resources/default.bpm
sha256sum src/Tokenizer/Resources/default.bpm
