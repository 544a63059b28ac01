using Xunit;

namespace BytePiece.Tests;

/// <summary>A loaded model is shared safely, and the span path allocates nothing.</summary>
public class SharingAndAllocationTests
{
    [SkippableFact]
    public void OneModelSharedBy8Threads_GivesTheSequentialResults()
    {
        var tokenizer = SharedData.Tokenizer("bytepiece.plus.40k.model");
        var texts = GoldenBytePieceTests.ReadGolden("bytepiece.plus.40k.model").Select(g => g.Text).Take(400).ToArray();
        var expected = texts.Select(t => tokenizer.EncodeToIds(t).ToArray()).ToArray();
        var failures = 0;
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, worker =>
        {
            for (int k = 0; k < texts.Length; k++)
            {
                int idx = (k * 7 + worker * 13) % texts.Length;
                int[] ids = tokenizer.EncodeToIds(texts[idx]).ToArray();
                if (!ids.SequenceEqual(expected[idx]) || tokenizer.Decode(ids) != texts[idx].Normalize(System.Text.NormalizationForm.FormC))
                    Interlocked.Increment(ref failures);
            }
        });
        Assert.Equal(0, failures);
    }

    [SkippableFact]
    public void EightThreads_EncodingSamplingAndDecodingAtOnce_GiveTheSequentialResults()
    {
        // Random texts and seeds; each job is Viterbi, a sample, n-best or an incremental decode,
        // run first sequentially, then all at once on 8 threads in shuffled order.
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        var random = new Random(20261123);
        string[] words = ["广州", "的", "白云", "机场", "the ", "cat ", "sat", "\n", "é", "e\u0301", "😀", "123"];
        var jobs = Enumerable.Range(0, 400).Select(i =>
        {
            string text = string.Concat(Enumerable.Range(0, random.Next(1, 40)).Select(_ => words[random.Next(words.Length)]));
            var sampling = new SamplingOptions(random.NextDouble(), (ulong)random.Next());
            int kind = random.Next(4);
            return (Func<string>)(() => kind switch
            {
                0 => string.Join(",", tokenizer.EncodeToIds(text)),
                1 => string.Join(",", tokenizer.EncodeToIds(text, sampling: sampling)),
                2 => string.Join("|", tokenizer.NBest(text, 3).Select(s => string.Join(",", s.Ids))),
                _ => Incremental(tokenizer, tokenizer.EncodeToIds(text, sampling: sampling)),
            });
        }).ToArray();
        string[] expected = jobs.Select(job => job()).ToArray();
        var actual = new string[jobs.Length];
        int[] order = Enumerable.Range(0, jobs.Length).OrderBy(_ => random.Next()).ToArray();
        Parallel.ForEach(order, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => actual[i] = jobs[i]());
        Assert.Equal(expected, actual);
    }

    private static string Incremental(BytePieceTokenizer tokenizer, IReadOnlyList<int> ids)
    {
        var decoder = tokenizer.CreateIncrementalDecoder();
        var sb = new System.Text.StringBuilder();
        foreach (int id in ids) sb.Append(decoder.Append(id));
        return sb.Append(decoder.Flush()).ToString();
    }

    [SkippableFact]
    public void EncodeBytesIntoASpan_AllocatesNothing_AfterWarmUp()
    {
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        byte[] text = SharedData.Corpus("en", 64 << 10);
        int[] ids = new int[text.Length + 2];
        tokenizer.EncodeBytes(text, ids, out _, out _); // warm up the per-thread lattice buffers
        long before = GC.GetAllocatedBytesForCurrentThread();
        tokenizer.EncodeBytes(text, ids, out _, out int written);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(written > 0);
        Assert.Equal(0, allocated);
    }
}
