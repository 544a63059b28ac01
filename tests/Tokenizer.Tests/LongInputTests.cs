using Xunit;

namespace BytePiece.Tests;

/// <summary>Huge inputs: linear work, no recursion, pooled memory.</summary>
public class LongInputTests
{
    [Fact]
    public void FiftyMegabyteSingleLine_EncodesAndRoundTrips()
    {
        // Real mixed text with its newlines replaced by spaces: one 50 MB chunk.
        byte[] seed = SharedData.Corpus("zh", 2 << 20);
        byte[] line = new byte[50 << 20];
        for (int i = 0; i < line.Length; i += seed.Length) seed.AsSpan(0, Math.Min(seed.Length, line.Length - i)).CopyTo(line.AsSpan(i));
        for (int i = 0; i < line.Length; i++) if (line[i] == '\n') line[i] = (byte)' ';
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        int[] ids = tokenizer.EncodeBytes(line);
        Assert.True(ids.Length > line.Length / 8);
        Assert.True(tokenizer.DecodeBytes(ids).AsSpan().SequenceEqual(line));
        // The same text split by the chunker at every newline it would have had gives a shorter, valid result;
        // the single-line result equals a direct count.
        Assert.Equal(ids.Length, tokenizer.CountTokens(line.AsSpan()));
    }

    [Fact]
    public void MillionIdenticalBytes_AndManyNewlines()
    {
        var tokenizer = SharedData.Tokenizer("bytepiece.plus.40k.model");
        byte[] same = Enumerable.Repeat((byte)'a', 1_000_000).ToArray();
        Assert.True(tokenizer.DecodeBytes(tokenizer.EncodeBytes(same)).AsSpan().SequenceEqual(same));
        byte[] newlines = Enumerable.Repeat((byte)'\n', 1_000_000).ToArray();
        Assert.True(tokenizer.DecodeBytes(tokenizer.EncodeBytes(newlines)).AsSpan().SequenceEqual(newlines));
    }
}

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
