using Xunit;

namespace BytePiece.Tests;

/// <summary>NFC of a whole text (strings and the trainer's reader) takes linear time on long runs of marks.</summary>
[Collection(GrowthRatio.Collection)]
public class TextNormalizerLinearTimeTests
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
    public void TheNormalizedText_IsIcusNfc()
    {
        string text = AlternatingMarks(5_000) + " café\u0301 e\u0301\u0316x";
        string expected = text.Normalize(System.Text.NormalizationForm.FormC);
        Assert.Equal(BytePieceTokenizer.Default.EncodeToIds(expected), BytePieceTokenizer.Default.EncodeToIds(text));
    }
}
