using System.Text;
using Xunit;

namespace BytePiece.Tests;

/// <summary>
/// Extreme alpha and extreme scores (issue 19, item 6): every sampling API of the three families gives finite
/// results (probabilities at most 1, entropies at least 0) for alpha in [0, <see cref="SamplingOptions.MaxAlpha"/>],
/// including with models whose scores sit at <see cref="ModelLimits.MaxScoreMagnitude"/>, and refuses the rest
/// (NaN, infinities, above the maximum) with <see cref="ArgumentOutOfRangeException"/>; the CLI exits 1 (alpha) or 2 (scores).
/// </summary>
public class AlphaRangeTests
{
    public static TheoryData<double> ValidAlphas => [0, 1e-300, 1e-12, 1, 1e3, SamplingOptions.MaxAlpha];

    public static TheoryData<double> InvalidAlphas => [SamplingOptions.MaxAlpha * 2, 1e307, double.NaN, double.PositiveInfinity, double.NegativeInfinity];

    private const string Text = "hello world, hello";

    private static readonly string[] s_pieces = ["\u2581", "h", "e", "l", "o", "w", "r", "d", ",", "\u2581he", "llo", "\u2581world", "or", "ll", "\u2581hello", "lo"];

    /// <summary>A .model whose scores alternate between -1e30, +1e30 and ordinary values.</summary>
    private static SentencePieceTokenizer ExtremeSentencePiece(float magnitude)
        => new(ModelFile.LoadSentencePiece(ModelSizeLimitTests.SentencePieceModelWith(
            s_pieces.Select((p, i) => (Encoding.UTF8.GetBytes(p), i % 3 == 0 ? -magnitude : i % 3 == 1 ? magnitude : -2.5f)))));

    private static HuggingFaceTokenizer ExtremeTokenizerJson(string score)
        => HuggingFaceTokenizer.FromJson(ModelSizeLimitTests.TokenizerJsonWith(s_pieces, score));

    /// <summary>A BytePiece model whose counts span 1 to about 2^62 (log-probabilities down to -43).</summary>
    private static BytePieceTokenizer ExtremeBytePiece()
        => new(UnigramModel.FromCounts(Enumerable.Range(0, 256).Select(b => new KeyValuePair<byte[], long>([(byte)b], b == 'z' ? long.MaxValue / 2 : 1))
            .Concat(new[] { "he", "llo", "hello", "wor", "ld", " world" }.Select((p, i) => new KeyValuePair<byte[], long>(Encoding.UTF8.GetBytes(p), i % 2 == 0 ? 1 : 1L << 40)))));

    private static void AssertScores(IEnumerable<ScoredSegmentation> samples)
    {
        int count = 0;
        foreach (ScoredSegmentation s in samples)
        {
            Assert.NotEmpty(s.Ids);
            Assert.True(double.IsFinite(s.Score) && s.Score <= 0, $"score {s.Score}");
            count++;
        }
        Assert.True(count > 0);
    }

    private static void AssertEntropy(double nats) => Assert.True(double.IsFinite(nats) && nats >= 0, $"entropy {nats}");

    [SkippableTheory]
    [MemberData(nameof(ValidAlphas))]
    public void BytePiece_EverySamplingApiIsFinite(double alpha)
    {
        foreach (BytePieceTokenizer tokenizer in new[] { SharedData.Tokenizer("bytepiece.eu.plus.40k.model"), ExtremeBytePiece() })
        {
            var options = new SamplingOptions(alpha, 5);
            Assert.Equal(Text, tokenizer.Decode(tokenizer.EncodeToIds(Text, sampling: options)));
            AssertEntropy(tokenizer.Entropy(Text, alpha));
            foreach (PieceMarginal m in tokenizer.Marginals(Text, alpha))
                Assert.True(m.Probability is >= 0 and <= 1, $"marginal {m.Probability}");
            double coverFirst = tokenizer.Marginals(Text, alpha).Where(m => m.Start == 0).Sum(m => m.Probability);
            Assert.InRange(coverFirst, 1 - 1e-6, 1 + 1e-6);
            AssertScores(tokenizer.SampleEncodeAndScore(Text, options, 8));
            AssertScores(tokenizer.SampleEncodeAndScore(Text, options, 8, withoutReplacement: true, includeBest: true));
        }
    }

    [SkippableTheory]
    [MemberData(nameof(ValidAlphas))]
    public void SentencePiece_EverySamplingApiIsFinite(double alpha)
    {
        var real = SentencePieceTokenizer.Load(Path.Combine(SharedData.Root, "models", "sentencepiece", "test_model.model"));
        foreach (SentencePieceTokenizer tokenizer in new[] { real, ExtremeSentencePiece(9.9e29f), ExtremeSentencePiece(1e-30f) })
        {
            var options = new SamplingOptions(alpha, 5);
            Assert.NotEmpty(tokenizer.EncodeToIds(Text, options));
            Assert.NotEmpty(tokenizer.SampleEncode(Text, options, -1));
            Assert.NotEmpty(tokenizer.SampleEncode(Text, options, 4));
            AssertEntropy(tokenizer.Entropy(Text, alpha));
            AssertScores(tokenizer.SampleEncodeAndScore(Text, options, 8));
            AssertScores(tokenizer.SampleEncodeAndScore(Text, options, 8, withoutReplacement: true, includeBest: true));
        }
    }

    [SkippableTheory]
    [MemberData(nameof(ValidAlphas))]
    public void TokenizerJson_EverySamplingApiIsFinite(double alpha)
    {
        foreach (HuggingFaceTokenizer tokenizer in new[] { ExtremeTokenizerJson("-1e30"), ExtremeTokenizerJson("-1.5"), ExtremeTokenizerJson("1e30") })
        {
            var options = new SamplingOptions(alpha, 5);
            Assert.NotEmpty(tokenizer.EncodeToIds(Text, options));
            AssertEntropy(tokenizer.Entropy(Text, alpha));
            AssertScores(tokenizer.SampleEncodeAndScore(Text, options, 8));
            AssertScores(tokenizer.SampleEncodeAndScore(Text, options, 8, withoutReplacement: true));
        }
    }

    [SkippableTheory]
    [MemberData(nameof(InvalidAlphas))]
    public void AlphaOutsideTheRange_IsRefusedEverywhere(double alpha)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SamplingOptions(alpha, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SamplingOptions(1, 1) with { Alpha = alpha });
        var bytePiece = SharedData.Tokenizer("bytepiece.eu.plus.40k.model");
        var spm = SentencePieceTokenizer.Load(Path.Combine(SharedData.Root, "models", "sentencepiece", "test_model.model"));
        var hf = ExtremeTokenizerJson("-1.5");
        Assert.Throws<ArgumentOutOfRangeException>(() => bytePiece.Entropy(Text, alpha));
        Assert.Throws<ArgumentOutOfRangeException>(() => bytePiece.Marginals(Text, alpha));
        Assert.Throws<ArgumentOutOfRangeException>(() => spm.Entropy(Text, alpha));
        Assert.Throws<ArgumentOutOfRangeException>(() => hf.Entropy(Text, alpha));
    }

    [SkippableTheory]
    [InlineData("-3.97e308")]
    [InlineData("1e31")]
    [InlineData("-1.0000001e30")]
    public void TokenizerJson_ScoresBeyondTheLimit_AreRefusedAtLoad(string score)
        => Assert.Contains("MaxScoreMagnitude", Assert.Throws<ModelFormatException>(() => ExtremeTokenizerJson(score)).Message);

    [SkippableTheory]
    [InlineData("encode")]
    [InlineData("entropy")]
    [InlineData("sample")]
    public void Cli_AlphaOutsideTheRange_ExitsOneWithOneLine(string command)
    {
        string model = Path.Combine(SharedData.Root, "models", "sentencepiece", "test_model.model");
        foreach (string alpha in new[] { "1e307", "NaN", "2000000" })
        {
            var (code, stdout, stderr) = CliRunner.Run("", command, "-m", model, "hello world", "--alpha", alpha);
            Assert.True(code == 1, $"{command} --alpha {alpha}: exit {code}, {stderr}");
            Assert.Equal("", stdout);
            Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        }
    }

    [SkippableFact]
    public void Cli_ATokenizerJsonWithAnOverflowingScore_ExitsTwo()
    {
        string path = Path.Combine(Path.GetTempPath(), $"bytepiece-score-{Environment.ProcessId}.json");
        try
        {
            File.WriteAllBytes(path, ModelSizeLimitTests.TokenizerJsonWith(s_pieces, "-3.97e308"));
            var (code, _, stderr) = CliRunner.Run("", "sample", "-m", path, "hello world", "--alpha", "1");
            Assert.Equal(2, code);
            Assert.Contains("MaxScoreMagnitude", stderr);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
