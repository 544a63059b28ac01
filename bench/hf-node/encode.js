// Encodes each line of a file with a tokenizer.json through HuggingFace tokenizers (the Node binding),
// printing per line: ids, a tab, offsets as start:end (code points of the line). Usage: node encode.js TOKENIZER.json LINES.txt
const fs = require('fs');
const { Tokenizer } = require('tokenizers');
const tokenizer = Tokenizer.fromFile(process.argv[2]);
const lines = fs.readFileSync(process.argv[3], 'utf8').split('\n');
lines.pop();
(async () => {
  const out = [];
  for (const line of lines) {
    const e = await tokenizer.encode(line, null, { addSpecialTokens: false });
    out.push(e.getIds().join(' ') + '\t' + e.getOffsets().map(o => o[0] + ':' + o[1]).join(' '));
  }
  fs.writeSync(1, out.join('\n') + '\n');
})();
