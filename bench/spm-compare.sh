#!/usr/bin/env bash
# SentencePiece models, same model, same lines, one run: ours (SentencePieceTokenizer, in-process, one
# thread, a sentence per line) against python3-sentencepiece (in-process, per line) and spm_encode (whole
# process). The model is a 32k Unigram trained here by spm_train on the mixed text (zh, en, code); the
# token counts must agree, since the outputs are identical.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! /usr/bin/python3 -c 'import sentencepiece' 2>/dev/null || ! command -v spm_train >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q sentencepiece python3-sentencepiece </dev/null >/dev/null
fi
shared=${SHARED:-../shared}
work=${BENCH_WORK:-/tmp/bytepiece-bench}
mkdir -p "$work"
for c in zh en code; do
  [ -f "$work/$c.txt" ] || (set +o pipefail; xz -dc "$shared/corpora/$c.txt.xz" | head -c 4194304 | sed '$d') > "$work/$c.txt"
done
# mixed: the three interleaved line by line, a third of each.
[ -f "$work/mixed.txt" ] || /usr/bin/python3 - "$work" <<'PY'
import sys
w = sys.argv[1]
parts = [open(f"{w}/{c}.txt", "rb").read()[: 4194304 // 3].split(b"\n")[:-1] for c in ("zh", "en", "code")]
out = []
for i in range(max(map(len, parts))):
    out += [p[i] for p in parts if i < len(p)]
open(f"{w}/mixed.txt", "wb").write(b"\n".join(out) + b"\n")
PY
if [ ! -f "$work/spm32k.model" ]; then
  spm_train --input="$work/mixed.txt" --model_prefix="$work/spm32k" --vocab_size=32000 --model_type=unigram \
    --character_coverage=0.9995 --num_threads=2 --minloglevel=2 >/dev/null 2>&1
fi
files=("$work"/{mixed,zh,en,code}.txt)
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; commit $(git rev-parse --short HEAD); $(date -u +%F)"
echo "== ours: SentencePieceTokenizer.EncodeToIds(utf8 line, span), best of 5 =="
dotnet run -c Release --project bench/Tokenizer.Bench -- --spm "$work/spm32k.model" "${files[@]}"
echo "== python3-sentencepiece $(/usr/bin/python3 -c 'import sentencepiece; print(sentencepiece.__version__)'): encode per line, best of 3 (then sampling alpha 0.1) =="
/usr/bin/python3 bench/peer_spm.py "$work/spm32k.model" "${files[@]}"
dotnet build -c Release src/Tokenizer.Cli >/dev/null
ours_cli() { dotnet src/Tokenizer.Cli/bin/Release/net10.0/bytepiece.dll encode --model "$work/spm32k.model" --threads 1 --quiet < "$1"; }
spm_cli() { spm_encode --model="$work/spm32k.model" --output_format=id < "$1"; }
for tool in ours_cli spm_cli; do
  case $tool in ours_cli) echo "== ours: bytepiece encode --threads 1 (whole process: start-up, load, read, encode, write ids), best of 3 ==" ;;
                spm_cli) echo "== spm_encode (whole process: load, read, encode, write ids), best of 3 ==" ;; esac
for f in "${files[@]}"; do
  best=999999
  for run in 1 2 3; do
    start=$(date +%s.%N)
    $tool "$f" > "$work/$tool.ids"
    t=$(echo "$(date +%s.%N) - $start" | bc -l)
    best=$(echo "if ($t < $best) $t else $best" | bc -l)
  done
  bytes=$(stat -c %s "$f"); tokens=$(wc -w < "$work/$tool.ids")
  printf '%-6s %7.2f MB/s  %s tokens\n' "$(basename "$f" .txt)" "$(echo "$bytes / 1000000 / $best" | bc -l)" "$tokens"
done
done
cmp -s "$work/ours_cli.ids" "$work/spm_cli.ids" && echo "identical output to spm_encode on $(basename "${files[-1]}")" || echo "OUTPUT DIFFERS from spm_encode on $(basename "${files[-1]}")"

