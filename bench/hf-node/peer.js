// HuggingFace tokenizers (the Node binding) on a file of lines, for the tests and benchmarks.
//   node peer.js encode TOKENIZER.json LINES.txt  ->  per line: ids, a tab, offsets as start:end (code points)
//   node peer.js decode TOKENIZER.json IDS.txt    ->  per line of space-separated ids: the text's UTF-8 as hex
const fs = require('fs');
const { Tokenizer } = require('tokenizers');
const [mode, file, input] = process.argv.slice(2);
const tokenizer = Tokenizer.fromFile(file);
const lines = fs.readFileSync(input, 'utf8').split('\n');
lines.pop();
(async () => {
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
