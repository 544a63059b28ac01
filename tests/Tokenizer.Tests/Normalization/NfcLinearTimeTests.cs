using Xunit;

namespace BytePiece.Tests;

/// <summary>NFC takes linear time on long runs of marks whose classes alternate: strings and streams.</summary>
[Collection(GrowthRatio.Collection)]
public class NfcLinearTimeTests
{
    /// <summary>A letter and <paramref name="length"/> marks whose combining classes alternate (230, 220): not in canonical order.</summary>
    private static string AlternatingMarks(int length)
    {
        var chars = new char[length + 1];
        chars[0] = 'a';
        for (int i = 1; i <= length; i++) chars[i] = i % 2 == 1 ? '\u0301' : '\u0316';
        return new string(chars);
    }

    [SkippableFact]
    public void EncodingAStringWithARunOfAlternatingMarks_IsLinear()
    {
        // ICU's own NFC orders marks by insertion: 10,000 marks and 40,000 took 0.12 s and 1.9 s (16x).
        BytePieceTokenizer tokenizer = BytePieceTokenizer.Default;
        double ratio = GrowthRatio.OfFourTimes(10_000, n => tokenizer.EncodeToIds(AlternatingMarks(n)));
        Assert.True(ratio < 10, $"4x the marks took {ratio:F1}x the time");
    }

    [SkippableFact]
    public void StreamingARunOfAlternatingMarks_IsLinear_AndEqualsTheWholeText()
    {
        BytePieceTokenizer tokenizer = BytePieceTokenizer.Default;
        int[] Stream(string text)
        {
            using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text));
            return new StreamingEncoder(tokenizer).EncodeAsync(stream).ToBlockingEnumerable().ToArray();
        }
        string sample = AlternatingMarks(50_000) + " and after\n";
        Assert.Equal(tokenizer.EncodeToIds(sample), Stream(sample));
        double ratio = GrowthRatio.OfFourTimes(10_000, n => Stream(AlternatingMarks(n)));
        Assert.True(ratio < 10, $"4x the marks took {ratio:F1}x the time");
    }

    [SkippableFact]
    public void TheNormalizedText_IsIcusNfc()
    {
        string text = AlternatingMarks(5_000) + " café\u0301 e\u0301\u0316x";
        string expected = text.Normalize(System.Text.NormalizationForm.FormC);
        Assert.Equal(BytePieceTokenizer.Default.EncodeToIds(expected), BytePieceTokenizer.Default.EncodeToIds(text));
    }
}
