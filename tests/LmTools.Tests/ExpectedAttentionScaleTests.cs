using BytePiece.LmTools.Attention;
using Xunit;
using Xunit.Abstractions;

namespace BytePiece.LmTools.Tests;

/// <summary>
/// The distribution-level optimum (issue 24, section 1): the cosine law's closed form E[e^{αs}] against
/// numerical integration and exact special cases, the objective's derivative against finite differences,
/// the optimum against a grid search and the normal law's stationarity equation, monotone growth in n, the
/// article's figures as loose sanity checks, and the decoder helper.
/// </summary>
public class ExpectedAttentionScaleTests(ITestOutputHelper output)
{
    /// <summary>
    /// ln of ∫_0^π e^{α cos θ} sin^{d−2}θ · cos^j θ dθ (j = 0 or 1) by composite Simpson over the window where
    /// the log-integrand is within 80 of its peak (the rest is below e^{−80} of it), in log space.
    /// </summary>
    private static double LogIntegral(double alpha, int d, int power)
    {
        double Phi(double t) => alpha * Math.Cos(t) + (d - 2) * Math.Log(Math.Sin(t));
        // Peak: α sin²θ = (d − 2) cos θ, i.e. cos θ = (−(d−2) + sqrt((d−2)² + 4α²)) / (2α).
        double peak = d == 2 || alpha == 0 ? (d == 2 ? 0 : Math.PI / 2) : Math.Acos((-(d - 2) + Math.Sqrt((d - 2.0) * (d - 2) + 4 * alpha * alpha)) / (2 * alpha));
        double curvature = alpha * Math.Cos(peak) + (d - 2) / Math.Max(1e-300, Math.Sin(peak) * Math.Sin(peak));
        double width = 1 / Math.Sqrt(Math.Max(curvature, 1e-12));
        double a = Math.Max(0, peak - 13 * width), b = Math.Min(Math.PI, peak + 13 * width);
        const int N = 40_000;
        double h = (b - a) / N;
        double top = d == 2 ? Phi(peak == 0 ? 0 : peak) : Phi(peak);
        if (d == 2) top = alpha * Math.Cos(a); // the peak sits on the boundary θ = 0
        double sum = 0;
        for (int k = 0; k <= N; k++)
        {
            double t = a + k * h;
            double logf = alpha * Math.Cos(t) + (d == 2 ? 0 : (d - 2) * Math.Log(Math.Sin(t)));
            double f = double.IsNegativeInfinity(logf) ? 0 : Math.Exp(logf - top) * (power == 1 ? Math.Cos(t) : 1);
            sum += f * (k == 0 || k == N ? 1 : k % 2 == 1 ? 4 : 2);
        }
        return top + Math.Log(sum * h / 3);
    }

    public static TheoryData<int> Dimensions => new() { 2, 3, 8, 64, 128, 512 };

    [SkippableTheory]
    [MemberData(nameof(Dimensions))]
    public void CosineMomentGenerating_MatchesNumericalIntegration(int d)
    {
        var law = ScoreDistribution.Cosine(d);
        double logNormalizer = LogIntegral(0, d, 0);
        foreach (double alpha in new[] { 0.01, 0.5, 3, 20, 60, 100, 300, 600 })
        {
            double expected = LogIntegral(alpha, d, 0) - logNormalizer;
            double actual = law.LogMomentGenerating(alpha);
            Assert.True(Math.Abs(expected - actual) <= 1e-9 * Math.Max(1, Math.Abs(expected)), $"d {d}, α {alpha}: quadrature {expected}, closed form {actual}");
            // The tilted mean E[s e^{αs}] / E[e^{αs}] (cos θ takes both signs: integrate its positive part's weight directly).
            double mean = Math.Exp(LogSignedIntegral(alpha, d) - LogIntegral(alpha, d, 0));
            Assert.True(Math.Abs(mean - law.TiltedMean(alpha)) <= 1e-9 * Math.Max(1e-3, mean), $"d {d}, α {alpha}: tilted mean {mean} vs {law.TiltedMean(alpha)}");
            Assert.Equal(actual, law.LogMomentGenerating(-alpha)); // symmetric law
        }
    }

    /// <summary>ln ∫ e^{α cos θ} sin^{d−2}θ cos θ dθ for α &gt; 0 (positive: the weight leans to cos θ &gt; 0).</summary>
    private static double LogSignedIntegral(double alpha, int d) => LogIntegral(alpha, d, 1);

    [SkippableFact]
    public void CosineMomentGenerating_MatchesExactCases()
    {
        // d = 3: the uniform law on [−1, 1], E = sinh(α)/α, at small, middle and huge α (both evaluation regimes).
        var uniform = ScoreDistribution.Cosine(3);
        foreach (double alpha in new[] { 1e-6, 0.3, 7, 56, 57, 1e3, 1e6, 1e12 })
        {
            double exact = alpha < 1 ? Math.Log(Math.Sinh(alpha) / alpha) : alpha - Math.Log(2 * alpha) + Math.Log(-double.ExpM1(-2 * alpha));
            Assert.Equal(exact, uniform.LogMomentGenerating(alpha), 1e-13 * Math.Max(1, exact));
            double mean = 1 / Math.Tanh(alpha) - 1 / alpha; // Langevin function
            if (alpha > 1e-3) Assert.Equal(mean, uniform.TiltedMean(alpha), 1e-12);
        }
        // d = 2: E = I_0(α); reference values of I_0 (Abramowitz & Stegun table 9.8 / mpmath).
        var circle = ScoreDistribution.Cosine(2);
        Assert.Equal(Math.Log(1.2660658777520082), circle.LogMomentGenerating(1), 14);
        Assert.Equal(Math.Log(2815.716628466254), circle.LogMomentGenerating(10), 13);
        Assert.Equal(Math.Log(1.0737517071310738e+42), circle.LogMomentGenerating(100), 12);
        // The two evaluation regimes meet continuously (series below 50 + 25ν², Hankel above).
        foreach (int d in new[] { 2, 4, 8, 20 })
        {
            double nu = d / 2.0 - 1, x = 50 + 25 * nu * nu;
            var law = ScoreDistribution.Cosine(d);
            Assert.Equal(law.LogMomentGenerating(x * (1 - 1e-13)), law.LogMomentGenerating(x), 1e-12 * x);
            Assert.Equal(law.TiltedMean(x * (1 - 1e-13)), law.TiltedMean(x), 1e-12);
            Assert.Equal(law.LogMomentRatio(x * (1 - 1e-13)), law.LogMomentRatio(x), 1e-12 * x);
            Assert.Equal(law.TiltedMeanIncrease(x * (1 - 1e-13)), law.TiltedMeanIncrease(x), 1e-14);
        }
        // d = 3 at huge α: M(2α)/M(α)² = α coth α, so L(2α) − 2L(α) = ln α (to double precision), and m(2α) − m(α) = 1/(2α).
        foreach (double alpha in new[] { 1e3, 1e9, 1e15 })
        {
            Assert.Equal(Math.Log(alpha), uniform.LogMomentRatio(alpha), 1e-13 * Math.Log(alpha));
            Assert.Equal(1 / (2 * alpha), uniform.TiltedMeanIncrease(alpha), 1e-13 / alpha);
        }
    }

    public static TheoryData<string> Laws => new() { "normal", "cosine 2", "cosine 8", "cosine 128", "cosine 512" };

    private static ScoreDistribution Law(string name) => name == "normal" ? ScoreDistribution.StandardNormal : ScoreDistribution.Cosine(int.Parse(name[7..]));

    [SkippableTheory]
    [MemberData(nameof(Laws))]
    public void Optimum_MatchesAGridSearch_AndTheDerivativeMatchesFiniteDifferences(string name)
    {
        ScoreDistribution law = Law(name);
        foreach (double n in new[] { 2.0, 10, 512, 4096, 1e6 })
        {
            double alpha = ExpectedAttentionScale.Optimal(law, n);
            double best = double.NegativeInfinity, bestAlpha = 0;
            for (int k = 0; k <= 4000; k++)
            {
                double a = alpha * Math.Pow(10, (k - 2000) / 1000.0); // two decades each side, 1000 per decade
                double value = ExpectedAttentionScale.Objective(law, a, n);
                if (value > best) (best, bestAlpha) = (value, a);
            }
            Assert.True(Math.Abs(Math.Log(bestAlpha / alpha)) <= Math.Log(10) / 1000, $"{name}, n {n}: α* {alpha}, grid {bestAlpha}");
            Assert.True(ExpectedAttentionScale.ObjectiveDerivative(law, alpha * (1 - 1e-10), n) >= 0);
            Assert.True(ExpectedAttentionScale.ObjectiveDerivative(law, alpha * (1 + 1e-10), n) <= 0);
            foreach (double a in new[] { alpha / 3, alpha, alpha * 2 })
            {
                double h = 1e-5 * a;
                double fd = (ExpectedAttentionScale.Objective(law, a + h, n) - ExpectedAttentionScale.Objective(law, a - h, n)) / (2 * h);
                Assert.Equal(fd, ExpectedAttentionScale.ObjectiveDerivative(law, a, n), 1e-6 * (1 + Math.Abs(fd)));
            }
        }
    }

    [SkippableFact]
    public void NormalOptimum_SolvesItsStationarityEquation()
    {
        // d/dα [α (1 − e^{α²}/n)] = 0 ⇔ (1 + 2α²) e^{α²} = n.
        foreach (double n in new[] { 1.5, 2, 100, 4096, 1e9 })
        {
            double alpha = ExpectedAttentionScale.Optimal(ScoreDistribution.StandardNormal, n);
            Assert.Equal(Math.Log(n), Math.Log(1 + 2 * alpha * alpha) + alpha * alpha, 1e-11 * Math.Log(n) + 1e-12);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Laws))]
    public void Optimum_GrowsWithN(string name)
    {
        ScoreDistribution law = Law(name);
        double previous = 0;
        for (double n = 1.25; n < 1e9; n *= 1.5)
        {
            double alpha = ExpectedAttentionScale.Optimal(law, n);
            Assert.True(alpha > previous, $"{name}: α*({n}) = {alpha} <= {previous}");
            previous = alpha;
        }
    }

    [SkippableFact]
    public void ArticleFigures_HoldLoosely()
    {
        foreach (double n in new[] { 512.0, 1024, 2048, 4096, 8192, 16384 })
        {
            double normal = ExpectedAttentionScale.Optimal(ScoreDistribution.StandardNormal, n);
            double cosine = ExpectedAttentionScale.Optimal(ScoreDistribution.Cosine(128), n);
            output.WriteLine($"n {n}: normal α* {normal:F4} = {normal / Math.Sqrt(Math.Log(n)):F3} sqrt(ln n); cosine d=128 α* {cosine:F3} = {cosine / Math.Log(n):F3} ln n");
            Assert.InRange(normal / Math.Sqrt(Math.Log(n)), 0.84 * 0.85, 0.84 * 1.15); // "α* ≈ 0.84 sqrt(log n)"
            Assert.InRange(normal, 2, 3);                                                  // "about 2-3 over typical n"
            Assert.InRange(cosine / Math.Log(n), 3.5 * 0.8, 3.5 * 1.2);                    // "≈ 3.5 log n at d = 128"
            Assert.InRange(cosine, 20, 40);                                                // "about 25-35"
        }
    }

    /// <summary>Constant scores: Σ p² = 1/n exactly, so F = α (1 − 1/n) has no finite maximum.</summary>
    private sealed class ConstantScores : ScoreDistribution
    {
        public override double LogMomentGenerating(double alpha) => alpha * 0.5;

        public override double TiltedMean(double alpha) => 0.5;
    }

    private sealed class BrokenScores : ScoreDistribution
    {
        public override double LogMomentGenerating(double alpha) => double.NaN;

        public override double TiltedMean(double alpha) => double.NaN;
    }

    [SkippableFact]
    public void Optimum_OfADegenerateLawIsUnbounded_AndABrokenLawIsRefused()
    {
        Assert.Equal(double.PositiveInfinity, ExpectedAttentionScale.Optimal(new ConstantScores(), 100));
        Assert.Throws<ArithmeticException>(() => ExpectedAttentionScale.Optimal(new BrokenScores(), 100));
    }

    [SkippableFact]
    public void ForDecoder_IsTheOptimumAtHalfTheMaximumLength()
    {
        foreach (int length in new[] { 3, 512, 4096, 131072 })
        {
            Assert.Equal(ExpectedAttentionScale.Optimal(ScoreDistribution.StandardNormal, length / 2.0), ExpectedAttentionScale.ForDecoder(ScoreDistribution.StandardNormal, length));
            Assert.Equal(ExpectedAttentionScale.Optimal(ScoreDistribution.Cosine(128), length / 2.0), ExpectedAttentionScale.ForDecoder(ScoreDistribution.Cosine(128), length));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => ExpectedAttentionScale.ForDecoder(ScoreDistribution.StandardNormal, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => ExpectedAttentionScale.Optimal(ScoreDistribution.StandardNormal, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ScoreDistribution.Cosine(1));
    }
}
