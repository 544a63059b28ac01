namespace BytePiece;

/// <summary>
/// Forward and backward log partition functions of <c>P^alpha</c> over a lattice, and what follows from
/// them exactly: each occurrence's marginal probability and the distribution's Shannon entropy.
/// </summary>
internal static class ForwardBackward
{
    /// <summary>Forward (<c>log Z[0..e]</c>) and backward (<c>log Z[s..n]</c>) values.</summary>
    public static (double[] Forward, double[] Backward) Run(LatticeGraph g, double alpha)
    {
        int n = g.Length;
        double[] forward = Forward(g, alpha);
        var backward = new double[n + 1];
        backward.AsSpan(0, n).Fill(double.NegativeInfinity);
        for (int s = n - 1; s >= 0; s--)
            for (int k = g.First[s]; k < g.First[s + 1]; k++)
                backward[s] = Sampler.LogAddExp(backward[s], alpha * g.Score[k] + backward[g.End[k]]);
        return (forward, backward);
    }

    /// <summary>Forward values alone: <c>log Z[0..e]</c> for every position e (-infinity where no path ends).</summary>
    public static double[] Forward(LatticeGraph g, double alpha)
    {
        var forward = new double[g.Length + 1];
        forward.AsSpan(1).Fill(double.NegativeInfinity);
        for (int s = 0; s < g.Length; s++)
            for (int k = g.First[s]; k < g.First[s + 1]; k++)
                forward[g.End[k]] = Sampler.LogAddExp(forward[g.End[k]], forward[s] + alpha * g.Score[k]);
        return forward;
    }

    /// <summary>Probability of each edge under <c>P^alpha / Z</c>.</summary>
    public static double[] Marginals(LatticeGraph g, double alpha, double[] forward, double[] backward)
    {
        var marginals = new double[g.End.Length];
        double logZ = forward[g.Length];
        for (int s = 0; s < g.Length; s++)
            for (int k = g.First[s]; k < g.First[s + 1]; k++)
                marginals[k] = Math.Min(1, Math.Exp(forward[s] + alpha * g.Score[k] + backward[g.End[k]] - logZ)); // rounding at large alpha
        return marginals;
    }

    /// <summary>
    /// H = -sum p(w) ln p(w) with p(w) = exp(alpha S(w)) / Z, which is <c>ln Z - alpha E[S]</c>, and E[S] is
    /// the sum over edges of marginal times score: one forward-backward pass, no enumeration.
    /// </summary>
    public static double Entropy(LatticeGraph g, double alpha)
    {
        var (forward, backward) = Run(g, alpha);
        if (alpha == 0) return forward[g.Length];
        double[] marginals = Marginals(g, alpha, forward, backward);
        double expectedScore = 0;
        for (int k = 0; k < marginals.Length; k++) expectedScore += marginals[k] * g.Score[k];
        return Math.Max(0, forward[g.Length] - alpha * expectedScore);
    }
}
