namespace BytePiece.LmTools.Losses;

/// <summary>
/// Su's smooth top-k (kexue 10373, "ThreTopK"): ST_k(x)_i = f(x_i − λ) with λ solving Σ_i f(x_i − λ) = k,
/// for an increasing S-shaped f with f(−∞) = 0, f(+∞) = 1. Entries lie in [0, 1], sum to k, and k = 1 with
/// <see cref="Shape.Exponential"/> is softmax. The Jacobian follows from the implicit function theorem.
/// </summary>
public static class ThreTopK
{
    /// <summary>The choice of f.</summary>
    public enum Shape
    {
        /// <summary>f(x) = min(1, e^x): saturated entries are exactly 1.</summary>
        Exponential,

        /// <summary>f(x) = 1 − e^(−x)/2 for x ≥ 0, e^x/2 for x &lt; 0: smooth everywhere.</summary>
        Smooth,
    }

    /// <summary>Writes ST_k(x) into <paramref name="output"/> and returns λ.</summary>
    public static double Compute(ReadOnlySpan<double> x, int k, Shape shape, Span<double> output)
    {
        int n = x.Length;
        int maxK = shape == Shape.Exponential ? n : n - 1; // the smooth f never reaches 1, so it cannot sum to n
        if (k < 1 || k > maxK) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in [1, {maxK}] for {shape}");
        double[] sorted = x.ToArray();
        Array.Sort(sorted, (a, b) => b.CompareTo(a));
        double lambda = double.NaN;
        int limit = shape == Shape.Exponential ? k : n;
        for (int m = 0; m < limit; m++)
        {
            double candidate;
            if (shape == Shape.Exponential)
            {
                candidate = LogSumExp(sorted.AsSpan(m)) - Math.Log(k - m);
            }
            else
            {
                double s1 = 0, s2 = 0;
                for (int i = 0; i < m; i++) s1 += Math.Exp(-sorted[i]);
                for (int i = m; i < n; i++) s2 += Math.Exp(sorted[i]);
                candidate = Math.Log(s2) - Math.Log(Math.Sqrt((double)(k - m) * (k - m) + s1 * s2) + (k - m));
            }
            double above = m == 0 ? double.PositiveInfinity : sorted[m - 1];
            double slack = 1e-12 * (1 + Math.Abs(candidate)); // the closed forms round; the bracket must not
            if (above >= candidate - slack && candidate >= sorted[m] - slack)
            {
                lambda = candidate;
                break;
            }
        }
        if (double.IsNaN(lambda)) throw new ArithmeticException("no threshold satisfies the top-k equation (non-finite input?)");
        for (int i = 0; i < n; i++) output[i] = F(x[i] - lambda, shape);
        return lambda;
    }

    /// <summary>The Jacobian ∂ST_i/∂x_j = f'(x_i − λ)(δ_ij − f'(x_j − λ)/Σ_l f'(x_l − λ)), row-major [n × n].</summary>
    public static void Jacobian(ReadOnlySpan<double> x, int k, Shape shape, Span<double> jacobian)
    {
        int n = x.Length;
        if (jacobian.Length != n * n) throw new ArgumentException($"jacobian must be [{n} x {n}]", nameof(jacobian));
        Span<double> st = n <= 256 ? stackalloc double[n] : new double[n];
        double lambda = Compute(x, k, shape, st);
        Span<double> slope = n <= 256 ? stackalloc double[n] : new double[n];
        double total = 0;
        for (int i = 0; i < n; i++) total += slope[i] = Derivative(x[i] - lambda, shape);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                jacobian[i * n + j] = total == 0 ? 0 : slope[i] * ((i == j ? 1 : 0) - slope[j] / total);
    }

    private static double F(double x, Shape shape) => shape == Shape.Exponential
        ? Math.Min(1, Math.Exp(x))
        : x >= 0 ? 1 - Math.Exp(-x) / 2 : Math.Exp(x) / 2;

    private static double Derivative(double x, Shape shape) => shape == Shape.Exponential
        ? (x < 0 ? Math.Exp(x) : 0)
        : x >= 0 ? Math.Exp(-x) / 2 : Math.Exp(x) / 2;

    private static double LogSumExp(ReadOnlySpan<double> values)
    {
        double max = double.NegativeInfinity;
        foreach (double v in values) max = Math.Max(max, v);
        double sum = 0;
        foreach (double v in values) sum += Math.Exp(v - max);
        return max + Math.Log(sum);
    }
}
