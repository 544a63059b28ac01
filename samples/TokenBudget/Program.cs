// Counts tokens, trims a text to a token budget, and streams a file, with the embedded default model.
//   dotnet run --project samples/TokenBudget -- [FILE] [--budget N]
using BytePiece;

string? file = null;
int budget = 12;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--budget" && i + 1 < args.Length) budget = int.Parse(args[++i]);
    else file = args[i];
}

// One tokenizer for the whole program: loaded models are immutable and safe to share between threads.
BytePieceTokenizer tokenizer = BytePieceTokenizer.Default;

const string text = "广州的白云机场是中国最繁忙的机场之一。 Baiyun Airport is one of the busiest airports in China.";
Console.WriteLine($"text: {text}");
Console.WriteLine($"tokens: {tokenizer.CountTokens(text)}");

// Trimming to a budget: text[..index] is the longest prefix made of at most `budget` whole tokens of
// the text's own encoding, cut on a character boundary, so no token is split and nothing is re-tokenized.
int index = tokenizer.GetIndexByTokenCount(text, budget, out _, out int used);
Console.WriteLine($"first {budget} tokens ({used} used): {text[..index]}");
int start = tokenizer.GetIndexByTokenCountFromEnd(text, budget, out _, out int usedFromEnd);
Console.WriteLine($"last {budget} tokens ({usedFromEnd} used): {text[start..]}");

foreach (PieceToken token in tokenizer.EncodeToPieceTokens(text[..index]))
    Console.WriteLine($"  {token.Id,6}  {text[token.Offset],-12} bytes {token.ByteOffset}");

if (file is not null)
{
    // Streaming: any size, read block by block; the ids equal those of encoding the whole file at once.
    long count = 0;
    await using FileStream stream = File.OpenRead(file);
    await foreach (int _ in new StreamingEncoder(tokenizer).EncodeAsync(stream))
        count++;
    Console.WriteLine($"streamed {Path.GetFileName(file)}: {new FileInfo(file).Length} bytes, {count} tokens");
}
