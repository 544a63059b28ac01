using System.Text;
using Xunit;

namespace BytePiece.Tests;

/// <summary>Decode policies and the incremental decoder, on the model whose pieces split characters.</summary>
public class DecodeTests
{
    private static BytePieceTokenizer Tokenizer => SharedData.Tokenizer("bytepiece.plus.40k.model");

    private static int[] IdsOfBytes(params byte[] bytes) => Tokenizer.EncodeBytes(bytes);

    [SkippableFact]
    public void Replace_TurnsEachMaximalInvalidSequenceIntoOneReplacementCharacter()
    {
        // "a", a lone continuation byte, a truncated 3-byte sequence, "b".
        int[] ids = IdsOfBytes(0x61, 0x80, 0xE4, 0xB8, 0x62);
        Assert.Equal("a\uFFFD\uFFFDb", Tokenizer.Decode(ids));
        Assert.Equal("a\uFFFD\uFFFDb", Encoding.UTF8.GetString([0x61, 0x80, 0xE4, 0xB8, 0x62])); // same as .NET's own decoder
    }

    [SkippableFact]
    public void Ignore_DropsInvalidBytes()
        => Assert.Equal("ab", Tokenizer.Decode(IdsOfBytes(0x61, 0x80, 0xE4, 0xB8, 0x62), DecodePolicy.Ignore));

    [SkippableFact]
    public void Strict_ThrowsWithTheByteOffset()
    {
        var e = Assert.Throws<InvalidUtf8Exception>(() => Tokenizer.Decode(IdsOfBytes(0x61, 0x62, 0x63, 0xFF, 0x64), DecodePolicy.Strict));
        Assert.Equal(3, e.ByteOffset);
        Assert.Contains("offset 3", e.Message);
    }

    [SkippableFact]
    public void UnknownId_IsAClearError()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Decode([5, 999_999]));
        Assert.Contains("999999", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.DecodeBytes([-1]));
    }

    [SkippableFact]
    public void IncrementalDecoder_HoldsBackIncompleteCharacters_AndMatchesWholeDecoding()
    {
        // Ids for CJK/emoji text from the non-eu model, where pieces end inside characters.
        string text = "「落雲館の生徒なら何年生だ」😀 ok";
        var ids = Tokenizer.EncodeToIds(text);
        var decoder = Tokenizer.CreateIncrementalDecoder();
        var sb = new StringBuilder();
        bool sawHoldBack = false;
        foreach (int id in ids)
        {
            string part = decoder.Append(id);
            Assert.DoesNotContain('\uFFFD', part);
            if (part.Length == 0) sawHoldBack = true;
            sb.Append(part);
        }
        sb.Append(decoder.Flush());
        Assert.Equal(text, sb.ToString());
        Assert.True(sawHoldBack, "the test text must contain a token that ends inside a character");
    }

    [SkippableFact]
    public void IncrementalDecoder_FlushAppliesThePolicyToATruncatedTail()
    {
        var decoder = Tokenizer.CreateIncrementalDecoder();
        Assert.Equal("a", decoder.Append(IdsOfBytes(0x61, 0xE4)));
        Assert.Equal("\uFFFD", decoder.Flush());
        var strict = Tokenizer.CreateIncrementalDecoder(DecodePolicy.Strict);
        Assert.Equal("a", strict.Append(IdsOfBytes(0x61, 0xE4)));
        Assert.Equal(1, Assert.Throws<InvalidUtf8Exception>(() => strict.Flush()).ByteOffset);
    }

    [SkippableFact]
    public void PieceText_ShowsInvalidBytesVisibly()
    {
        Assert.Equal("，", PieceText.Format("，"u8));
        Assert.Equal("<0xEF><0xBC>", PieceText.Format([0xEF, 0xBC]));
        Assert.Equal("a▁b<0x0A>", PieceText.FormatForListing("a b\n"u8));
        Assert.Equal("<0xE2><0x96><0x81>", PieceText.FormatForListing("▁"u8));
    }
}
