#!/usr/bin/python3
"""Makes ties.jsonl: texts whose BytePiece segmentation is decided at the last bit of a double, with the ids
upstream BytePiece 0.6.3 gives them. See README.md (section "ties.jsonl") for how upstream was built.

Usage: PYTHONPATH=UPSTREAM_BUILD:PYAHOCORASICK_BYTES_BUILD python3 make_ties.py MODELS_DIR CORPORA_DIR OUT

A text is kept when its segmentation changes under at least one of these variants of the Viterbi arithmetic
(emulated below in plain float64, checked to give upstream's ids without a variant):
  shorter-last-wins  ties go to the shorter last piece (">=" where upstream has ">")
  ratio-log          logp = ln(count / T) instead of ln(count) - ln(T)
  right-to-left      scores summed from the chunk's end instead of from its start
  log-rounded-down   every ln rounded toward -inf instead of glibc's (nearly always correctly rounded) ln
  log-rounded-up     every ln rounded toward +inf
Candidates: the chunks of the first 5,000 lines of the corpora mix (a line of zh, en and code in turn) and
hand-made texts (runs of spaces, quotes, newlines, dashes).
"""
import base64, json, lzma, math, os, sys
from decimal import Decimal, getcontext, ROUND_FLOOR, ROUND_CEILING
import bytepiece
from bytepiece.bytepiece import normalize

MODELS = ['bytepiece.eu.plus.40k.model', 'bytepiece.plus.40k.model', 'bytepiece.eu.plus.160k.model']
models_dir, corpora_dir, out = sys.argv[1:4]
getcontext().prec = 60


def directed_log(rounding):
    def log(n):
        exact = Decimal(n).ln()
        f = math.log(n)
        while True:  # step to the float on the asked side of the exact value
            if rounding == ROUND_FLOOR and Decimal(f) > exact: f = math.nextafter(f, -math.inf)
            elif rounding == ROUND_FLOOR and Decimal(math.nextafter(f, math.inf)) <= exact: f = math.nextafter(f, math.inf)
            elif rounding == ROUND_CEILING and Decimal(f) < exact: f = math.nextafter(f, math.inf)
            elif rounding == ROUND_CEILING and Decimal(math.nextafter(f, -math.inf)) >= exact: f = math.nextafter(f, -math.inf)
            else: return f
    return log


def weights(counts, variant):
    total = sum(counts.values())
    if variant == 'ratio-log':
        return {k: math.log(c / total) for k, c in counts.items()}
    log = {'log-rounded-down': directed_log(ROUND_FLOOR), 'log-rounded-up': directed_log(ROUND_CEILING)}.get(variant, math.log)
    lt = log(total)
    return {k: log(c) - lt for k, c in counts.items()}


def segment(w, maxlen, text, variant):
    n = len(text)
    if variant == 'right-to-left':
        score = [-math.inf] * n + [0.0]
        nxt = list(range(n + 1))
        for s in range(n - 1, -1, -1):
            for e in range(min(n, s + maxlen), s, -1):  # longest first piece first, strict ">"
                v = w.get(text[s:e])
                if v is not None and v + score[e] > score[s]:
                    score[s], nxt[s] = v + score[e], e
        pieces, s = [], 0
        while s < n:
            pieces.append(text[s:nxt[s]]); s = nxt[s]
        return pieces
    score = [0.0] + [-math.inf] * n
    back = list(range(n + 1))
    for e in range(1, n + 1):              # upstream's order: by end, longest piece first
        for s in range(max(0, e - maxlen), e):
            v = w.get(text[s:e])
            if v is None: continue
            c = score[s] + v
            if c > score[e] or (variant == 'shorter-last-wins' and c == score[e]):
                score[e], back[e] = c, s
    pieces, e = [], n
    while e > 0:
        pieces.append(text[back[e]:e]); e = back[e]
    return pieces[::-1]


def mix_lines(count):
    sources = [lzma.open(os.path.join(corpora_dir, f'{c}.txt.xz')).read().split(b'\n') for c in ('zh', 'en', 'code')]
    return b''.join(sources[i % 3][i // 3] + b'\n' for i in range(count)).decode()


crafted = ([' ' * k + 'x' for k in range(1, 41)] + ['x' + ' ' * k + 'y' for k in range(18, 40)]
           + ['"' * k for k in range(1, 9)] + ['"""x"""', '"""\\u00b6"""', " watcher's context\"\"\"", ' ' * 61 + '__comp);']
           + ['a' + '\n' * k for k in range(1, 7)] + ['-' * k for k in range(1, 81)] + ['+' + '-' * k + '+' for k in range(20, 70, 7)]
           + ['ppp', '/dev/ppp', 'community.community.'])
candidates = [('mix', c.decode()) for c in normalize(mix_lines(5000))] + [('crafted', t) for t in crafted]
variants = ['shorter-last-wins', 'ratio-log', 'right-to-left', 'log-rounded-down', 'log-rounded-up']

flips = {}
upstream = {}
for name in MODELS:
    path = os.path.join(models_dir, name)
    counts = {base64.b64decode(k): v[-1] for k, v in json.load(open(path)).items()}
    maxlen = max(map(len, counts))
    tok = bytepiece.Tokenizer(path)
    w = {v: weights(counts, v) for v in [None] + variants}
    for source, text in candidates:
        ids = tok.encode(text)
        upstream[(text, name)] = ids
        for chunk in normalize(text):
            base = segment(w[None], maxlen, chunk, None)
            assert [tok.piece_to_id(p) for p in base] == tok.encode(chunk.decode()), (name, chunk)
            for v in variants:
                if segment(w[v], maxlen, chunk, v) != base:
                    flips.setdefault(text, {}).setdefault(name, set()).add(v)

with open(out, 'w', encoding='utf-8') as f:
    seen = set()
    for source, text in candidates:
        if text in seen or (source == 'mix' and text not in flips): continue
        seen.add(text)
        row = {'source': source, 'text': text, 'flips': {m: sorted(v) for m, v in flips.get(text, {}).items()}}
        row.update({m: upstream[(text, m)] for m in MODELS})
        f.write(json.dumps(row, ensure_ascii=False) + '\n')
print(len(seen), 'texts;', sum(1 for s, t in candidates if s == 'mix' and t in flips), 'of', sum(1 for s, _ in candidates if s == 'mix'), 'mix chunks are decided at the last bit')
