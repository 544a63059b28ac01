#!/usr/bin/env bash
# The peer comparison, one command: installs the peers if missing (Debian's sentencepiece and
# python3-sentencepiece; the HuggingFace tokenizers Node binding into bench/hf-node), builds ours, writes
# the texts, trains one 32k SentencePiece Unigram model on the zh text and converts it to tokenizer.json,
# then measures every side on the same files with one thread each (bench/compare.py says what exactly)
# and prints the tables that go into bench/RESULTS.md. About 10 minutes on 2 cores.
#   bash bench/compare.sh [--big-mb 64] [--no-bdn] [--work DIR]      (SHARED=../shared by default)
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
need=()
command -v spm_encode >/dev/null 2>&1 || need+=(sentencepiece)
/usr/bin/python3 -c 'import sentencepiece' >/dev/null 2>&1 || need+=(python3-sentencepiece)
command -v xz >/dev/null 2>&1 || need+=(xz-utils)
command -v lscpu >/dev/null 2>&1 || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}" >&2
  sudo=; [ "$(id -u)" -ne 0 ] && sudo=sudo
  DEBIAN_FRONTEND=noninteractive $sudo apt-get update -q </dev/null >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${need[@]}" </dev/null >/dev/null
fi
[ -d bench/hf-node/node_modules/tokenizers ] || npm install --prefix bench/hf-node --no-audit --no-fund --loglevel=error </dev/null >/dev/null
dotnet build -c Release src/Tokenizer.Cli >/dev/null
dotnet build -c Release bench/Tokenizer.Bench >/dev/null
exec /usr/bin/python3 bench/compare.py --shared "${SHARED:-$(cd .. && pwd)/shared}" "$@"
