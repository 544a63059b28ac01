#!/usr/bin/env bash
# Microsoft.ML.Tokenizers 3.0.0's SentencePieceTokenizer against ours on the same .model files and texts:
# speed in one process (the two alternated; `Tokenizer.Bench -- --ml-peer`) and mismatching lines against
# spm_encode, ML's by cause (`-- --ml-parity`). Models: spm's test models (en, ja) from SHARED, the 32k zh model
# bench/compare.sh trains, and two trained here on botchan.txt: bos/eos -1 (ML's Create(Stream) cannot load
# it: the vocabulary overload is used) and byte_fallback. Needs spm_train/spm_encode (Debian sentencepiece).
#   bash bench/ml-peer.sh [--work DIR] [--rounds N] [--no-speed] [--no-parity]     (SHARED=../shared by default)
set -euo pipefail
cd "$(dirname "$0")/.."
work=/tmp/bytepiece-compare rounds=7 speed=1 parity=1
while [ $# -gt 0 ]; do
  case "$1" in
    --work) work=$2; shift 2 ;; --rounds) rounds=$2; shift 2 ;;
    --no-speed) speed=0; shift ;; --no-parity) parity=0; shift ;;
    *) echo "unknown argument $1" >&2; exit 1 ;;
  esac
done
shared=${SHARED:-$(cd .. && pwd)/shared}
sp=$shared/models/sentencepiece
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build -c Release bench/Tokenizer.Bench >/dev/null
bench="dotnet bench/Tokenizer.Bench/bin/Release/net10.0/Tokenizer.Bench.dll"
mkdir -p "$work"
[ -f "$work/zh.txt" ] || BENCH_TEXT_DIR=$work $bench --texts "$work"
train() { [ -f "$work/$1.model" ] || spm_train --model_prefix="$work/$1" --num_threads=1 --minloglevel=2 "${@:2}" >/dev/null 2>&1; }
# As bench/compare.py trains it.
train spm32k-zh --input="$work/zh.txt" --vocab_size=32000 --model_type=unigram --character_coverage=0.9995
train botchan-nobos --input="$sp/botchan.txt" --vocab_size=1000 --bos_id=-1 --eos_id=-1
train botchan-bytes --input="$sp/botchan.txt" --vocab_size=1000 --byte_fallback=true
if [ $speed = 1 ]; then
  $bench --ml-peer "$sp/test_model.model" "$sp/botchan.txt" --rounds "$rounds"
  $bench --ml-peer "$sp/test_ja_model.model" "$sp/wagahaiwa_nekodearu.txt" --rounds "$rounds"
  $bench --ml-peer "$work/spm32k-zh.model" "$work/zh.txt" --rounds "$rounds"
  $bench --ml-peer "$work/botchan-nobos.model" "$sp/botchan.txt" --rounds "$rounds"
  $bench --ml-peer "$work/botchan-bytes.model" "$sp/botchan.txt" "$work/en.txt" --rounds "$rounds"
fi
if [ $parity = 1 ]; then
  echo "| model | text | lines | ours ≠ spm_encode | ML ≠ spm_encode | ML's, by cause |"
  echo "|---|---|---:|---:|---:|---|"
  $bench --ml-parity "$sp/test_model.model" "$sp/botchan.txt"
  $bench --ml-parity "$sp/test_ja_model.model" "$sp/wagahaiwa_nekodearu.txt"
  $bench --ml-parity "$work/spm32k-zh.model" "$work/zh.txt" "$work/mixed.txt" "$work/en.txt" "$work/code.txt"
  $bench --ml-parity "$work/botchan-nobos.model" "$sp/botchan.txt" "$work/en.txt"
  $bench --ml-parity "$work/botchan-bytes.model" "$sp/botchan.txt" "$work/en.txt"
fi
