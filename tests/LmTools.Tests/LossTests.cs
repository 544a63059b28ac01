using BytePiece.LmTools.Losses;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;
using Xunit;

namespace BytePiece.LmTools.Tests;

/// <summary>Losses against the reference vectors (float64) and finite differences of their closed forms.</summary>
public class LossTests
{
    private static readonly double[] Z = [2.0, 1.0, 0.1, -1.0, 0.5];
    private const int Target = 1;

    private static void Close(double[] expected, double[] actual, double tolerance = 1e-9)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
    }

    private static void Close(double expected, double actual, double tolerance = 1e-9)
        => Assert.True(Math.Abs(expected - actual) <= tolerance, $"expected {expected:R}, got {actual:R}");

    [SkippableFact]
    public void CrossEntropy_MatchesTheReference()
    {
        var g = new double[5];
        Close(1.5824196710, TokenLosses.CrossEntropy<double>(Z, Target, g));
        Close([0.5585452344, -0.7945226913, 0.0835408395, 0.0278083298, 0.1246282876], g);
    }

    public static TheoryData<double, double, double, double, double[]> TaiLrCases => new()
    {
        { 1e-7, 0, 0, 1.5824190592, [0.5585450185, -0.7945223841, 0.0835408072, 0.0278083190, 0.1246282394] },
        { 0.1, 0, 0, 1.1411638543, [0.4027955695, -0.5729709971, 0.0602455772, 0.0200540106, 0.0898758399] },
        { 0.5, 0, 0, 0.5394565836, [0.1904115005, -0.2708576647, 0.0284795852, 0.0094800304, 0.0424865486] },
        { 0.8, 0, 0, 0.3865807748, [0.1364510650, -0.1940997089, 0.0204087974, 0.0067934985, 0.0304463480] },
        { 0.8, 0.5, 0, 0.7912098355, [0.2792726172, -0.3972613456, 0.0417704197, 0.0139041649, 0.0623141438] },
        { 0.1, 0, 0.1, 1.2332894360, [0.3983705360, -0.5151261665, 0.0425751034, 0.0008294425, 0.0733510847] },
        { 1, 0, 0, 0.7945226913 * 0 + 0.2054773087 * 1.5824196710, [0.1147683716, -0.1632563843, 0.0171657469, 0.0057139808, 0.0256082851] },
    };

    [SkippableTheory]
    [MemberData(nameof(TaiLrCases))]
    public void TaiLr_MatchesTheReference(double gamma, double minWeight, double smoothing, double value, double[] gradient)
    {
        var g = new double[5];
        Close(value, TokenLosses.TaiLr<double>(Z, Target, g, gamma, minWeight, smoothing));
        Close(gradient, g);
    }

    [SkippableTheory]
    [InlineData(1e-7, 1.5824194426)]
    [InlineData(0.1, 1.3950146939)]
    [InlineData(0.5, 1.0125431705)]
    [InlineData(0.8, 0.8652505783)]
    public void TaiLrClosedForm_MatchesTheReference(double gamma, double value)
        => Close(value, TokenLosses.TaiLrClosedForm<double>(Z, Target, gamma));

    private static readonly double[] E = [1, 0, 0, 0.8, 0.6, 0, 0, 1, 0, 0, 0, 2, 1, 1, 1];

    [SkippableTheory]
    [InlineData(TokenLosses.EmoMode.Pure, 0.1968261545, new[] { 0.0017727363, -0.0404433085, 0.0169733136, 0.0223349232, -0.0006376645 })]
    [InlineData(TokenLosses.EmoMode.MleEmphasized, 1.5824196710, new[] { 0.2863987351, -0.5598370133, 0.1100004408, 0.1036870036, 0.0597508338 })]
    [InlineData(TokenLosses.EmoMode.EmoEmphasized, 0.3936523090, new[] { 0.0712462853, -0.1392684488, 0.0273643764, 0.0257938075, 0.0148639796 })]
    public void Emo_MatchesTheReference(TokenLosses.EmoMode mode, double value, double[] gradient)
    {
        var g = new double[5];
        Close(value, TokenLosses.Emo<double>(Z, Target, TokenLosses.NormalizeRows(E, 3), 3, g, mode));
        Close(gradient, g);
    }

    private static void CheckProperty<T>(Gen<T> gen, Func<T, bool> property)
    {
        var config = Config.QuickThrowOnFailure.WithMaxTest(300)
            .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(20261123, 0x9E3779B97F4A7C15UL), FSharpOption<int>.None)));
        Check.One(config, Prop.ForAll(Arb.From(gen), property));
    }

    private static Gen<(double[] Z, int T)> Row => from v in Gen.Choose(2, 12)
                                                   from z in Gen.ArrayOf(Gen.Choose(-800, 800).Select(x => x / 100.0), v)
                                                   from t in Gen.Choose(0, v - 1)
                                                   select (z, t);

    /// <summary>Central finite differences of a closed form.</summary>
    private static double[] FiniteDifferences(double[] z, Func<double[], double> f, double h = 1e-6)
    {
        var grad = new double[z.Length];
        for (int i = 0; i < z.Length; i++)
        {
            double[] plus = [.. z], minus = [.. z];
            plus[i] += h;
            minus[i] -= h;
            grad[i] = (f(plus) - f(minus)) / (2 * h);
        }
        return grad;
    }

    private static bool Near(double[] a, double[] b, double tol) => a.Zip(b).All(p => Math.Abs(p.First - p.Second) <= tol * (1 + Math.Abs(p.Second)));

    [SkippableFact]
    public void Gradients_EqualFiniteDifferencesOfTheClosedForms_SumToZero_AndIgnoreShifts()
    {
        var gen = from row in Row from gamma in Gen.Elements(0.0, 1e-7, 0.1, 0.5, 0.8) from eps in Gen.Elements(0.0, 0.1) select (row.Z, row.T, gamma, eps);
        CheckProperty(gen, x =>
        {
            var g = new double[x.Z.Length];
            TokenLosses.TaiLr<double>(x.Z, x.T, g, x.gamma, 0, x.eps);
            double Closed(double[] z)
            {
                double logZ = Math.Log(z.Sum(v => Math.Exp(v - z.Max()))) + z.Max();
                double smooth = z.Sum(v => logZ - v) / z.Length;
                return (1 - x.eps) * TokenLosses.TaiLrClosedForm<double>(z, x.T, x.gamma) + x.eps * smooth;
            }
            var fd = FiniteDifferences(x.Z, Closed);
            double[] shifted = x.Z.Select(v => v + 37.5).ToArray();
            var gs = new double[x.Z.Length];
            TokenLosses.TaiLr<double>(shifted, x.T, gs, x.gamma, 0, x.eps);
            bool ok = Near(g, fd, 1e-6) && Math.Abs(g.Sum()) < 1e-12 && Near(g, gs, 1e-9);
            if (!ok) throw new Xunit.Sdk.XunitException($"z=[{string.Join(",", x.Z)}] t={x.T} gamma={x.gamma} eps={x.eps} g=[{string.Join(",", g)}] fd=[{string.Join(",", fd)}] sum={g.Sum()} gs=[{string.Join(",", gs)}]");
            return ok;
        });
    }

    [SkippableFact]
    public void EmoGradient_EqualsFiniteDifferences_AndDegenerateEmbeddingsBehave()
    {
        var gen = from row in Row from d in Gen.Choose(1, 4) from e in Gen.ArrayOf(Gen.Choose(-100, 100).Select(x => x / 50.0 + 0.01), row.Z.Length * d) select (row.Z, row.T, d, e);
        CheckProperty(gen, x =>
        {
            double[] emb = TokenLosses.NormalizeRows(x.e, x.d);
            var g = new double[x.Z.Length];
            TokenLosses.Emo<double>(x.Z, x.T, emb, x.d, g);
            var fd = FiniteDifferences(x.Z, z => TokenLosses.Emo<double>(z, x.T, emb, x.d, new double[z.Length]));
            return Near(g, fd, 1e-6) && Math.Abs(g.Sum()) < 1e-12;
        });
        // Identical embeddings: EMD 0, zero gradient. Identity embeddings: EMD = 1 − p_t.
        var grad = new double[5];
        Close(0, TokenLosses.Emo<double>(Z, Target, TokenLosses.NormalizeRows(Enumerable.Repeat(1.0, 10).ToArray(), 2), 2, grad), 1e-12);
        Assert.All(grad, v => Assert.True(Math.Abs(v) < 1e-12));
        double[] identity = new double[25];
        for (int i = 0; i < 5; i++) identity[i * 5 + i] = 1;
        Close(0.7945226913, TokenLosses.Emo<double>(Z, Target, identity, 5, grad));
    }

    [SkippableFact]
    public void HugeLogits_StayFinite_InFloat32()
    {
        float[] z = [1000f, 999f, 998.5f, -1000f];
        var g = new float[4];
        double value = TokenLosses.CrossEntropy<float>(z, 1, g);
        Assert.True(double.IsFinite(value));
        Close(1.0 + Math.Log(1 + Math.Exp(-1) + Math.Exp(-1.5)), value, 1e-6);
        Assert.All(g, v => Assert.True(float.IsFinite(v)));
    }

    [SkippableFact]
    public void Batch_MeanIgnoresMaskedRows_AndScalesGradients()
    {
        double[] logits = [.. Z, .. Z, .. Z];
        int[] targets = [Target, BatchLoss.DefaultIgnoreIndex, 0];
        var g = new double[15];
        double mean = BatchLoss.Compute<double>(logits, targets, 5, g, (z, t, grad) => TokenLosses.CrossEntropy(z, t, grad));
        var g1 = new double[5];
        var g3 = new double[5];
        double ce1 = TokenLosses.CrossEntropy<double>(Z, Target, g1), ce3 = TokenLosses.CrossEntropy<double>(Z, 0, g3);
        Close((ce1 + ce3) / 2, mean);
        Close(g1.Select(v => v / 2).ToArray(), g[..5]);
        Assert.All(g[5..10], v => Assert.Equal(0, v));
        Close(g3.Select(v => v / 2).ToArray(), g[10..]);
        var perRow = new double[3];
        double sum = BatchLoss.Compute<double>(logits, targets, 5, g, (z, t, grad) => TokenLosses.CrossEntropy(z, t, grad), Reduction.None, perRow: perRow);
        Close(ce1 + ce3, sum);
        Close([ce1, 0, ce3], perRow);
        Assert.Equal(0, BatchLoss.Compute<double>(logits, [-100, -100, -100], 5, g, (z, t, grad) => TokenLosses.CrossEntropy(z, t, grad)));
    }

    [SkippableFact]
    public void TaiLr_GammaZeroIsCrossEntropy_AndTheWeightShrinksAsGammaGrows()
    {
        var random = new Random(5);
        for (int trial = 0; trial < 100; trial++)
        {
            double[] z = Enumerable.Range(0, 6).Select(_ => random.NextDouble() * 10 - 5).ToArray();
            int t = random.Next(6);
            var ce = new double[6];
            var tailr = new double[6];
            Assert.Equal(TokenLosses.CrossEntropy<double>(z, t, ce), TokenLosses.TaiLr<double>(z, t, tailr, 0));
            Assert.Equal(ce, tailr);
            double previous = double.PositiveInfinity;
            foreach (double gamma in new[] { 0.0, 1e-7, 0.1, 0.5, 0.8, 1.0 })
            {
                var g = new double[6];
                TokenLosses.TaiLr<double>(z, t, g, gamma);
                double weight = g[t] / ce[t]; // w = ∇_t / (p_t − 1)
                Assert.InRange(weight, 0, 1 + 1e-12);
                Assert.True(weight <= previous + 1e-12);
                previous = weight;
            }
        }
    }
}
