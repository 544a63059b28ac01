using BytePiece.LmTools.Losses;
using BytePiece.LmTools.Rope;
using BytePiece.LmTools.Sampling;
using Xunit;

namespace BytePiece.LmTools.Tests;

/// <summary>
/// The quantities a user checks against a paper, exposed (issue 24, section 3), against the reference
/// values in ../shared/reference/lmtools.md section 2.4; names and defaults that prevent off-by-one and
/// surprise; NTK-mixed read from a config.
/// </summary>
public class PaperQuantityTests
{
    [SkippableFact]
    public void YarnCorrectionRange_MatchesTheReference()
    {
        var p = new RopeParameters { RotaryDim = 128, Type = RopeType.Yarn, Factor = 4, MaxPositionEmbeddings = 4096 };
        Assert.Equal((20.0, 46.0), RopeFrequencies.YarnCorrectionRange(p));
        var (low, high) = RopeFrequencies.YarnCorrectionRange(p with { Truncate = false });
        Assert.Equal(20.9444816206, low, 9);
        Assert.Equal(45.0268812738, high, 9);
        Assert.Equal((23.0, 40.0), RopeFrequencies.YarnCorrectionRange(p with { Base = 1e6, OriginalMaxPositionEmbeddings = 32768 }));
        Assert.Equal((10.0, 23.0), RopeFrequencies.YarnCorrectionRange(p with { RotaryDim = 64, Factor = 40 }));
    }

    [SkippableFact]
    public void DynamicBase_MatchesTheReference_AndDefaultsMaxTo2048()
    {
        var p = new RopeParameters { RotaryDim = 128, Type = RopeType.Dynamic, Factor = 2, MaxPositionEmbeddings = 2048 };
        Assert.Equal(30527.7367488067, RopeFrequencies.DynamicBase(p, 4096), 8);
        Assert.Equal(10_000, RopeFrequencies.DynamicBase(p, 2048));
        // A config without max_position_embeddings reads 2048, as Hugging Face's default does.
        RopeParameters read = RopeParameters.FromHuggingFaceConfig("""{ "head_dim": 128, "rope_scaling": { "type": "dynamic", "factor": 2 } }""");
        Assert.Equal(2048, read.MaxPositionEmbeddings);
        Assert.Equal(30527.7367488067, RopeFrequencies.DynamicBase(read, 4096), 8);
    }

    [SkippableTheory]
    [InlineData(8, 0.625, 0.1545554173)]
    [InlineData(12, 0.75, 0.1098183964)]
    public void NtkMixedRate_MatchesTheReference(double s, double b, double a)
        => Assert.Equal(a, RopeFrequencies.NtkMixedRate(new RopeParameters { RotaryDim = 128, Type = RopeType.NtkMixed, Factor = s, MixedExponent = b }), 9);

    [SkippableFact]
    public void NtkMixed_IsReadFromRopeScaling()
    {
        RopeParameters p = RopeParameters.FromHuggingFaceConfig("""
            { "head_dim": 128, "rope_theta": 10000, "rope_scaling": { "rope_type": "ntk_mixed", "factor": 12, "mixed_exponent": 0.75 } }
            """);
        Assert.Equal(RopeType.NtkMixed, p.Type);
        Assert.Equal(0.75, p.MixedExponent);
        double[] theta = RopeFrequencies.Compute(p).InverseFrequencies;
        Assert.Equal(8.9599683676e-1, theta[0], 9);
        Assert.Equal(9.6231832057e-6, theta[63], 15);
        RopeParameters defaults = RopeParameters.FromHuggingFaceConfig("""{ "head_dim": 128, "rope_scaling": { "type": "ntk-mixed", "factor": 8 } }""");
        Assert.Equal(RopeType.NtkMixed, defaults.Type);
        Assert.Equal(8.5679600952e-1, RopeFrequencies.Compute(defaults).InverseFrequencies[0], 9);
    }

    [SkippableFact]
    public void TaiLrWeight_IsTheClampedRatio()
    {
        double[] z = [1.5, -0.3, 0.7, 2.2, -1.1];
        double max = z.Max();
        double pt = Math.Exp(z[3] - max) / z.Sum(x => Math.Exp(x - max));
        foreach (double gamma in new[] { 0.0, 0.3, 0.8, 1.0 })
            Assert.Equal(pt / (gamma + (1 - gamma) * pt), TokenLosses.TaiLrWeight<double>(z, 3, gamma), 12);
        Assert.Equal(0.9, TokenLosses.TaiLrWeight<double>(z, 3, 1, minWeight: 0.9)); // γ = 1: w = p_t ≈ 0.52, floored at b
        // The weight is the factor between TaiLr's gradient and cross-entropy's (no smoothing).
        double[] ce = new double[5], tailr = new double[5];
        TokenLosses.CrossEntropy<double>(z, 3, ce);
        TokenLosses.TaiLr<double>(z, 3, tailr, gamma: 0.3);
        double w = TokenLosses.TaiLrWeight<double>(z, 3, 0.3);
        for (int i = 0; i < 5; i++) Assert.Equal(w * ce[i], tailr[i], 14);
    }

    [SkippableFact]
    public void LogN_TakesAZeroBasedPosition()
    {
        Assert.Equal(1, PositionScaling.LogN(zeroBasedPosition: 4095, trainingLength: 4096)); // n = 4096 tokens
        Assert.Equal(1.0833333333, PositionScaling.LogN(zeroBasedPosition: 8191, trainingLength: 4096), 9); // n = 8192
        Assert.Throws<ArgumentOutOfRangeException>(() => PositionScaling.LogN(-1, 4096));
    }

    [SkippableFact]
    public void Sampler_TopKStays50_WhenTopPIsShownAlone()
    {
        float[] z = Enumerable.Range(0, 200).Select(i => -0.01f * i).ToArray();
        Assert.Equal(50, new LogitsSampler { TopP = 0.999 }.Distribution<float>(z).Count(x => x > 0));
        Assert.Equal(50, new LogitsSampler { MinP = 0.001 }.Distribution<float>(z).Count(x => x > 0));
        Assert.True(new LogitsSampler { TopP = 0.999, TopK = 0 }.Distribution<float>(z).Count(x => x > 0) > 190);
    }
}
