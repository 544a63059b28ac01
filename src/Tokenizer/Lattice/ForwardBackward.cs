namespace BytePiece.Lattice;

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

    /// <summary>Every edge of the lattice as a piece occurrence with its marginal probability under <c>P^alpha / Z</c>, ordered by start, then as the lattice orders them.</summary>
    public static List<PieceMarginal> PieceMarginals(LatticeGraph g, double alpha, Func<int, int> idOfPiece)
    {
        var (forward, backward) = Run(g, alpha);
        double[] p = Marginals(g, alpha, forward, backward);
        var result = new List<PieceMarginal>(p.Length);
        for (int s = 0; s < g.Length; s++)
            for (int k = g.First[s]; k < g.First[s + 1]; k++)
                result.Add(new PieceMarginal(s, g.End[k], idOfPiece(g.Piece[k]), p[k]));
        return result;
    }

    /// <summary>Probability of each edge under <c>P^alpha / Z</c>.</summary>
    public static double[] Marginals(LatticeGraph g, double alpha, double[] forward, double[] backward)
    {
        var marginals = new double[g.End.Length];
        double logZ = forward[g.Length];
        if (double.IsNegativeInfinity(logZ)) return marginals;  // no complete path: no edge lies on one (-inf - -inf is NaN)
        for (int s = 0; s < g.Length; s++)
            for (int k = g.First[s]; k < g.First[s + 1]; k++)
                marginals[k] = Math.Min(1, Math.Exp(forward[s] + alpha * g.Score[k] + backward[g.End[k]] - logZ)); // rounding at large alpha
        return marginals;
    }

    /// <summary>
    /// H = -sum p(w) ln p(w) with p(w) = exp(alpha S(w)) / Z, by the entropy recurrence over positions:
    /// H[e] = sum over edges s -> e of q (H[s] - ln q), q being the probability that a path to e ends with
    /// that edge. Each ln q is a difference of neighbouring forward values and the q of a position are
    /// renormalized to sum to 1 (forward values are large and carry their own rounding), so the error stays
    /// relative to H; <c>ln Z - alpha E[S]</c> subtracts two sums that grow with the text and lost about
    /// 1e-3 of the entropy of a 10 MB text.
    /// </summary>
    public static double Entropy(LatticeGraph g, double alpha)
    {
        double[] forward = Forward(g, alpha);
        // Per position: sum of q (H[s] - ln q), then sum of q, over the edges that end there.
        var entropy = new double[g.Length + 1];
        var mass = new double[g.Length + 1];
        for (int s = 0; s < g.Length; s++)
        {
            if (double.IsNegativeInfinity(forward[s])) continue;
            double h = s == 0 ? 0 : Settle(entropy[s], mass[s]);
            for (int k = g.First[s]; k < g.First[s + 1]; k++)
            {
                int e = g.End[k];
                double logQ = forward[s] + alpha * g.Score[k] - forward[e];
                double q = Math.Exp(logQ);
                if (q == 0) continue;
                entropy[e] += q * (h - logQ);
                mass[e] += q;
            }
        }
        return g.Length == 0 ? 0 : Math.Max(0, Settle(entropy[g.Length], mass[g.Length]));
    }

    // With q' = q / M: sum q' (H - ln q') = (sum q (H - ln q)) / M + ln M.
    private static double Settle(double weighted, double mass) => mass > 0 ? weighted / mass + Math.Log(mass) : 0;
}
