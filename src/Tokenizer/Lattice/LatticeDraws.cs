namespace BytePiece;

/// <summary>
/// Several segmentations drawn from an explicit lattice under <c>p(w) = exp(alpha * S(w)) / Z</c>: independent
/// draws (forward values once, then a backward walk per draw), or draws without replacement by the
/// Gumbel-top-k trick done top-down (Kool, van Hoof and Welling 2019, "Stochastic Beams and Where to Find
/// Them"): a partial path from the end stands for all its completions, its perturbed value is the
/// maximum of theirs, and its children's values are drawn conditioned on that maximum. A best-first
/// search then meets complete paths in decreasing order of their perturbed values, so the first k are
/// exactly a sample of k without replacement (successive sampling), with no shrinking of the agenda
/// (spm's search cuts it to 512 hypotheses at 10,000 and becomes approximate on long inputs).
/// </summary>
internal static class LatticeDraws
{
    /// <summary>One drawn path: its edges in text order, <c>log p(w)</c>, and (without replacement) its perturbed value.</summary>
    public readonly record struct Draw(int[] Edges, double LogProb, double Perturbed);

    /// <summary><paramref name="count"/> independent draws.</summary>
    public static List<Draw> WithReplacement(LatticeGraph g, double alpha, int count, ref CounterRng rng)
    {
        double[] forward = ForwardBackward.Forward(g, alpha);
        var (inFirst, inEdges, edgeStart) = g.EdgesByEnd();
        var draws = new List<Draw>(count);
        var path = new List<int>();
        for (int d = 0; d < count; d++)
        {
            path.Clear();
            for (int e = g.Length; e > 0;)
            {
                // Edge k into e is taken with probability exp(forward[start] + alpha * score - forward[e]).
                double u = rng.NextDouble(), mass = 0;
                int chosen = -1;
                for (int i = inFirst[e]; i < inFirst[e + 1]; i++)
                {
                    int k = inEdges[i];
                    double w = forward[edgeStart[k]] + alpha * g.Score[k] - forward[e];
                    if (double.IsNegativeInfinity(w)) continue;
                    chosen = k; // the last reachable edge takes what rounding leaves over
                    mass += Math.Exp(w);
                    if (u < mass) break;
                }
                path.Add(chosen);
                e = edgeStart[chosen];
            }
            path.Reverse();
            int[] edges = [.. path];
            draws.Add(new Draw(edges, LogProb(g, alpha, edges, forward[g.Length]), double.NaN));
        }
        return draws;
    }

    /// <summary>
    /// Up to <paramref name="count"/> distinct paths in decreasing order of their perturbed values (all the
    /// lattice has, if it has fewer); <see cref="Draw.Perturbed"/> is <c>log p(w) + Gumbel</c>.
    /// </summary>
    public static List<Draw> WithoutReplacement(LatticeGraph g, double alpha, int count, ref CounterRng rng)
    {
        double[] forward = ForwardBackward.Forward(g, alpha);
        var (inFirst, inEdges, edgeStart) = g.EdgesByEnd();
        var draws = new List<Draw>(count);
        // A hypothesis is a path from some position to the end: its edge, parent, left position, the
        // normalized log-mass of its completions (log of the probability that a draw ends with it) and its
        // perturbed value.
        var hypotheses = new List<(int Edge, int Parent, int Position, double LogMass, double Perturbed)>
        {
            (-1, -1, g.Length, 0, Gumbel(ref rng)),
        };
        var agenda = new PriorityQueue<int, double>();
        agenda.Enqueue(0, -hypotheses[0].Perturbed);
        var perturbed = new List<double>();
        while (draws.Count < count && agenda.TryDequeue(out int h, out _))
        {
            var top = hypotheses[h];
            if (top.Position == 0)
            {
                var edges = new List<int>();
                for (int x = h; hypotheses[x].Edge >= 0; x = hypotheses[x].Parent) edges.Add(hypotheses[x].Edge);
                int[] path = [.. edges];
                draws.Add(new Draw(path, LogProb(g, alpha, path, forward[g.Length]), top.Perturbed));
                continue;
            }
            int first = inFirst[top.Position], last = inFirst[top.Position + 1];
            perturbed.Clear();
            double max = double.NegativeInfinity;
            for (int i = first; i < last; i++)
            {
                int k = inEdges[i];
                double logMass = top.LogMass + forward[edgeStart[k]] + alpha * g.Score[k] - forward[top.Position];
                double value = double.IsNegativeInfinity(logMass) ? logMass : logMass + Gumbel(ref rng);
                perturbed.Add(value);
                max = Math.Max(max, value);
            }
            for (int i = first; i < last; i++)
            {
                double value = perturbed[i - first];
                if (double.IsNegativeInfinity(value)) continue;
                int k = inEdges[i];
                double logMass = top.LogMass + forward[edgeStart[k]] + alpha * g.Score[k] - forward[top.Position];
                // The children's values, shifted so that their maximum is the parent's (appendix B.3's stable form).
                double v = top.Perturbed - value + Log1MinusExp(value - max);
                double child = top.Perturbed - Math.Max(0, v) - Sampler.Log1P(Math.Exp(-Math.Abs(v)));
                hypotheses.Add((k, h, edgeStart[k], logMass, child));
                agenda.Enqueue(hypotheses.Count - 1, -child);
            }
        }
        return draws;
    }

    /// <summary>The arguments <see cref="SampleAndScore"/> refuses, checked before any work (alpha is the caller's to check).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1.</exception>
    /// <exception cref="ArgumentException"><paramref name="includeBest"/> without <paramref name="withoutReplacement"/> (SentencePiece refuses it too).</exception>
    public static void CheckSampleArguments(int count, bool withoutReplacement, bool includeBest)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1, "numSamples");
        if (includeBest && !withoutReplacement)
            throw new ArgumentException("includeBest needs withoutReplacement (as in SentencePiece)", nameof(includeBest));
    }

    /// <summary>
    /// spm's <c>sample_encode_and_score</c> over a lattice: <paramref name="count"/> draws, with replacement
    /// scored by <c>log p</c>, or without it scored by <see cref="LogInclusion"/> against the first left-out
    /// perturbed value. With a <paramref name="best"/> segmentation (the caller's Viterbi result; without
    /// replacement only) it comes first with score 0 and the others are drawn from the rest. When the
    /// lattice has no more paths than wanted, all come back with score 0. <paramref name="idsOf"/> spells
    /// a path (its edges) as the caller's ids.
    /// </summary>
    public static List<ScoredSegmentation> SampleAndScore(LatticeGraph g, double alpha, int count, bool withoutReplacement,
        int[]? best, Func<int[], int[]> idsOf, ref CounterRng rng)
    {
        var result = new List<ScoredSegmentation>();
        if (!withoutReplacement)
        {
            foreach (Draw draw in WithReplacement(g, alpha, count, ref rng)) result.Add(new(idsOf(draw.Edges), draw.LogProb));
            return result;
        }
        List<Draw> draws = WithoutReplacement(g, alpha, count + 1, ref rng);
        int wanted = count;
        if (best is not null)
        {
            result.Add(new(best, 0));
            int at = draws.FindIndex(d => idsOf(d.Edges).AsSpan().SequenceEqual(best));
            if (at >= 0) draws.RemoveAt(at);
            wanted--;
        }
        if (draws.Count <= wanted)
        {
            // Every other segmentation is in the sample: each is included with probability 1.
            foreach (Draw draw in draws) result.Add(new(idsOf(draw.Edges), 0));
            return result;
        }
        double kappa = draws[wanted].Perturbed;
        for (int d = 0; d < wanted; d++) result.Add(new(idsOf(draws[d].Edges), LogInclusion(draws[d].LogProb, kappa)));
        return result;
    }

    /// <summary>
    /// spm's log inclusion probability of a path with log-probability <paramref name="logProb"/> in a
    /// without-replacement sample whose threshold is the first left-out perturbed value
    /// <paramref name="kappa"/>: <c>log(1 - exp(-exp(logProb - kappa)))</c>, by series below -10.
    /// </summary>
    public static double LogInclusion(double logProb, double kappa)
    {
        double x = logProb - kappa, y = Math.Exp(x);
        return x <= -10 ? x - y / 2 + y * y / 24 - Math.Pow(y, 4) / 2880 : Log1MinusExp(-y);
    }

    private static double LogProb(LatticeGraph g, double alpha, int[] edges, double logZ)
    {
        double score = 0;
        foreach (int k in edges) score += g.Score[k];
        return alpha * score - logZ;
    }

    /// <summary>A standard Gumbel variate, from a uniform in (0, 1) (never 0 or 1).</summary>
    private static double Gumbel(ref CounterRng rng) => -Math.Log(-Math.Log(((rng.Next() >> 11) + 0.5) * (1.0 / (1UL << 53))));

    /// <summary>log(1 - e^x) for x &lt;= 0, accurate at both ends (Maechler's split at -ln 2).</summary>
    private static double Log1MinusExp(double x)
        => x > -0.6931471805599453 ? Math.Log(-ExpM1(x)) : Sampler.Log1P(-Math.Exp(x));

    /// <summary>e^x - 1 without cancellation near 0 (Kahan's trick: the rounding of e^x cancels in the ratio).</summary>
    private static double ExpM1(double x)
    {
        double u = Math.Exp(x);
        if (u == 1.0) return x;
        double um1 = u - 1.0;
        return um1 == -1.0 ? -1.0 : um1 * x / Math.Log(u);
    }
}
