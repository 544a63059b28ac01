// Subword regularization in a training data loop: every epoch sees each example under a different
// segmentation drawn exactly from P(w)^alpha / Z, reproducibly (the seed is derived from the epoch and
// the example's index, so a restarted job, or another worker, draws the same ids).
//   dotnet run --project samples/SubwordRegularization -- [--alpha 0.5] [--epochs 3]
using System.Text;
using BytePiece;

// Alpha 0.5, not SentencePiece's usual 0.1: alpha flattens P(w)^alpha, and a BytePiece lattice holds every
// byte of every character, so the flatter the distribution, the more the many fine segmentations (single
// bytes, characters cut into their UTF-8 bytes) outweigh the few good ones. Measured on the default model
// (this sample's examples, 1,000 draws each; tokens per draw against Viterbi's):
//   alpha 0.1: the Chinese example has a character cut into raw bytes in 87% of draws (10% of its characters);
//              the English one takes 2.3x Viterbi's tokens, 1,000 distinct segmentations in 1,000 draws.
//   alpha 0.3: characters cut in 7% of draws; English 1.34x, 980 distinct.
//   alpha 0.5: characters cut in 0.3% of draws; English 1.10x, 489 distinct; code 1.10x, 533 distinct.
//   alpha 1.0: no cut characters; English 1.01x, 46 distinct (little left to regularize).
// 0.5 keeps the noise near Viterbi (about 10-15% more tokens, as on Botchan's lines) with whole characters,
// and still gives a new segmentation of most English and code sentences every epoch; Chinese words, whose
// pieces this model knows well, vary less. Lower it for more noise; check the figures below when you do.
double alpha = 0.5;
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

// And what it costs: draws of example 0 (Chinese) that cut a character into its UTF-8 bytes (a token
// boundary before a continuation byte, 10xxxxxx), where the best segmentation keeps every character whole.
byte[] chinese = Encoding.UTF8.GetBytes(examples[0]);
int cutDraws = 0;
for (ulong draw = 0; draw < 1000; draw++)
{
    int at = 0;
    bool cut = false;
    foreach (int id in tokenizer.EncodeBytes(chinese, sampling: new SamplingOptions(alpha, Seed: draw)))
    {
        at += tokenizer.GetPieceSpelling(id)!.Length;
        cut |= at < chinese.Length && (chinese[at] & 0xC0) == 0x80;
    }
    if (cut) cutDraws++;
}
Console.WriteLine($"alpha {alpha}: {cutDraws} of 1000 draws of example 0 cut a character into bytes");

IEnumerable<(int Index, IReadOnlyList<int> Ids)> Batch(int epoch)
{
    for (int index = 0; index < examples.Length; index++)
    {
        ulong seed = (ulong)epoch << 32 | (uint)index;
        yield return (index, tokenizer.EncodeToIds(examples[index], new SamplingOptions(alpha, seed), addBeginningOfSentence: true, addEndOfSentence: true));
    }
}
