namespace BytePiece;

/// <summary>
/// Exact one-pass sampling from <c>exp(alpha * S(w)) / Z</c> over an explicit <see cref="LatticeGraph"/>
/// (used for SentencePiece models): forward log partition values, and at each end a reservoir choice of
/// its incoming edge (the k-th replaces the holder with probability of its mass over the mass so far), so
/// the walk back from the end draws a path with exactly its probability, as forward-filtering
/// backward-sampling does (spm's <c>SampleEncode</c> with nbest_size &lt; 0).
/// </summary>
internal static class GraphSampler
{
    /// <summary>Draws a path; its edges' starts and ids go to <paramref name="pathStarts"/>/<paramref name="pathIds"/>, last first.</summary>
    /// <returns>The number of edges on the path, and log Z.</returns>
    public static (int Count, double LogZ) Sample<TChoice>(LatticeGraph g, double alpha, ref TChoice choice, int[] pathIds, int[] pathStarts)
        where TChoice : IReservoirChoice
    {
        int n = g.Length;
        var forward = new double[n + 1];
        var back = new int[n + 1];
        var backStart = new int[n + 1];
        forward.AsSpan(1).Fill(double.NegativeInfinity);
        for (int s = 0; s < n; s++)
        {
            if (double.IsNegativeInfinity(forward[s])) continue;
            for (int k = g.First[s]; k < g.First[s + 1]; k++)
            {
                int e = g.End[k];
                double w = forward[s] + alpha * g.Score[k];
                forward[e] = Sampler.LogAddExp(forward[e], w);
                if (choice.Accept(e, k, Math.Exp(w - forward[e]), 1.0))
                {
                    back[e] = k;
                    backStart[e] = s;
                }
            }
        }
        int count = 0;
        for (int e = n; e > 0; e = backStart[e])
        {
            pathIds[count] = g.Piece[back[e]];
            pathStarts[count++] = backStart[e];
        }
        return (count, forward[n]);
    }
}
