namespace BytePiece.Lattice;

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

    /// <summary>
    /// <paramref name="count"/> independent draws, each made as it is enumerated: the memory is the forward
    /// values and one path, whatever the count.
    /// </summary>
    public static IEnumerable<Draw> WithReplacement(LatticeGraph g, double alpha, int count, CounterRng rng)
    {
        double[] forward = ForwardBackward.Forward(g, alpha);
        var (inFirst, inEdges, edgeStart) = g.EdgesByEnd();
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
            yield return new Draw(edges, LogProb(g, alpha, edges, forward[g.Length]), double.NaN);
        }
    }

    /// <summary>
    /// A hypothesis the search has expanded: a path from some position to the end (its first edge, and the
    /// hypothesis it extends), the normalized log-mass of its completions (log of the probability that a
    /// draw ends with it) and its perturbed value. Its children's Gumbel noise comes from a stream keyed by
    /// its index, so their values can be made again whenever the next one is wanted instead of being stored.
    /// </summary>
    private readonly record struct Hypothesis(int Edge, int Parent, double LogMass, double Perturbed);

    /// <summary>
    /// Up to <paramref name="count"/> distinct paths in decreasing order of their perturbed values (all the
    /// lattice has, if it has fewer), yielded as they are found; <see cref="Draw.Perturbed"/> is <c>log p(w) + Gumbel</c>.
    /// The search keeps one record per expanded hypothesis and one agenda entry per open sibling list, so its
    /// memory grows with the tokens of the paths found, never with the lattice's width; past
    /// <see cref="SamplingOptions.MaxSearchHypotheses"/> records it stops with an <see cref="InputLimitExceededException"/>.
    /// </summary>
    public static IEnumerable<Draw> WithoutReplacement(LatticeGraph g, double alpha, int count, CounterRng rng)
    {
        var (forward, backward) = ForwardBackward.Run(g, alpha);
        // Draws from a large space share few tokens (measured: 2% on 1 KB), so the search needs about
        // count * E[tokens] records: refuse up front what will not fit (the cap below holds in any case).
        double expectedTokens = 0;
        foreach (double p in ForwardBackward.Marginals(g, alpha, forward, backward)) expectedTokens += p;
        if (count * expectedTokens > SamplingOptions.MaxSearchHypotheses)
            throw new InputLimitExceededException($"drawing {count:N0} distinct segmentations of {g.Length:N0} bytes (about {expectedTokens:N0} tokens each) " +
                $"needs more than {SamplingOptions.MaxSearchHypotheses:N0} search hypotheses (SamplingOptions.MaxSearchHypotheses): ask for fewer samples or a shorter text");
        var (inFirst, inEdges, edgeStart) = g.EdgesByEnd();
        ulong key = rng.Next();
        var hypotheses = new List<Hypothesis> { new(-1, -1, 0, Gumbel(ref rng)) };
        // An agenda entry (h, r) stands for the child of rank r (0: the largest perturbed value) of hypothesis h;
        // when it is taken, rank r + 1 joins the agenda: the children of a hypothesis enter one at a time.
        var agenda = new PriorityQueue<(int Hypothesis, int Rank), double>();
        var children = new List<(int Edge, double LogMass, double Perturbed)>();
        int expanded = -1; // whose children the list holds: on a descent, the hypothesis taken next is the one just expanded
        Expand(0);
        if (children.Count > 0) agenda.Enqueue((0, 0), -children[0].Perturbed);
        int found = 0;
        while (found < count && agenda.TryDequeue(out var entry, out _))
        {
            Expand(entry.Hypothesis);
            var (edge, logMass, value) = children[entry.Rank];
            if (entry.Rank + 1 < children.Count) agenda.Enqueue((entry.Hypothesis, entry.Rank + 1), -children[entry.Rank + 1].Perturbed);
            if (edgeStart[edge] == 0)
            {
                var edges = new List<int> { edge };
                for (int x = entry.Hypothesis; hypotheses[x].Edge >= 0; x = hypotheses[x].Parent) edges.Add(hypotheses[x].Edge);
                int[] path = [.. edges];
                found++;
                yield return new Draw(path, LogProb(g, alpha, path, forward[g.Length]), value);
                continue;
            }
            if (hypotheses.Count >= SamplingOptions.MaxSearchHypotheses)
                throw new InputLimitExceededException($"drawing {count:N0} distinct segmentations of {g.Length:N0} bytes needs more than " +
                    $"{SamplingOptions.MaxSearchHypotheses:N0} search hypotheses (SamplingOptions.MaxSearchHypotheses; {found:N0} found so far): ask for fewer samples or a shorter text");
            hypotheses.Add(new Hypothesis(edge, entry.Hypothesis, logMass, value));
            int h = hypotheses.Count - 1;
            Expand(h);
            if (children.Count > 0) agenda.Enqueue((h, 0), -children[0].Perturbed);
        }

        // The children of hypothesis h with their perturbed values, largest first (made again from h's stream).
        void Expand(int h)
        {
            if (h == expanded) return;
            expanded = h;
            Hypothesis top = hypotheses[h];
            int position = top.Edge < 0 ? g.Length : edgeStart[top.Edge];
            var stream = new CounterRng(key, h);
            children.Clear();
            double max = double.NegativeInfinity;
            for (int i = inFirst[position]; i < inFirst[position + 1]; i++)
            {
                int k = inEdges[i];
                double logMass = top.LogMass + forward[edgeStart[k]] + alpha * g.Score[k] - forward[position];
                double gumbel = Gumbel(ref stream); // drawn for every edge, so each keeps its noise
                if (double.IsNegativeInfinity(logMass)) continue;
                double value = logMass + gumbel;
                children.Add((k, logMass, value));
                max = Math.Max(max, value);
            }
            for (int c = 0; c < children.Count; c++)
            {
                var (k, logMass, value) = children[c];
                // The children's values, shifted so that their maximum is the parent's (appendix B.3's stable form).
                double v = top.Perturbed - value + Log1MinusExp(value - max);
                double child = top.Perturbed - Math.Max(0, v) - Sampler.Log1P(Math.Exp(-Math.Abs(v)));
                children[c] = (k, logMass, child);
            }
            children.Sort((a, b) => b.Perturbed.CompareTo(a.Perturbed));
        }
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
    public static IEnumerable<ScoredSegmentation> SampleAndScore(LatticeGraph g, double alpha, int count, bool withoutReplacement,
        int[]? best, Func<int[], int[]> idsOf, CounterRng rng)
    {
        if (!withoutReplacement)
        {
            foreach (Draw draw in WithReplacement(g, alpha, count, rng)) yield return new(idsOf(draw.Edges), draw.LogProb);
            yield break;
        }
        // Every score needs the first left-out perturbed value, known only when the search has found count + 1
        // paths: until then only the paths' edges are kept (4 bytes a token, beside the search's records).
        var draws = new List<Draw>();
        foreach (Draw draw in WithoutReplacement(g, alpha, count + 1, rng)) draws.Add(draw);
        int wanted = count;
        if (best is not null)
        {
            yield return new(best, 0);
            int at = draws.FindIndex(d => idsOf(d.Edges).AsSpan().SequenceEqual(best));
            if (at >= 0) draws.RemoveAt(at);
            wanted--;
        }
        if (draws.Count <= wanted)
        {
            // Every other segmentation is in the sample: each is included with probability 1.
            foreach (Draw draw in draws) yield return new(idsOf(draw.Edges), 0);
            yield break;
        }
        double kappa = draws[wanted].Perturbed;
        for (int d = 0; d < wanted; d++) yield return new(idsOf(draws[d].Edges), LogInclusion(draws[d].LogProb, kappa) + 0.0); // no -0
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
        // At large alpha both terms are large and nearly equal: rounding must not make a probability exceed 1.
        return Math.Min(0, alpha * score - logZ) + 0.0; // + 0.0 turns -0 into 0 (no "-0" scores)
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
