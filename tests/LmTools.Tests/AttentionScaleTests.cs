using BytePiece.LmTools.Attention;
using Xunit;

namespace BytePiece.LmTools.Tests;

/// <summary>
/// The gradient-maximizing scale for one score vector (issue 24, section 1): G and dG/dα against an
/// independent naive G and finite differences, the maximizer against a brute-force grid search and the
/// two-score closed form (x tanh(x/2) = 1), its invariances and its refusals.
/// </summary>
public class AttentionScaleTests
{
    /// <summary>G computed the plain way: α (1 − Σ p²) with a max-subtracted softmax.</summary>
    private static double NaiveG(double alpha, double[] s)
    {
        double max = double.NegativeInfinity;
        foreach (double x in s) max = Math.Max(max, x);
        double sum = 0, squares = 0;
        foreach (double x in s)
        {
            double e = Math.Exp(alpha * (x - max));
            sum += e;
            squares += e * e;
        }
        return alpha * (1 - squares / (sum * sum));
    }

    private static double[] RandomScores(Random random)
    {
        int n = random.Next(2, 300);
        double scale = Math.Exp(random.NextDouble() * 6 - 3), shift = random.NextDouble() * 20 - 10;
        return [.. Enumerable.Range(0, n).Select(_ => shift + scale * Normal(random))];
    }

    private static double Normal(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    [SkippableFact]
    public void GradientSize_IsTheNaiveFormula_AndItsDerivativeMatchesFiniteDifferences()
    {
        var random = new Random(9812);
        for (int round = 0; round < 200; round++)
        {
            double[] s = RandomScores(random);
            double spread = s.Max() - s.Min();
            foreach (double a in new[] { 0.05, 0.5, 2, 8, 30 })
            {
                double alpha = a / spread;
                double g = AttentionScale.GradientSize(alpha, s);
                Assert.Equal(NaiveG(alpha, s), g, 1e-12 * (1 + g));
                double h = 1e-5 * alpha;
                double fd = (AttentionScale.GradientSize(alpha + h, s) - AttentionScale.GradientSize(alpha - h, s)) / (2 * h);
                double exact = AttentionScale.GradientSizeDerivative(alpha, s);
                Assert.True(Math.Abs(fd - exact) <= 1e-6 * (Math.Abs(exact) + g / alpha), $"round {round}, α {alpha}: fd {fd}, exact {exact}");
            }
        }
    }

    [SkippableFact]
    public void Maximize_MatchesABruteForceGridSearch_ToTheGridStep_AndIsAStationaryPointTo1e10()
    {
        var random = new Random(20231022);
        const int PerDecade = 200;
        for (int round = 0; round < 80; round++)
        {
            double[] s = RandomScores(random);
            double spread = s.Max() - s.Min();
            double alpha = AttentionScale.Maximize(s);
            double g = AttentionScale.GradientSize(alpha, s);
            // Grid over six decades around the natural scale 1/spread, wide enough for these vectors.
            double bestAlpha = 0, best = double.NegativeInfinity;
            for (int k = 0; k <= 6 * PerDecade; k++)
            {
                double a = 1e-2 / spread * Math.Pow(10, (double)k / PerDecade);
                double value = NaiveG(a, s);
                if (value > best) (best, bestAlpha) = (value, a);
            }
            Assert.True(bestAlpha > 1e-2 / spread && bestAlpha < 1e4 / spread, "the grid's best is inside it");
            Assert.True(g >= best * (1 - 1e-12), $"round {round}: G(α*) = {g} < grid best {best}");
            Assert.True(Math.Abs(Math.Log(alpha / bestAlpha)) <= Math.Log(10) / PerDecade, $"round {round}: α* {alpha}, grid {bestAlpha}");
            // The derivative changes sign within 1e-10 relative of α*.
            Assert.True(AttentionScale.GradientSizeDerivative(alpha * (1 - 1e-10), s) >= 0, $"round {round}: below");
            Assert.True(AttentionScale.GradientSizeDerivative(alpha * (1 + 1e-10), s) <= 0, $"round {round}: above");
        }
    }

    [SkippableTheory]
    [InlineData(1.0)]
    [InlineData(0.001)]
    [InlineData(250.0)]
    public void TwoScores_MaximizerIsTheRootOfXTanhHalfXEqualsOne_OverTheGap(double gap)
    {
        // G = α · 2σ(αδ)σ(−αδ); d/dx [x σ(x) σ(−x)] = 0 ⇔ x tanh(x/2) = 1.
        double lo = 0.5, hi = 3;
        for (int i = 0; i < 200; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (mid * Math.Tanh(mid / 2) < 1) lo = mid;
            else hi = mid;
        }
        Assert.Equal(1.5434046, lo, 6);
        Assert.Equal(lo / gap, AttentionScale.Maximize([3, 3 + gap]), 1e-10 * lo / gap);
    }

    [SkippableFact]
    public void Maximize_IsShiftInvariant_AndScalesInverselyWithTheScores()
    {
        var random = new Random(4);
        for (int round = 0; round < 30; round++)
        {
            double[] s = RandomScores(random);
            double alpha = AttentionScale.Maximize(s);
            Assert.Equal(alpha, AttentionScale.Maximize([.. s.Select(x => x + 7.25)]), 1e-9 * alpha);
            Assert.Equal(alpha / 8, AttentionScale.Maximize([.. s.Select(x => x * 8)]), 1e-9 * alpha / 8);
        }
    }

    [SkippableFact]
    public void Maximize_IsUnbounded_WhenTheLargestScoreIsTied_AndRefusesBadInput()
    {
        Assert.Equal(double.PositiveInfinity, AttentionScale.Maximize([1, 2, 2]));
        Assert.Equal(double.PositiveInfinity, AttentionScale.Maximize([5, 5]));
        Assert.True(AttentionScale.GradientSize(1e3, [1, 2, 2]) > AttentionScale.GradientSize(1e2, [1, 2, 2])); // α(1 − 1/2) grows
        Assert.Throws<ArgumentException>(() => AttentionScale.Maximize([1]));
        Assert.Throws<ArgumentException>(() => AttentionScale.Maximize([1, double.NaN]));
        Assert.Throws<ArgumentOutOfRangeException>(() => AttentionScale.GradientSize(-1, [1, 2]));
        // Nearly one-hot: G stays accurate (1 − Σp² is never 1 minus a near-1 number).
        double alpha = 40, e = Math.Exp(-alpha);
        Assert.Equal(alpha * 2 * e / ((1 + e) * (1 + e)), AttentionScale.GradientSize(alpha, [0, 1]), 1e-14 * alpha * e);
    }
}
