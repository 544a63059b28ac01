#!/usr/bin/python3
"""Single-thread throughput of python3-sentencepiece (in-process, load excluded) on text files:
Viterbi, and exact sampling (enable_sampling, nbest_size=-1, alpha=0.1).

usage: peer_spm.py MODEL FILE...   (one line per file: name, Viterbi MB/s, tokens, bytes/token, sampling MB/s)
"""
import sys
import time

import sentencepiece as spm

model = spm.SentencePieceProcessor(model_file=sys.argv[1])
for path in sys.argv[2:]:
    data = open(path, "rb").read()
    lines = data.decode("utf-8").split("\n")
    best = float("inf")
    tokens = 0
    for _ in range(3):
        start = time.perf_counter()
        tokens = sum(len(model.encode(line)) for line in lines)
        best = min(best, time.perf_counter() - start)
    best_sample = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for line in lines:
            model.encode(line, enable_sampling=True, nbest_size=-1, alpha=0.1)
        best_sample = min(best_sample, time.perf_counter() - start)
    print(f"{path.rsplit('/', 1)[-1][:-4]:6} {len(data) / 1e6 / best:7.2f} MB/s  {tokens} tokens  {len(data) / tokens:.2f} bytes/token"
          f"  sampling {len(data) / 1e6 / best_sample:6.2f} MB/s")
