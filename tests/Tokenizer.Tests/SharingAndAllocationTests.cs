using Xunit;

namespace BytePiece.Tests;

/// <summary>A loaded model is shared safely, and the span path allocates nothing.</summary>
public class SharingAndAllocationTests
{
    [Fact]
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

    [Fact]
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
