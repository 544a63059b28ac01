using BytePiece.LmTools.Losses;
using BytePiece.LmTools.Rope;
using BytePiece.LmTools.Sampling;
using Xunit;

namespace BytePiece.LmTools.Tests;

/// <summary>
/// Where LmTools differed from Hugging Face (issue 24, section 3), each checked against values derived
/// independently of the implementation.
/// </summary>
public class HuggingFaceConventionTests
{
    /// <summary>HF's CPU top-p (TopPLogitsWarper): stable ascending sort, cumulative sum, remove cumsum &lt;= 1 − p, keep the last minTokensToKeep.</summary>
    private static bool[] HuggingFaceTopPKeeps(double[] logits, double p, int minTokensToKeep, out double closest)
    {
        int n = logits.Length;
        int[] ascending = Enumerable.Range(0, n).OrderBy(i => logits[i]).ToArray(); // LINQ's OrderBy is stable
        double max = logits.Max();
        double[] e = logits.Select(z => Math.Exp(z - max)).ToArray();
        double sum = e.Sum();
        var keep = new bool[n];
        double cumulative = 0;
        closest = double.PositiveInfinity;
        for (int r = 0; r < n; r++)
        {
            cumulative += e[ascending[r]] / sum;
            closest = Math.Min(closest, Math.Abs(cumulative - (1 - p)));
            keep[ascending[r]] = !(cumulative <= 1 - p) || r >= n - minTokensToKeep;
        }
        return keep;
    }

    [SkippableFact]
    public void TopP_TieAtTheCut_KeepsTheHigherId()
    {
        double[] z = [0, 0];
        LogitsProcessors.TopP<double>(z, 0.4); // cumulative 0.5 <= 0.6 removes the first of the pair
        Assert.Equal([double.NegativeInfinity, 0], z);
        // A three-way tie behind a leader: 0.4 + 0.2 from one tied token reaches 0.55; the highest tied id stays.
        double[] w = [Math.Log(0.2), Math.Log(0.4), Math.Log(0.2), Math.Log(0.2)];
        LogitsProcessors.TopP<double>(w, 0.55);
        Assert.Equal([false, true, false, true], w.Select(double.IsFinite).ToArray());
    }

    [SkippableFact]
    public void TopP_MatchesHuggingFacesCpuProcedure_OnRandomLogitsWithTies()
    {
        var random = new Random(2024_12_03);
        int compared = 0;
        for (int round = 0; round < 3000; round++)
        {
            int n = random.Next(2, 12);
            double[] z = Enumerable.Range(0, n).Select(_ => (double)random.Next(0, 4)).ToArray(); // 4 levels: many ties
            double p = Math.Round(random.NextDouble(), 3);
            int keepAtLeast = random.Next(1, 3);
            bool[] expected = HuggingFaceTopPKeeps(z, p, keepAtLeast, out double closest);
            if (closest < 1e-9) continue; // a cumulative sum on the cut itself: rounding decides, not the rule
            LogitsProcessors.TopP<double>(z, p, keepAtLeast);
            Assert.Equal(expected, z.Select(double.IsFinite).ToArray());
            compared++;
        }
        Assert.True(compared > 2500, $"{compared} compared");
    }

    [SkippableFact]
    public void Temperature_DividesByT_AsHuggingFaceDoes()
    {
        const double t = 0.7;
        var random = new Random(5);
        int differing = 0;
        for (int i = 0; i < 10_000; i++)
        {
            float z = (float)(random.NextDouble() * 20 - 10);
            float[] x = [z];
            LogitsProcessors.Temperature<float>(x, t);
            Assert.Equal(z / (float)t, x[0]); // torch on CPU: float32 logits / float32(T)
            if (z * (float)(1 / t) != z / (float)t) differing++;
        }
        Assert.True(differing > 0); // the two roundings do differ somewhere in the sample
    }

    [SkippableFact]
    public void LongRope_WithoutOriginalLength_TakesTheFactorFromRopeScaling()
    {
        string config = """
            { "hidden_size": 8, "num_attention_heads": 1, "max_position_embeddings": 4096,
              "rope_scaling": { "type": "longrope", "factor": 32, "short_factor": [1, 1, 1, 1], "long_factor": [2, 2, 2, 2] } }
            """;
        RopeParameters p = RopeParameters.FromHuggingFaceConfig(config);
        Assert.Null(p.OriginalMaxPositionEmbeddings);
        var (theta, attention) = RopeFrequencies.Compute(p);
        Assert.Equal(Math.Sqrt(1 + Math.Log(32) / Math.Log(4096)), attention, 12);
        Assert.Equal(1.1902380714, attention, 9);
        Assert.Equal(1.0, theta[0]); // 4096 tokens are not beyond the length L = max_position_embeddings: short factors
        Assert.Equal(0.5, RopeFrequencies.Compute(p, sequenceLength: 4097).InverseFrequencies[0]);
        // With the original length given, s = max / original wins over factor (HF).
        var (_, given) = RopeFrequencies.Compute(p with { MaxPositionEmbeddings = 131072, OriginalMaxPositionEmbeddings = 4096, Factor = 2 });
        Assert.Equal(1.1902380714, given, 9);
    }

    private static readonly double[] Z = [1.5, -0.3, 0.7, 2.2, -1.1];
    private static readonly double[] Embeddings = TokenLosses.NormalizeRows([1, 0, 0, 0.8, 0.6, 0, 0, 1, 0, 0, 0, 2, 1, 1, 1], 3);

    public static TheoryData<string> LossNames => new() { "cross-entropy", "tailr", "smooth accuracy", "focal", "emo", "emo mle", "emo emo" };

    private static double Loss(string name, double[] z, Span<double> gradient) => name switch
    {
        "cross-entropy" => TokenLosses.CrossEntropy<double>(z, 3, gradient, labelSmoothing: 0.1),
        "tailr" => TokenLosses.TaiLr<double>(z, 3, gradient, gamma: 0.3, minWeight: 0.1, labelSmoothing: 0.1),
        "smooth accuracy" => TokenLosses.SmoothAccuracy<double>(z, 3, gradient),
        "focal" => TokenLosses.Focal<double>(z, 3, gradient, focusing: 2),
        "emo" => TokenLosses.Emo<double>(z, 3, Embeddings, 3, gradient),
        "emo mle" => TokenLosses.Emo<double>(z, 3, Embeddings, 3, gradient, TokenLosses.EmoMode.MleEmphasized),
        _ => TokenLosses.Emo<double>(z, 3, Embeddings, 3, gradient, TokenLosses.EmoMode.EmoEmphasized),
    };

    [SkippableTheory]
    [MemberData(nameof(LossNames))]
    public void EveryLoss_WorksValueOnly(string name)
    {
        double withGradient = Loss(name, Z, new double[Z.Length]);
        Assert.Equal(withGradient, Loss(name, Z, default));
    }

    [SkippableFact]
    public void Emo_RefusesEmbeddingsThatAreNotUnitRows()
    {
        double[] raw = [1, 0, 0, 0.8, 0.6, 0, 0, 1, 0, 0, 0, 2, 1, 1, 1]; // rows 3 and 4 are not unit
        var error = Assert.Throws<ArgumentException>(() => TokenLosses.Emo<double>(Z, 3, raw, 3, new double[Z.Length]));
        Assert.Contains("row 3", error.Message);
        Assert.Contains(nameof(TokenLosses.NormalizeRows), error.Message);
        // A zero row (what NormalizeRows leaves of a zero row) and rows off by rounding are accepted.
        double[] zeroRow = [.. Embeddings];
        Array.Clear(zeroRow, 6, 3);
        TokenLosses.Emo<double>(Z, 3, zeroRow, 3, new double[Z.Length]);
        double[] rounded = [.. Embeddings.Select(x => (double)(float)x)];
        TokenLosses.Emo<double>(Z, 3, rounded, 3, new double[Z.Length]);
    }
}
