#!/usr/bin/env bash
# Issue 25's figures: a corpus of about 1 GB cut into 64 shards (at line ends), encoded by the Dask recipe
# (samples/cluster/dask_encode_shards.py, a LocalCluster of two worker processes with a thread each) and by one
# shard run (bytepiece encode --input-list, --threads 2): the SHA-256 of every output, the manifests but for
# their time fields, and the wall time of each (ROUNDS rounds, taking turns); the same shards one at a time with
# two threads inside each (what --threads 2 does for a single shard); and a shard run killed with SIGKILL half
# way and started again, whose manifest must be the uninterrupted run's.
#
#   bash bench/shards-dask.sh                       # bytepiece published as a native executable (needs clang)
#   bash bench/shards-dask.sh "dotnet exec src/Tokenizer.Cli/bin/Release/net10.0/bytepiece.dll"
#
# The big data goes under $WORK (default /tmp/bytepiece-shards-bench) and is deleted at the end (KEEP=1 keeps
# it); the corpora come from $BYTEPIECE_TEST_DATA or ../shared. Format bin16, the embedded model.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${WORK:-/tmp/bytepiece-shards-bench}
data=${BYTEPIECE_TEST_DATA:-../shared}
rounds=${ROUNDS:-2}
rm -rf "$work"
mkdir -p "$work/shards"
trap '[ "${KEEP:-0}" = 1 ] || rm -rf "$work"' EXIT
if [ $# -ge 1 ]; then
  bp=$1
else
  dotnet publish src/Tokenizer.Cli -c Release -r linux-x64 -o "$work/native" -nologo -v q >/dev/null
  bp=$work/native/bytepiece
fi
load() { cut -d' ' -f1-3 /proc/loadavg; }
now() { date +%s.%N; }
seconds() { python3 -c "print(f'{$2 - $1:.1f}')"; }
timeless() { sed -E 's/,"seconds":[0-9.e-]+//' "$1"; }
sums() { (cd "$1" && sha256sum -- *.bin16 | sha256sum | cut -c1-64); }

# The corpus: the three real corpora one after the other, repeated to 1 GB, cut into 64 shards at line ends.
for c in zh en code; do xz -dc "$data/corpora/$c.txt.xz"; done > "$work/once.txt"
: > "$work/corpus.txt"
while [ "$(stat -c %s "$work/corpus.txt")" -lt 1000000000 ]; do cat "$work/once.txt" >> "$work/corpus.txt"; done
(cd "$work/shards" && split -n l/64 -d -a 2 --additional-suffix=.txt "$work/corpus.txt" part-)
total=$(stat -c %s "$work/corpus.txt")
rm "$work/once.txt" "$work/corpus.txt"
ls "$work"/shards/*.txt > "$work/shards.txt"
echo "corpus: $total bytes in $(wc -l < "$work/shards.txt") shards; bytepiece: $bp; $(nproc) cores"

one() {
  rm -rf "$work/one"
  $bp encode --input-list "$work/shards.txt" --output-dir "$work/one" --format bin16 --threads 2 --quiet
}
dask() {
  rm -rf "$work/dask"
  /usr/bin/python3 samples/cluster/dask_encode_shards.py --shards "$work/shards.txt" --output-dir "$work/dask" \
    --workers 2 --bytepiece "$bp" --quiet -- --format bin16
}
for round in $(seq "$rounds"); do
  for run in one dask; do
    before=$(load); start=$(now); $run; end=$(now)
    echo "round $round: $run $(seconds "$start" "$end") s ($(python3 -c "print(f'{$total / 1e6 / ($end - $start):.1f}')") MB/s), load average before $before, after $(load)"
  done
done
echo "outputs: one-process sha256 of sha256s $(sums "$work/one"), Dask $(sums "$work/dask")"
diff <(timeless "$work/one/manifest.jsonl") <(timeless "$work/dask/manifest.jsonl") > /dev/null \
  && echo "manifests: the same but for seconds ($(wc -l < "$work/one/manifest.jsonl") lines)" || echo "manifests: DIFFER"

# The same shards one at a time, two threads inside each (a process per shard: the native start is 15-25 ms).
before=$(load); start=$(now)
while read -r shard; do
  name=$(basename "${shard%.txt}")
  $bp encode --input "$shard" --output-dir "$work/inside" --manifest "$work/inside/.parts/$name.jsonl" --format bin16 --threads 2 --quiet
done < "$work/shards.txt"
end=$(now)
echo "one shard at a time, 2 threads inside: $(seconds "$start" "$end") s, load average before $before, after $(load); outputs $(sums "$work/inside")"

# Killed half way (SIGKILL once 32 shards are recorded), then the same command again.
rm -rf "$work/killed"
$bp encode --input-list "$work/shards.txt" --output-dir "$work/killed" --format bin16 --threads 2 --quiet &
pid=$!
until [ "$(cat "$work/killed/manifest.jsonl" 2>/dev/null | wc -l)" -ge 32 ]; do sleep 0.05; done
kill -9 "$pid"
wait "$pid" || true
echo "killed: $(wc -l < "$work/killed/manifest.jsonl") shards recorded, $(find "$work/killed" -name '*.bytepiece-tmp-*' | wc -l) temporary files left"
start=$(now)
$bp encode --input-list "$work/shards.txt" --output-dir "$work/killed" --format bin16 --threads 2
end=$(now)
echo "restarted: $(seconds "$start" "$end") s; $(find "$work/killed" -name '*.bytepiece-tmp-*' | wc -l) temporary files; outputs $(sums "$work/killed")"
diff <(timeless "$work/one/manifest.jsonl") <(timeless "$work/killed/manifest.jsonl") > /dev/null \
  && echo "manifest after the restart: the uninterrupted run's but for seconds" || echo "manifest after the restart: DIFFERS"
$bp manifest verify "$work/killed" --inputs
