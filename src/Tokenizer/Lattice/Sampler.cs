using System.Runtime.CompilerServices;

namespace BytePiece;

/// <summary>Decides each reservoir step; the engine draws, a test can record the probabilities instead.</summary>
internal interface IReservoirChoice
{
    /// <summary>Whether candidate <paramref name="cell"/> replaces the holder of <paramref name="end"/>; true for sure when <paramref name="probability"/> is 1.</summary>
    bool Accept(int end, int cell, double probability);
}

/// <summary>
/// Exact one-pass sampling of a chunk's segmentation from <c>P^alpha / Z</c>. Forward values are log
/// partition functions (<c>Z[e] = logsumexp over candidates of Z[s] + alpha * logp</c>); each end keeps
/// its back pointer by reservoir choice: the k-th candidate replaces the holder with probability
/// <c>exp(w_k - Z_k[e])</c>, its weight over the mass seen so far (the first is always taken). Then
/// <c>back[e] = s</c> with probability <c>Z[s] a(s,e) / Z[e]</c>, and the walk back from n telescopes to
/// <c>P(w)^alpha / Z[n]</c>. Candidates arrive in the same order as in Viterbi, so draws are reproducible.
/// </summary>
internal static class Sampler
{
    /// <summary>Fills <c>scratch.Path</c> with a drawn segmentation (last token first) and returns its length.</summary>
    public static int Solve<TChoice>(UnigramModel model, ReadOnlySpan<byte> chunk, LatticeScratch scratch, double alpha, ref TChoice choice)
        where TChoice : IReservoirChoice
    {
        PieceTrie trie = model.Trie;
        int n = chunk.Length;
        Span<double> z = scratch.Best.AsSpan(0, n + 1);
        Span<int> back = scratch.Back.AsSpan(0, n + 1);
        z[0] = 0;
        z[1..].Fill(double.NegativeInfinity);
        TrieNode[] nodes = trie.Nodes;
        double[] scores = trie.Scores;
        for (int i = 0; i < n; i++)
        {
            double zi = z[i];
            int node = PieceTrie.Root;
            for (int j = i; j < n; j++)
            {
                int t = nodes[node].Base + chunk[j];
                if (nodes[t].Check != node) break;
                node = t;
                double score = scores[t];
                if (double.IsNegativeInfinity(score)) continue; // a prefix, not a piece
                double w = zi + alpha * score;
                ref double ze = ref z[j + 1];
                bool first = double.IsNegativeInfinity(ze);
                ze = first ? w : LogAddExp(ze, w);
                if (choice.Accept(j + 1, t, first ? 1.0 : Math.Exp(w - ze))) back[j + 1] = t;
            }
        }
        return Viterbi.Backtrack(model, scratch, n);
    }

    /// <summary>log(exp(a) + exp(b)) without overflow, with log1p for precision.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double LogAddExp(double a, double b)
    {
        if (double.IsNegativeInfinity(a)) return b;
        if (double.IsNegativeInfinity(b)) return a;
        return a > b ? a + Log1P(Math.Exp(b - a)) : b + Log1P(Math.Exp(a - b));
    }

    /// <summary>
    /// log(1 + x), accurate for small x (Goldberg's correction: the rounding of 1 + x cancels);
    /// .NET's <c>double.LogP1</c> computes <c>Log(x + 1)</c>, which loses the low bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Log1P(double x)
    {
        double u = 1 + x;
        return u == 1 ? x : Math.Log(u) * (x / (u - 1));
    }
}
