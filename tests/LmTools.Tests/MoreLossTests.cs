using BytePiece.LmTools.Losses;
using Xunit;

namespace BytePiece.LmTools.Tests;

/// <summary>Smooth accuracy, focal loss, EMO's ratio clamp and ThreTopK against the reference and their definitions.</summary>
public class MoreLossTests
{
    private static readonly double[] Z = [2.0, 1.0, 0.1, -1.0, 0.5];

    private static void Close(double expected, double actual, double tolerance = 1e-9)
        => Assert.True(Math.Abs(expected - actual) <= tolerance, $"expected {expected:R}, got {actual:R}");

    private static void Close(double[] expected, ReadOnlySpan<double> actual, double tolerance = 1e-9)
    {
        for (int i = 0; i < expected.Length; i++) Close(expected[i], actual[i], tolerance);
    }

    private static double[] FiniteDifferences(double[] z, Func<double[], double> f, double h = 1e-6)
        => Enumerable.Range(0, z.Length).Select(i =>
        {
            double[] plus = [.. z], minus = [.. z];
            plus[i] += h;
            minus[i] -= h;
            return (f(plus) - f(minus)) / (2 * h);
        }).ToArray();

    [SkippableFact]
    public void SmoothAccuracy_And_Focal_MatchTheReference_AndFiniteDifferences()
    {
        var g = new double[5];
        Close(0.7945226913, TokenLosses.SmoothAccuracy<double>(Z, 1, g));
        Close([0.1147683716, -0.1632563843, 0.0171657469, 0.0057139808, 0.0256082851], g);
        Close(0.9989282218, TokenLosses.Focal<double>(Z, 1, g, 2));
        Close([0.6411800664, -0.9120695704, 0.0959004172, 0.0319224758, 0.1430666109], g);
        var random = new Random(3);
        for (int trial = 0; trial < 50; trial++)
        {
            double[] z = Enumerable.Range(0, 7).Select(_ => random.NextDouble() * 8 - 4).ToArray();
            int t = random.Next(7);
            double gamma = random.NextDouble() * 3;
            var grad = new double[7];
            TokenLosses.Focal<double>(z, t, grad, gamma);
            Close(FiniteDifferences(z, v => TokenLosses.Focal<double>(v, t, new double[7], gamma)), grad, 1e-6);
            TokenLosses.SmoothAccuracy<double>(z, t, grad);
            Close(FiniteDifferences(z, v => TokenLosses.SmoothAccuracy<double>(v, t, new double[7])), grad, 1e-6);
            Close(0, grad.Sum(), 1e-12);
        }
    }

    [SkippableFact]
    public void EmoRatioClamp_BoundsTheEmdWeight()
    {
        double[] e = TokenLosses.NormalizeRows([1, 0, 0, 0.8, 0.6, 0, 0, 1, 0, 0, 0, 2, 1, 1, 1], 3);
        var free = new double[5];
        var clamped = new double[5];
        TokenLosses.Emo<double>(Z, 1, e, 3, free, TokenLosses.EmoMode.MleEmphasized);
        TokenLosses.Emo<double>(Z, 1, e, 3, clamped, TokenLosses.EmoMode.MleEmphasized, ratioClamp: 3);
        var pure = new double[5];
        var ce = new double[5];
        TokenLosses.Emo<double>(Z, 1, e, 3, pure);
        TokenLosses.CrossEntropy<double>(Z, 1, ce);
        Close(ce.Zip(pure, (a, b) => 0.5 * a + 0.5 * 3 * b).ToArray(), clamped); // CE/EMD = 8.04 > 3
        Assert.NotEqual(free[0], clamped[0]);
    }

    private static readonly double[] X = [3.0, 2.9, 1.0, 0.5, -1.0];

    [SkippableTheory]
    [InlineData(1, 3.7610737085, new[] { 0.4671645591, 0.4227079734, 0.0632238479, 0.0383472022, 0.0085564174 })]
    [InlineData(2, 3.0679265279, new[] { 0.9343291182, 0.8454159469, 0.1264476958, 0.0766944044, 0.0171128347 })]
    [InlineData(3, 1.5549569196, new[] { 1, 1, 0.5740969930, 0.3482074279, 0.0776955791 })]
    public void ThreTopK_Exponential_MatchesTheReference(int k, double lambda, double[] expected)
    {
        var st = new double[5];
        Close(lambda, ThreTopK.Compute(X, k, ThreTopK.Shape.Exponential, st));
        Close(expected, st);
        Close(k, st.Sum(), 1e-12);
    }

    [SkippableFact]
    public void ThreTopK_Smooth_AndJacobian_MatchTheReference()
    {
        var st = new double[5];
        Close(1.9052801298, ThreTopK.Compute(X, 2, ThreTopK.Shape.Smooth, st));
        Close([0.8326833327, 0.8150864852, 0.2022142884, 0.1226491657, 0.0273667280], st);
        var softmax = new double[5];
        ThreTopK.Compute(X, 1, ThreTopK.Shape.Exponential, softmax);
        Softmax.Compute<double>(X, st);
        Close(st, softmax, 1e-12);
        var jacobian = new double[25];
        ThreTopK.Jacobian(X, 2, ThreTopK.Shape.Exponential, jacobian);
        Close([-0.0590718821, -0.0534504493, 0.1184531860, -0.0048489154, -0.0010819393], jacobian.AsSpan(10, 5));
    }

    [SkippableFact]
    public void ThreTopK_SumsToK_StaysInUnitRange_IsMonotone_AndItsJacobianIsTheFiniteDifference()
    {
        var random = new Random(11);
        foreach (var shape in new[] { ThreTopK.Shape.Exponential, ThreTopK.Shape.Smooth })
            for (int trial = 0; trial < 100; trial++)
            {
                int n = random.Next(2, 9), k = random.Next(1, shape == ThreTopK.Shape.Smooth ? n : n + 1);
                double[] x = Enumerable.Range(0, n).Select(_ => random.NextDouble() * 10 - 5).ToArray();
                var st = new double[n];
                ThreTopK.Compute(x, k, shape, st);
                Close(k, st.Sum(), 1e-9);
                Assert.All(st, v => Assert.InRange(v, 0, 1));
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++)
                        if (x[i] > x[j]) Assert.True(st[i] >= st[j]);
                var jacobian = new double[n * n];
                ThreTopK.Jacobian(x, k, shape, jacobian);
                for (int i = 0; i < n; i++)
                {
                    int row = i;
                    double[] fd = FiniteDifferences(x, v => { var o = new double[n]; ThreTopK.Compute(v, k, shape, o); return o[row]; });
                    Close(fd, jacobian.AsSpan(i * n, n), 1e-5);
                }
            }
    }
}
