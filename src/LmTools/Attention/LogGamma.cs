namespace BytePiece.LmTools.Attention;

/// <summary>ln Γ(x) for x &gt; 0 (.NET has none): shifted up to x ≥ 15, then Stirling's series to x^-13 (error below 1e-17 there).</summary>
internal static class LogGamma
{
    private static readonly double HalfLogTwoPi = 0.5 * Math.Log(2 * Math.PI);

    public static double Of(double x)
    {
        if (!(x > 0)) throw new ArgumentOutOfRangeException(nameof(x), x, "ln Γ is computed for x > 0");
        double shift = 0;
        while (x < 15)
        {
            shift -= Math.Log(x); // Γ(x) = Γ(x + 1) / x
            x += 1;
        }
        double r = 1 / x, r2 = r * r;
        double series = r * (1.0 / 12 + r2 * (-1.0 / 360 + r2 * (1.0 / 1260 + r2 * (-1.0 / 1680 + r2 * (1.0 / 1188 + r2 * (-691.0 / 360360 + r2 / 156))))));
        return shift + (x - 0.5) * Math.Log(x) - x + HalfLogTwoPi + series;
    }
}
