#!/usr/bin/env bash
# One command, one machine, one run: our engine (in-process, single thread) and python3-sentencepiece
# (in-process, single thread) on the same 4 MB texts. The SentencePiece Unigram model (32k) is trained
# here on the same mixed text. The full peer comparison (spm_encode, HF tokenizers, CLI end to end)
# is issue 9's bench/compare.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! /usr/bin/python3 -c 'import sentencepiece' 2>/dev/null || ! command -v spm_train >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q sentencepiece python3-sentencepiece </dev/null >/dev/null
fi
work=${BENCH_WORK:-/tmp/bytepiece-bench}
mkdir -p "$work"
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; commit $(git rev-parse --short HEAD)"
echo "== ours (BytePiece models, EncodeBytes into a buffer / EncodeToIds on a string) =="
BENCH_TEXT_DIR="$work" dotnet run -c Release --project bench/Tokenizer.Bench -- --quick
if [ ! -f "$work/spm32k.model" ]; then
  spm_train --input="$work/mixed.txt" --model_prefix="$work/spm32k" --vocab_size=32000 --model_type=unigram \
    --character_coverage=0.9995 --num_threads=2 --minloglevel=2 >/dev/null 2>&1
fi
echo "== python3-sentencepiece $(/usr/bin/python3 -c 'import sentencepiece; print(sentencepiece.__version__)') (Unigram 32k trained on mixed.txt, encode per line) =="
/usr/bin/python3 bench/peer_spm.py "$work/spm32k.model" "$work"/{mixed,zh,en,code}.txt
