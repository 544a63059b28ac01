using BytePiece.LmTools.Sampling;
using BytePiece.Testing;
using Xunit;

namespace BytePiece.LmTools.Tests;

/// <summary>Logits processors against the reference vectors (Hugging Face semantics), and draws against the processed distribution.</summary>
public class LogitsSamplingTests
{
    private static readonly double[] Z = [3.0, 2.5, 2.0, 1.0, 0.0, -1.0];

    private static void Close(double[] expected, double[] actual, double tolerance = 1e-6)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    private static double[] After(Action<double[]> process)
    {
        double[] z = [.. Z];
        process(z);
        return LogitsProcessors.Probabilities<double>(z);
    }

    [SkippableFact]
    public void Softmax_Temperature_TopK_MatchTheReference()
    {
        Close([0.459169, 0.278500, 0.168919, 0.062142, 0.022861, 0.008410], LogitsProcessors.Probabilities<double>(Z));
        Close([0.554420, 0.271412, 0.132867, 0.031842, 0.007631, 0.001829], After(z => LogitsProcessors.Temperature<double>(z, 0.7)));
        Close([0.506480, 0.307196, 0.186324, 0, 0, 0], After(z => LogitsProcessors.TopK<double>(z, 3)));
    }

    [SkippableTheory]
    [InlineData(0.5, 2)]
    [InlineData(0.8, 3)]
    [InlineData(0.9, 3)]
    [InlineData(0.95, 4)]
    public void TopP_KeepsTheSmallestSetReachingP(double p, int kept)
    {
        double[] probs = After(z => LogitsProcessors.TopP<double>(z, p));
        Assert.Equal(kept, probs.Count(x => x > 0));
        Assert.All(probs.Take(kept), x => Assert.True(x > 0));
        if (kept == 4) Close([0.473991, 0.287490, 0.174371, 0.064148, 0, 0], probs);
    }

    [SkippableTheory]
    [InlineData(0.2, 3)]
    [InlineData(0.1, 4)]
    [InlineData(0.05, 4)]
    public void MinP_RemovesTokensBelowAFractionOfTheMax(double minP, int kept)
        => Assert.Equal(kept, After(z => LogitsProcessors.MinP<double>(z, minP)).Count(x => x > 0));

    [SkippableFact]
    public void HuggingFaceChain_AndTopKTies()
    {
        var sampler = new LogitsSampler { Temperature = 0.7, TopK = 50, TopP = 0.9 };
        Close([0.578305, 0.283104, 0.138591, 0, 0, 0], sampler.Distribution<double>(Z));
        double[] ties = [1, 2, 2, 2, 0.5];
        LogitsProcessors.TopK<double>(ties, 2);
        Assert.Equal([false, true, true, true, false], ties.Select(double.IsFinite).ToArray());
        Assert.Equal([0, 0, 1, 0, 0, 0], new LogitsSampler { Temperature = 0 }.Distribution<double>([1, 2, 3, 3, 0, 0]).Select(x => (int)x).ToArray());
    }

    [SkippableFact]
    public void LlamaCppOrder_AppliesTemperatureLast_AndTopKExactly()
    {
        var hf = new LogitsSampler { Temperature = 0.7, TopK = 0, MinP = 0.1 };
        var llama = hf with { Order = LogitsSampler.ProcessorOrder.LlamaCpp };
        Assert.Equal(3, hf.Distribution<double>(Z).Count(x => x > 0));    // min-p sees tempered ratios
        Assert.Equal(4, llama.Distribution<double>(Z).Count(x => x > 0)); // min-p before temperature
        var exact = new LogitsSampler { TopK = 2, Order = LogitsSampler.ProcessorOrder.LlamaCpp };
        Assert.Equal([false, true, true, false, false], exact.Distribution<double>([1, 2, 2, 2, 0.5]).Select(x => x > 0).ToArray());
    }

    [SkippableFact]
    public void Identities_And_ShiftInvariance()
    {
        double[] plain = LogitsProcessors.Probabilities<double>(Z);
        Close(plain, new LogitsSampler { TopK = 0 }.Distribution<double>(Z), 1e-12);
        Close(plain, new LogitsSampler { TopK = 6, TopP = 1, MinP = 0, Temperature = 1 }.Distribution<double>(Z), 1e-12);
        var chain = new LogitsSampler { Temperature = 0.8, TopK = 4, TopP = 0.9, MinP = 0.05 };
        Close(chain.Distribution<double>(Z), chain.Distribution<double>(Z.Select(z => z + 123.0).ToArray()), 1e-12);
        Assert.Single(new LogitsSampler { TopP = 0 }.Distribution<double>(Z), x => x > 0); // never empty
    }

    [SkippableFact]
    public void RepetitionPenalty_DividesPositiveAndMultipliesNegativeLogits()
    {
        double[] z = [2, -1, 0.5, 3];
        LogitsProcessors.RepetitionPenalty<double>(z, [0, 1, 1, 9], 2);
        Assert.Equal([1, -2, 0.5, 3], z);
    }

    [SkippableFact]
    public void Draws_FollowTheProcessedDistribution_ChiSquare()
    {
        // 200,000 draws, fixed seed; p > 1e-3 required (cells expected below 5 pooled).
        var sampler = new LogitsSampler { Temperature = 0.9, TopK = 5, TopP = 0.97 };
        double[] expected = sampler.Distribution<float>([3f, 2.5f, 2f, 1f, 0f, -1f]);
        var random = new Random(20261123);
        var counts = new long[6];
        const int draws = 200_000;
        for (int d = 0; d < draws; d++) counts[sampler.Sample<float>([3f, 2.5f, 2f, 1f, 0f, -1f], random)]++;
        Assert.Equal(0, counts[5]); // filtered by top-k
        var (p, _, df) = Statistics.ChiSquare(expected.Select((e, i) => (e, counts[i])).ToList(), draws);
        Assert.True(df >= 2);
        Assert.True(p > 1e-3, $"p = {p}");
    }
}
