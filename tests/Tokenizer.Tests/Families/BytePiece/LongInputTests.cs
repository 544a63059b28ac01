using Xunit;

namespace BytePiece.Tests;

/// <summary>Huge inputs: linear work, no recursion, pooled memory.</summary>
public class LongInputTests
{
    [SkippableFact]
    public void FiftyMegabyteSingleLine_EncodesAndRoundTrips()
    {
        // Real mixed text with its newlines replaced by spaces: one 50 MB chunk.
        byte[] line = SharedData.LongLine("zh", 50 << 20);
        var tokenizer = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        int[] ids = tokenizer.EncodeBytes(line);
        Assert.True(ids.Length > line.Length / 8);
        Assert.True(tokenizer.DecodeBytes(ids).AsSpan().SequenceEqual(line));
        // The same text split by the chunker at every newline it would have had gives a shorter, valid result;
        // the single-line result equals a direct count.
        Assert.Equal(ids.Length, tokenizer.CountTokens(line.AsSpan()));
    }

    [SkippableFact]
    public void MillionIdenticalBytes_AndManyNewlines()
    {
        var tokenizer = SharedData.Tokenizer("bytepiece.plus.40k.model");
        byte[] same = Enumerable.Repeat((byte)'a', 1_000_000).ToArray();
        Assert.True(tokenizer.DecodeBytes(tokenizer.EncodeBytes(same)).AsSpan().SequenceEqual(same));
        byte[] newlines = Enumerable.Repeat((byte)'\n', 1_000_000).ToArray();
        Assert.True(tokenizer.DecodeBytes(tokenizer.EncodeBytes(newlines)).AsSpan().SequenceEqual(newlines));
    }
}
