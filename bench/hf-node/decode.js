// Decodes each line of space-separated ids with a tokenizer.json through HuggingFace tokenizers,
// printing the text's UTF-8 as hex, one line per input line. Usage: node decode.js TOKENIZER.json IDS.txt
const fs = require('fs');
const { Tokenizer } = require('tokenizers');
const tokenizer = Tokenizer.fromFile(process.argv[2]);
const lines = fs.readFileSync(process.argv[3], 'utf8').split('\n');
lines.pop();
(async () => {
  const out = [];
  for (const line of lines) {
    const ids = line.length === 0 ? [] : line.split(' ').map(Number);
    out.push(Buffer.from(await tokenizer.decode(ids, true), 'utf8').toString('hex'));
  }
  fs.writeSync(1, out.join('\n') + '\n');
})();
