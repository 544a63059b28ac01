using System.Buffers;
using BytePiece.LmTools.Losses;

namespace BytePiece.LmTools.Attention;

/// <summary>
/// Su's gradient-maximizing attention scale for one score vector (kexue.fm 9812): with p = softmax(α s),
/// the softmax Jacobian ∂p_i/∂s_j = α (p_i δ_ij − p_i p_j) has halved entry-wise L1 size
/// G(α; s) = α (1 − Σ p_i²). G vanishes as α → 0 and, when the largest score is unique, as α → ∞; the α
/// that maximizes it keeps attention most trainable. For the scale a model should use, see
/// <see cref="ExpectedAttentionScale"/>. Arithmetic in double; Σ p_i² is never formed as 1 minus a
/// near-1 number, so G stays accurate when p is nearly one-hot.
/// </summary>
public static class AttentionScale
{
    /// <summary>G(α; s) = α (1 − Σ p_i²), p = softmax(α s).</summary>
    /// <exception cref="ArgumentException">Fewer than 2 scores, a non-finite score, or α negative or not finite.</exception>
    public static double GradientSize(double alpha, ReadOnlySpan<double> scores)
    {
        Check(alpha, scores);
        return alpha * Moments(alpha, scores).Spread;
    }

    /// <summary>
    /// dG/dα = (1 − Σ p_i²) − 2α Σ p_i² (s_i − s̄), s̄ = Σ p_i s_i (from ∂p_i/∂α = p_i (s_i − s̄)).
    /// </summary>
    /// <exception cref="ArgumentException">As <see cref="GradientSize"/>.</exception>
    public static double GradientSizeDerivative(double alpha, ReadOnlySpan<double> scores)
    {
        Check(alpha, scores);
        var (spread, tilt) = Moments(alpha, scores);
        return spread - 2 * alpha * tilt;
    }

    /// <summary>
    /// The α &gt; 0 that maximizes G for these scores, to 1e-10 relative: a log-spaced scan (32 points per
    /// decade) from 0.01 / (max − min) to (10 + 2 ln n) / gap (gap: the largest score minus the next distinct
    /// one; beyond it G only decays) brackets the best sampled point, then bisection on the exact dG/dα
    /// (golden section on G if the bracket's end slopes do not change sign). Invariant to shifting the
    /// scores; scaling them by c divides α by c. When the largest score is tied (or all are equal), G grows
    /// without bound (Σ p_i² tends to 1/ties) and the result is +infinity.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than 2 scores or a non-finite score.</exception>
    public static double Maximize(ReadOnlySpan<double> scores)
    {
        Check(0, scores);
        double max = double.NegativeInfinity, min = double.PositiveInfinity;
        foreach (double s in scores)
        {
            max = Math.Max(max, s);
            min = Math.Min(min, s);
        }
        int ties = 0;
        double second = double.NegativeInfinity;
        foreach (double s in scores)
        {
            if (s == max) ties++;
            else second = Math.Max(second, s);
        }
        if (ties > 1) return double.PositiveInfinity;
        double lo = 0.01 / (max - min), hi = (10 + 2 * Math.Log(scores.Length)) / (max - second);
        const int PerDecade = 32;
        double step = Math.Pow(10, 1.0 / PerDecade);
        // Scan: remember the best sampled α and its neighbours; extend upward while G still rises at the end.
        double previous = lo, best = lo, bestValue = GradientSize(lo, scores), before = lo, after = lo * step;
        for (double alpha = lo * step; ; alpha *= step)
        {
            double value = GradientSize(alpha, scores);
            if (value > bestValue)
            {
                (best, bestValue, before, after) = (alpha, value, previous, alpha * step);
            }
            previous = alpha;
            if (alpha >= hi && alpha > best * step * step) break;
        }
        if (GradientSizeDerivative(before, scores) > 0 && GradientSizeDerivative(after, scores) < 0)
            return Bisect(before, after, scores);
        return GoldenSection(before, after, scores);
    }

    /// <summary>Bisection on dG/dα between a rising and a falling end.</summary>
    private static double Bisect(double a, double b, ReadOnlySpan<double> scores)
    {
        while (b - a > 1e-13 * b)
        {
            double mid = 0.5 * (a + b);
            double slope = GradientSizeDerivative(mid, scores);
            if (slope == 0) return mid;
            if (slope > 0) a = mid;
            else b = mid;
        }
        return 0.5 * (a + b);
    }

    private static double GoldenSection(double a, double b, ReadOnlySpan<double> scores)
    {
        double ratio = (Math.Sqrt(5) - 1) / 2;
        double c = b - ratio * (b - a), d = a + ratio * (b - a);
        double gc = GradientSize(c, scores), gd = GradientSize(d, scores);
        while (b - a > 1e-13 * b)
        {
            if (gc >= gd) { b = d; d = c; gd = gc; c = b - ratio * (b - a); gc = GradientSize(c, scores); }
            else { a = c; c = d; gc = gd; d = a + ratio * (b - a); gd = GradientSize(d, scores); }
        }
        return 0.5 * (a + b);
    }

    /// <summary>
    /// (1 − Σ p_i², Σ p_i² (s_i − s̄)) for p = softmax(α s). 1 − Σ p_i² is summed as Σ p_i (1 − p_i) with
    /// 1 − p_max taken from the other terms, and s_i − s̄ from scores shifted by the maximum, so neither
    /// cancels when p is nearly one-hot.
    /// </summary>
    private static (double Spread, double Tilt) Moments(double alpha, ReadOnlySpan<double> scores)
    {
        int n = scores.Length;
        double[] rented = ArrayPool<double>.Shared.Rent(2 * n);
        Span<double> logits = rented.AsSpan(0, n), p = rented.AsSpan(n, n);
        int top = 0;
        for (int i = 1; i < n; i++) if (scores[i] > scores[top]) top = i;
        for (int i = 0; i < n; i++) logits[i] = alpha * (scores[i] - scores[top]); // <= 0: no overflow at large α
        Softmax.Compute<double>(logits, p);
        double othersMass = 0, shiftedMean = 0; // Σ_{i≠top} p_i, Σ p_i (s_i − s_top)
        for (int i = 0; i < n; i++)
        {
            if (i == top) continue;
            othersMass += p[i];
            shiftedMean += p[i] * (scores[i] - scores[top]);
        }
        double spread = p[top] * othersMass, tilt = p[top] * p[top] * -shiftedMean;
        for (int i = 0; i < n; i++)
        {
            if (i == top) continue;
            spread += p[i] * (1 - p[i]);
            tilt += p[i] * p[i] * (scores[i] - scores[top] - shiftedMean);
        }
        ArrayPool<double>.Shared.Return(rented);
        return (spread, tilt);
    }

    private static void Check(double alpha, ReadOnlySpan<double> scores)
    {
        if (scores.Length < 2) throw new ArgumentException($"at least 2 scores are needed, got {scores.Length}", nameof(scores));
        foreach (double s in scores) if (!double.IsFinite(s)) throw new ArgumentException("scores must be finite", nameof(scores));
        if (!(alpha >= 0) || double.IsInfinity(alpha)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be finite and >= 0");
    }
}
