// Subword regularization in a training data loop: every epoch sees each example under a different
// segmentation drawn exactly from P(w)^alpha / Z, reproducibly (the seed is derived from the epoch and
// the example's index, so a restarted job, or another worker, draws the same ids).
//   dotnet run --project samples/SubwordRegularization -- [--alpha 0.1] [--epochs 3]
using BytePiece;

double alpha = 0.1;
int epochs = 3;
for (int i = 0; i + 1 < args.Length; i++)
{
    if (args[i] == "--alpha") alpha = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
    else if (args[i] == "--epochs") epochs = int.Parse(args[++i]);
}

string[] examples =
[
    "广州的白云机场是中国最繁忙的机场之一。",
    "Subword regularization makes a model robust to segmentation noise.",
    "for (int i = 0; i < n; i++) sum += values[i];",
];
BytePieceTokenizer tokenizer = BytePieceTokenizer.Default;

for (int epoch = 0; epoch < epochs; epoch++)
{
    foreach (var (index, ids) in Batch(epoch))
        Console.WriteLine($"epoch {epoch} example {index}: {ids.Count} tokens: {string.Join(' ', ids)}");
}

// Evaluation uses the best segmentation, as at inference time.
for (int index = 0; index < examples.Length; index++)
    Console.WriteLine($"viterbi example {index}: {tokenizer.CountTokens(examples[index])} tokens: {string.Join(' ', tokenizer.EncodeToIds(examples[index]))}");

// How much variety alpha gives: distinct segmentations of one example in 1,000 draws, and the exact
// entropy of the distribution the draws come from.
var distinct = new HashSet<string>();
for (ulong draw = 0; draw < 1000; draw++)
    distinct.Add(string.Join(' ', tokenizer.EncodeToIds(examples[1], sampling: new SamplingOptions(alpha, Seed: draw))));
Console.WriteLine($"alpha {alpha}: {distinct.Count} distinct segmentations of example 1 in 1000 draws; entropy {tokenizer.Entropy(examples[1], alpha):F3} nats");

IEnumerable<(int Index, IReadOnlyList<int> Ids)> Batch(int epoch)
{
    for (int index = 0; index < examples.Length; index++)
    {
        ulong seed = (ulong)epoch << 32 | (uint)index;
        yield return (index, tokenizer.EncodeToIds(examples[index], new SamplingOptions(alpha, seed), addBeginningOfSentence: true, addEndOfSentence: true));
    }
}
