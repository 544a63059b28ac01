namespace BytePiece.LmTools.Attention;

/// <summary>
/// The distribution-level form of <see cref="AttentionScale"/> (Su, kexue.fm 9812): for n i.i.d. scores
/// of a known law, Σ p_i² ≈ E[e^{2α s}] / (n E[e^{α s}]²), so the expected gradient size is
/// F(α) = α (1 − e^{L(2α) − 2L(α)} / n) with L = ln E[e^{α s}], computed in log space. Standard normal
/// scores give α (1 − e^{α²}/n) (optimum near 0.84 sqrt(ln n)); cosine scores in d = 128 near 3.5 ln n.
/// The optimum is the scale to multiply the scores by before the softmax.
/// </summary>
public static class ExpectedAttentionScale
{
    /// <summary>F(α) = α (1 − e^{L(2α) − 2L(α)} / n).</summary>
    /// <exception cref="ArgumentOutOfRangeException">n ≤ 1 or not finite, or α negative or not finite.</exception>
    public static double Objective(ScoreDistribution law, double alpha, double n)
    {
        ArgumentNullException.ThrowIfNull(law);
        CheckN(n);
        if (!(alpha >= 0) || double.IsInfinity(alpha)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be finite and >= 0");
        return alpha * -double.ExpM1(LogRatio(law, alpha, Math.Log(n)));
    }

    /// <summary>
    /// dF/dα = 1 − R − 2αR (m(2α) − m(α)), R = e^{L(2α) − 2L(α)} / n, m the law's tilted mean.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">As <see cref="Objective"/>.</exception>
    public static double ObjectiveDerivative(ScoreDistribution law, double alpha, double n)
    {
        ArgumentNullException.ThrowIfNull(law);
        CheckN(n);
        if (!(alpha >= 0) || double.IsInfinity(alpha)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be finite and >= 0");
        return Slope(law, alpha, Math.Log(n));
    }

    /// <summary>
    /// The α maximizing F for n scores, to 1e-10 relative (n need not be an integer). F' starts at
    /// 1 − 1/n &gt; 0 and is negative once R ≥ 1 (R grows with α: L is convex), so doubling α until R ≥ 1
    /// brackets the optimum and bisection on F' finds it. Grows with n. +infinity for a law whose R stays
    /// below 1 (a degenerate one, such as constant scores: F grows without bound, like a tied maximum in
    /// <see cref="AttentionScale.Maximize"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">n ≤ 1 or not finite.</exception>
    /// <exception cref="ArithmeticException">The law's <see cref="ScoreDistribution.LogMomentRatio"/> is NaN.</exception>
    public static double Optimal(ScoreDistribution law, double n)
    {
        ArgumentNullException.ThrowIfNull(law);
        CheckN(n);
        double logN = Math.Log(n);
        double lo = 0, hi = 1;
        while (true)
        {
            double logRatio = LogRatio(law, hi, logN);
            if (double.IsNaN(logRatio)) throw new ArithmeticException($"{law}: the log moment ratio is NaN at α = {hi}");
            if (logRatio >= 0) break;
            hi *= 2; // R < 1 does not make F' positive: lo stays 0
            if (hi > 1e300) return double.PositiveInfinity; // Σ p² never reaches 1/n (e.g. constant scores): F grows without bound
        }
        while (hi - lo > 1e-13 * hi)
        {
            double mid = 0.5 * (lo + hi);
            double slope = Slope(law, mid, logN);
            if (slope == 0) return mid;
            if (slope > 0) lo = mid;
            else hi = mid;
        }
        return 0.5 * (lo + hi);
    }

    /// <summary>
    /// The single constant a decoder uses, as the article suggests: the optimum at n = L_max / 2, the
    /// average number of keys a query sees when trained on sequences of <paramref name="maxLength"/> tokens.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> &lt; 3 (n = L/2 must exceed 1).</exception>
    public static double ForDecoder(ScoreDistribution law, int maxLength)
    {
        if (maxLength < 3) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "the maximum length must be at least 3");
        return Optimal(law, maxLength / 2.0);
    }

    /// <summary>ln R = L(2α) − 2L(α) − ln n.</summary>
    private static double LogRatio(ScoreDistribution law, double alpha, double logN)
        => law.LogMomentRatio(alpha) - logN;

    private static double Slope(ScoreDistribution law, double alpha, double logN)
    {
        double r = Math.Exp(LogRatio(law, alpha, logN));
        return 1 - r - 2 * alpha * r * law.TiltedMeanIncrease(alpha);
    }

    private static void CheckN(double n)
    {
        if (!(n > 1) || double.IsInfinity(n)) throw new ArgumentOutOfRangeException(nameof(n), n, "the number of scores must be finite and > 1");
    }
}
