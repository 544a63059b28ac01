using System.Runtime.CompilerServices;

namespace BytePiece;

/// <summary>Decides each reservoir step; the engine draws, a test can record the probabilities instead.</summary>
internal interface IReservoirChoice
{
    /// <summary>
    /// Whether candidate <paramref name="cell"/> replaces the holder of <paramref name="end"/>: with probability
    /// <paramref name="weight"/> / <paramref name="total"/> (its weight over the mass so far), for sure when they are equal.
    /// </summary>
    bool Accept(int end, int cell, double weight, double total);
}

/// <summary>
/// Exact one-pass sampling of a chunk's segmentation from <c>P^alpha / Z</c>. Forward values are log
/// partition functions (<c>Z[e] = log of the sum over candidates of exp(Z[s] + alpha * logp)</c>); each
/// end keeps its back pointer by reservoir choice: the k-th candidate replaces the holder with
/// probability a_k / S_k, its weight over the mass seen so far (the first is always taken). Then
/// <c>back[e] = s</c> with probability <c>Z[s] a(s,e) / Z[e]</c>, and the walk back from n telescopes to
/// <c>P(w)^alpha / Z[n]</c>. Candidates arrive in the same order as in Viterbi, so draws are reproducible.
/// </summary>
internal static class Sampler
{
    /// <summary>Largest exponent kept in the linear domain before re-referencing (exp(700) is finite).</summary>
    private const double MaxExponent = 700;

    /// <summary>
    /// Fills <c>scratch.Path</c> with a drawn segmentation (last token first) and returns its length;
    /// <c>scratch.Best[n]</c> holds log Z afterwards.
    /// </summary>
    public static int Solve<TChoice>(UnigramModel model, ReadOnlySpan<byte> chunk, LatticeScratch scratch, double alpha, ref TChoice choice)
        where TChoice : IReservoirChoice
    {
        EdgeWeights weights = EdgeWeights.For(model, alpha);
        return weights.Cell is null
            ? SolveLogDomain(model, chunk, scratch, alpha, ref choice)
            : SolveLinear(model, weights, chunk, scratch, ref choice);
    }

    /// <summary>
    /// The fast path. Every edge weight exp(alpha (logp - c len)) is precomputed per cell (the
    /// exp(-alpha c len) factors multiply to exp(-alpha c n) on every path, so the distribution is
    /// unchanged), forward sums are linear in one scale shared by all positions, and when a sum leaves
    /// [2^-300, 2^300] the open window is multiplied by a power of two, which is exact. A candidate costs
    /// a multiply, an add and a division; no exp or log.
    /// </summary>
    private static int SolveLinear<TChoice>(UnigramModel model, EdgeWeights weights, ReadOnlySpan<byte> chunk, LatticeScratch scratch, ref TChoice choice)
        where TChoice : IReservoirChoice
    {
        int n = chunk.Length;
        Span<double> sum = scratch.Best.AsSpan(0, n + 1);
        Span<int> back = scratch.Back.AsSpan(0, n + 1);
        sum[0] = 1;
        sum[1..].Clear();
        TrieNode[] nodes = model.Trie.Nodes;
        double[] cellWeight = weights.Cell!;
        int window = model.MaxPieceLength;
        long scaleExponent = 0; // sums are exp(log Z) * 2^scaleExponent
        for (int i = 0; i < n; i++)
        {
            double si = sum[i]; // final: every candidate for i has arrived
            int exponent = Math.ILogB(si);
            if (exponent > 300 || exponent < -300)
            {
                int stop = Math.Min(n, i + window);
                for (int k = i; k <= stop; k++) sum[k] = Math.ScaleB(sum[k], -exponent);
                scaleExponent -= exponent;
                si = sum[i];
            }
            int node = PieceTrie.Root;
            for (int j = i; j < n; j++)
            {
                int t = nodes[node].Base + chunk[j];
                if (nodes[t].Check != node) break;
                node = t;
                double weight = si * cellWeight[t];
                if (weight == 0) continue; // a prefix, not a piece
                int e = j + 1;
                double total = sum[e] + weight;
                sum[e] = total;
                bool accepted = choice.Accept(e, t, weight, total);
                int keep = -Unsafe.As<bool, byte>(ref accepted); // branch-free: the outcome is random
                back[e] = (t & keep) | (back[e] & ~keep);
            }
        }
        sum[n] = Math.Log(sum[n]) - scaleExponent * Math.Log(2) + weights.Alpha * weights.PerByte * n;
        return Viterbi.Backtrack(model, scratch, n);
    }

    /// <summary>The general path, in the log domain: for alphas whose edge weights would not fit a double's range.</summary>
    private static int SolveLogDomain<TChoice>(UnigramModel model, ReadOnlySpan<byte> chunk, LatticeScratch scratch, double alpha, ref TChoice choice)
        where TChoice : IReservoirChoice
    {
        PieceTrie trie = model.Trie;
        int n = chunk.Length;
        // Z[e] is accumulated in the linear domain relative to a reference: Z[e] = ref[e] + ln(sum[e]), with
        // ref[e] the first candidate's log weight (moved up if a later one is far larger). A candidate then
        // costs one exp and a division instead of a logsumexp; the log is taken once per position.
        Span<double> reference = scratch.Best.AsSpan(0, n + 1);
        Span<double> sum = scratch.SumFor(n + 1);
        Span<int> back = scratch.Back.AsSpan(0, n + 1);
        reference[0] = 0;
        sum[0] = 1;
        sum[1..].Clear();
        TrieNode[] nodes = trie.Nodes;
        double[] scores = trie.Scores;
        for (int i = 0; i < n; i++)
        {
            double zi = reference[i] + Math.Log(sum[i]); // final: every candidate for i has arrived
            reference[i] = zi;
            int node = PieceTrie.Root;
            for (int j = i; j < n; j++)
            {
                int t = nodes[node].Base + chunk[j];
                if (nodes[t].Check != node) break;
                node = t;
                double score = scores[t];
                if (double.IsNegativeInfinity(score)) continue; // a prefix, not a piece
                double w = zi + alpha * score;
                int e = j + 1;
                if (sum[e] == 0)
                {
                    reference[e] = w;
                    sum[e] = 1;
                    if (choice.Accept(e, t, 1, 1)) back[e] = t;
                    continue;
                }
                double d = w - reference[e];
                double weight;
                if (d > MaxExponent)
                {
                    sum[e] *= Math.Exp(-d);
                    reference[e] = w;
                    weight = 1;
                }
                else
                {
                    weight = Math.Exp(d);
                }
                sum[e] += weight;
                if (choice.Accept(e, t, weight, sum[e])) back[e] = t;
            }
        }
        reference[n] += Math.Log(sum[n]);
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
