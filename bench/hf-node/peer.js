// HuggingFace tokenizers (the Node binding) on a file of lines, for the tests and benchmarks.
//   node peer.js encode TOKENIZER.json LINES.txt  ->  per line: ids, a tab, offsets as start:end (code points)
//   node peer.js decode TOKENIZER.json IDS.txt    ->  per line of space-separated ids: the text's UTF-8 as hex
//   node peer.js bench TOKENIZER.json LINES.txt   ->  "seconds tokens": best of 3 encodeBatch of every line (set
//                                                     RAYON_NUM_THREADS=1 for one thread), the load excluded
const fs = require('fs');
const { Tokenizer } = require('tokenizers');
const [mode, file, input] = process.argv.slice(2);
const tokenizer = Tokenizer.fromFile(file);
const lines = fs.readFileSync(input, 'utf8').split('\n');
lines.pop();
(async () => {
  if (mode === 'bench') {
    let best = Infinity, tokens = 0;
    for (let run = 0; run < 3; run++) {
      const start = process.hrtime.bigint();
      const encodings = await tokenizer.encodeBatch(lines, { addSpecialTokens: false });
      best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9);
      tokens = encodings.reduce((sum, e) => sum + e.getIds().length, 0);
    }
    fs.writeSync(1, `${best} ${tokens}\n`);
    return;
  }
  const out = [];
  for (const line of lines) {
    if (mode === 'encode') {
      const e = await tokenizer.encode(line, null, { addSpecialTokens: false });
      out.push(e.getIds().join(' ') + '\t' + e.getOffsets().map(o => o[0] + ':' + o[1]).join(' '));
    } else {
      const ids = line.length === 0 ? [] : line.split(' ').map(Number);
      out.push(Buffer.from(await tokenizer.decode(ids, true), 'utf8').toString('hex'));
    }
  }
  fs.writeSync(1, out.join('\n') + '\n');
})();
