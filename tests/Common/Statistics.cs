namespace BytePiece.Testing;

/// <summary>Pearson's chi-square goodness-of-fit test, with its p-value from the regularized upper incomplete gamma function.</summary>
internal static class Statistics
{
    /// <summary>
    /// The p-value of observed counts against expected probabilities. Cells expected to hold fewer
    /// than 5 draws are pooled (and the pool, if still below 5, joins the smallest other cell).
    /// </summary>
    public static (double PValue, double ChiSquare, int DegreesOfFreedom) ChiSquare(IReadOnlyList<(double Probability, long Observed)> cells, long draws)
    {
        var kept = new List<(double Expected, long Observed)>();
        double pooledExpected = 0;
        long pooledObserved = 0;
        foreach (var (p, o) in cells)
        {
            double expected = p * draws;
            if (expected < 5) { pooledExpected += expected; pooledObserved += o; }
            else kept.Add((expected, o));
        }
        if (pooledExpected > 0 || pooledObserved > 0)
        {
            if (pooledExpected >= 5 || kept.Count == 0) kept.Add((pooledExpected, pooledObserved));
            else
            {
                int smallest = kept.IndexOf(kept.MinBy(c => c.Expected));
                kept[smallest] = (kept[smallest].Expected + pooledExpected, kept[smallest].Observed + pooledObserved);
            }
        }
        double chi = kept.Sum(c => (c.Observed - c.Expected) * (c.Observed - c.Expected) / c.Expected);
        int df = kept.Count - 1;
        return (df <= 0 ? 1.0 : UpperRegularizedGamma(df / 2.0, chi / 2.0), chi, df);
    }

    /// <summary>Q(a, x) = Gamma(a, x) / Gamma(a): series below a + 1, Lentz's continued fraction above.</summary>
    public static double UpperRegularizedGamma(double a, double x)
    {
        if (x <= 0) return 1;
        double logPrefix = a * Math.Log(x) - x - LogGamma(a);
        if (x < a + 1)
        {
            double term = 1 / a, sum = term;
            for (int n = 1; n < 10_000 && Math.Abs(term) > Math.Abs(sum) * 1e-16; n++)
            {
                term *= x / (a + n);
                sum += term;
            }
            return Math.Max(0, 1 - sum * Math.Exp(logPrefix));
        }
        const double tiny = 1e-300;
        double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
        for (int i = 1; i < 10_000; i++)
        {
            double an = -i * (i - a);
            b += 2;
            d = an * d + b;
            if (Math.Abs(d) < tiny) d = tiny;
            c = b + an / c;
            if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            double delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        return Math.Exp(logPrefix) * h;
    }

    /// <summary>ln Gamma(x) for x &gt; 0 (Lanczos, g = 7, n = 9).</summary>
    public static double LogGamma(double x)
    {
        double[] c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
        if (x < 0.5) return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x);
        x -= 1;
        double sum = c[0];
        for (int i = 1; i < 9; i++) sum += c[i] / (x + i);
        double t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }
}
