namespace BytePiece.LmTools.Attention;

/// <summary>
/// Cosine scores in dimension d: s = cos(q, k) for independent uniform directions, density proportional to
/// (1 − s²)^((d−3)/2) on [−1, 1]. E[e^{α s}] = Γ(ν+1) (2/α)^ν I_ν(α) with ν = d/2 − 1 (I: the modified
/// Bessel function), and the tilted mean is I_{ν+1}(α) / I_ν(α). Computed in log space, without overflow
/// for any α and d: by the power series Σ_k (α/2)^{2k} Γ(ν+1) / (k! Γ(k+ν+1)) (all terms positive, summed
/// outward from its largest term, so O(sqrt α) terms), or, once α ≥ 50 + 25 ν², by Hankel's large-argument
/// expansion I_ν(x) = e^x / sqrt(2πx) · S_ν(x), whose terms then shrink by a factor 30 or more. There the
/// growing parts cancel analytically in <see cref="LogMomentRatio"/> and <see cref="TiltedMeanIncrease"/>,
/// which stay accurate at any α (n of 10^9 in d = 2 puts the optimum near 10^17).
/// </summary>
public sealed class CosineScores : ScoreDistribution
{
    private readonly double _nu;
    private readonly double _logGammaNuPlusOne;

    /// <summary>The law for dimension <paramref name="dimension"/> (d ≥ 2).</summary>
    public CosineScores(int dimension)
    {
        if (dimension < 2) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "the dimension must be at least 2");
        Dimension = dimension;
        _nu = dimension / 2.0 - 1;
        _logGammaNuPlusOne = LogGamma.Of(_nu + 1);
    }

    /// <summary>d.</summary>
    public int Dimension { get; }

    /// <inheritdoc/>
    public override double LogMomentGenerating(double alpha)
    {
        double x = Argument(alpha); // the law is symmetric
        if (x == 0) return 0;
        if (!IsLarge(x)) return Series(x).LogMgf;
        return _logGammaNuPlusOne + _nu * Math.Log(2 / x) + x - 0.5 * Math.Log(2 * Math.PI * x) + Math.Log(Hankel(x).S);
    }

    /// <inheritdoc/>
    public override double TiltedMean(double alpha)
    {
        double x = Argument(alpha);
        if (x == 0) return 0;
        if (!IsLarge(x)) return Math.Sign(alpha) * Series(x).Ratio;
        var h = Hankel(x);
        return Math.Sign(alpha) * h.SNext / h.S;
    }

    /// <inheritdoc/>
    public override double LogMomentRatio(double alpha)
    {
        double x = Argument(alpha);
        if (!IsLarge(x)) return base.LogMomentRatio(alpha);
        // L(2x) − 2L(x) with the e^x and most powers of x cancelled by hand.
        return -_logGammaNuPlusOne + _nu * (Math.Log(x) - 2 * Math.Log(2)) + 0.5 * Math.Log(Math.PI * x)
            + Math.Log(Hankel(2 * x).S) - 2 * Math.Log(Hankel(x).S);
    }

    /// <inheritdoc/>
    public override double TiltedMeanIncrease(double alpha)
    {
        double x = Argument(alpha);
        if (!IsLarge(x)) return base.TiltedMeanIncrease(alpha);
        // (1 − m(x)) − (1 − m(2x)), each 1 − m = (S_ν − S_{ν+1}) / S_ν summed term by term.
        var one = Hankel(x);
        var two = Hankel(2 * x);
        return Math.Sign(alpha) * (one.Gap / one.S - two.Gap / two.S);
    }

    /// <inheritdoc/>
    public override string ToString() => $"cosine scores, d = {Dimension}";

    private static double Argument(double alpha)
        => double.IsFinite(alpha) ? Math.Abs(alpha) : throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be finite");

    private bool IsLarge(double x) => x >= 50 + 25 * _nu * _nu;

    /// <summary>
    /// ln Σ_k u_k with u_k = (x/2)^{2k} Γ(ν+1) / (k! Γ(k+ν+1)) = E[e^{x s}], and the same sum weighted by
    /// (x/2)/(k+ν+1) (the series of I_{ν+1} over that of I_ν) divided by it. Summed from the largest term
    /// (where (k+1)(k+ν+1) ≈ x²/4) up and down until a term falls below 1e-18 of the sum.
    /// </summary>
    private (double LogMgf, double Ratio) Series(double x)
    {
        double nu = _nu, half = x / 2, q = half * half;
        double peak = Math.Max(0, Math.Round((Math.Sqrt(nu * nu + x * x) - (nu + 2)) / 2));
        double logPeak = peak == 0 ? 0 : 2 * peak * Math.Log(half) + _logGammaNuPlusOne - LogGamma.Of(peak + 1) - LogGamma.Of(peak + nu + 1);
        double sum = 1, weighted = half / (peak + nu + 1);
        double term = 1;
        for (double k = peak; ; k++)
        {
            term *= q / ((k + 1) * (k + nu + 1)); // u_{k+1} / u_k
            if (term < 1e-18 * sum) break;
            sum += term;
            weighted += term * half / (k + nu + 2);
        }
        term = 1;
        for (double k = peak; k > 0; k--)
        {
            term *= k * (k + nu) / q; // u_{k−1} / u_k
            sum += term;
            weighted += term * half / (k + nu);
            if (term < 1e-18 * sum) break;
        }
        return (logPeak + Math.Log(sum), weighted / sum);
    }

    /// <summary>
    /// Hankel's sums S_μ(x) = Σ_k (−1)^k Π_{j≤k}(4μ² − (2j−1)²) / (k! (8x)^k) for μ = ν and ν + 1, and their
    /// difference S_ν − S_{ν+1} summed term by term (its first terms cancel exactly), while terms shrink.
    /// </summary>
    private (double S, double SNext, double Gap) Hankel(double x)
    {
        double mu0 = 4 * _nu * _nu, mu1 = 4 * (_nu + 1) * (_nu + 1);
        double t0 = 1, t1 = 1, s0 = 1, s1 = 1, gap = 0;
        for (int k = 1; k < 200; k++)
        {
            double c = (2.0 * k - 1) * (2.0 * k - 1), scale = 8.0 * k * x;
            double n0 = -t0 * (mu0 - c) / scale, n1 = -t1 * (mu1 - c) / scale;
            if ((t0 != 0 && Math.Abs(n0) >= Math.Abs(t0)) || (t1 != 0 && Math.Abs(n1) >= Math.Abs(t1))) break; // the asymptotic series turns
            s0 += n0;
            s1 += n1;
            gap += n0 - n1;
            (t0, t1) = (n0, n1);
            if (Math.Abs(n0) < 1e-18 * s0 && Math.Abs(n1) < 1e-18 * s1) break;
        }
        return (s0, s1, gap);
    }
}
