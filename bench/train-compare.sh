#!/usr/bin/env bash
# Compression (held-out bytes per token, higher is better) and training cost of our trainer against
# SentencePiece's Unigram trainer (Debian's spm_train), same training text, same vocabulary size, same
# machine, one run. Every 10th line of each corpus is held out; the rest is the training text.
#
#   bash bench/train-compare.sh [VOCAB_SIZE] [CORPORA...]     (default: 32000 zh mixed)
#
# Corpora: zh, en, code (from ../shared/corpora or corpora/), mixed (zh + en + code).
# Needs: dotnet, xz, spm_train/spm_encode (apt-get install sentencepiece; installed here if missing and root).
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-32000}; shift || true
corpora=("$@"); [ ${#corpora[@]} -gt 0 ] || corpora=(zh mixed)
if ! command -v spm_train >/dev/null; then
  [ "$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -q sentencepiece </dev/null >/dev/null
fi
work=${WORK:-$(mktemp -d)}
src=../shared/corpora; [ -f "$src/zh.txt.xz" ] || src=corpora/data
dotnet build src/Tokenizer.Cli -c Release -v q -nologo >/dev/null
bp="dotnet src/Tokenizer.Cli/bin/Release/net10.0/bytepiece.dll"
for name in zh en code; do [ -f "$work/$name.txt" ] || xz -dc "$src/$name.txt.xz" > "$work/$name.txt"; done
cat "$work/zh.txt" "$work/en.txt" "$work/code.txt" > "$work/mixed.txt"

echo "# $(date -u +%F) $(git rev-parse --short HEAD) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; vocab $size"
printf '| corpus | train MB | held-out MB | trainer | bytes/token | tokens | train time s | peak RSS MB | ours/spm |\n|---|---|---|---|---|---|---|---|---|\n'
for name in "${corpora[@]}"; do
  awk -v out="$work/$name.heldout" -v tr="$work/$name.train" 'NR % 10 == 0 { print > out; next } { print > tr }' "$work/$name.txt"
  tb=$(stat -c %s "$work/$name.train"); hb=$(stat -c %s "$work/$name.heldout")
  # Ours: all cores, the whole training text (no internal holdout).
  /usr/bin/time -f '%e %M' -o "$work/time.ours" $bp train -q -i "$work/$name.train" -v "$size" -o "$work/$name.ours.bpm" --holdout-every 0
  ours_tokens=$($bp stats -m "$work/$name.ours.bpm" -i "$work/$name.heldout" | awk '$1 == "tokens" && NF == 2 {gsub(",", "", $2); print $2}')
  # SentencePiece Unigram: defaults (nmt_nfkc, character_coverage 0.9995), all sentences, all cores.
  /usr/bin/time -f '%e %M' -o "$work/time.spm" spm_train --input="$work/$name.train" --model_prefix="$work/$name.spm" \
    --model_type=unigram --vocab_size="$size" --num_threads="$(nproc)" --input_sentence_size=0 --minloglevel=2 >/dev/null 2>"$work/spm.log" \
    || { tail -5 "$work/spm.log" >&2; exit 1; }
  spm_tokens=$(spm_encode --model="$work/$name.spm.model" --output_format=id < "$work/$name.heldout" | wc -w)
  read -r ot om < "$work/time.ours"; read -r st sm < "$work/time.spm"
  ours_bpt=$(awk -v b="$hb" -v t="$ours_tokens" 'BEGIN { printf "%.3f", b / t }')
  spm_bpt=$(awk -v b="$hb" -v t="$spm_tokens" 'BEGIN { printf "%.3f", b / t }')
  ratio=$(awk -v a="$ours_bpt" -v b="$spm_bpt" 'BEGIN { printf "%.3f", a / b }')
  printf '| %s | %.1f | %.1f | ours (BytePiece) | %s | %s | %s | %d | %s |\n' "$name" "$(awk -v b="$tb" 'BEGIN { print b / 1e6 }')" "$(awk -v b="$hb" 'BEGIN { print b / 1e6 }')" "$ours_bpt" "$ours_tokens" "$ot" $((om / 1024)) "$ratio"
  printf '| %s | | | spm_train unigram | %s | %s | %s | %d | |\n' "$name" "$spm_bpt" "$spm_tokens" "$st" $((sm / 1024))
done
echo
echo "bytes/token = held-out file bytes (newlines included) / tokens. spm_encode never emits a token for a"
echo "newline (it encodes line by line), and maps rare characters to <unk> (lossy); ours encodes every byte."
