using System.Runtime.CompilerServices;
using BytePiece.Lookup;
using BytePiece.Model;

namespace BytePiece.Lattice;

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
    /// <summary>
    /// Fills <c>scratch.Path</c> with a drawn segmentation (last token first) and returns its length;
    /// <c>scratch.Best[n]</c> holds log Z afterwards.
    /// </summary>
    public static int Solve<TChoice>(UnigramModel model, ReadOnlySpan<byte> chunk, LatticeScratch scratch, double alpha, ref TChoice choice)
        where TChoice : IReservoirChoice
    {
        int n = chunk.Length;
        var pass = new SamplerPass(model, alpha);
        Span<double> a = scratch.Best.AsSpan(0, n + 1), b = scratch.SumFor(n + 1);
        pass.Reset(a, b);
        pass.ProcessStarts(chunk, a, b, scratch.Back.AsSpan(0, n + 1), 0, n, ref choice);
        a[n] = pass.LogZ(a, b, n, n);
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

/// <summary>
/// One chunk's forward pass, resumable: starts may be processed in any number of consecutive ranges
/// (the streaming encoder feeds them as bytes arrive) and fill exactly the arrays one call would. Two
/// arithmetic paths: <b>linear</b> (per-cell edge weights exp(alpha (logp - c len)), precomputed once per
/// alpha, whose exp(-alpha c len) factors multiply to the same constant on every path; sums linear in one
/// scale, rescaled exactly by powers of two; a candidate costs a multiply, an add and a compare) and
/// <b>log-domain</b> (for alphas whose weights would leave a double's range). Array a holds the linear
/// sums, or the log references; b holds the log path's relative sums.
/// </summary>
internal struct SamplerPass
{
    /// <summary>Largest exponent kept in the linear domain before re-referencing (exp(700) is finite).</summary>
    private const double MaxExponent = 700;

    private readonly UnigramModel _model;
    private readonly double _alpha;
    private readonly EdgeWeights _weights;
    private long _scaleExponent; // linear sums are exp(log Z) * 2^_scaleExponent

    public SamplerPass(UnigramModel model, double alpha)
    {
        _model = model;
        _alpha = alpha;
        _weights = EdgeWeights.For(model, alpha);
    }

    private readonly bool Linear => _weights.Cell is not null;

    /// <summary>Position 0 starts the chunk; every later position is empty.</summary>
    public readonly void Reset(Span<double> a, Span<double> b)
    {
        if (Linear)
        {
            a[0] = 1;
            a[1..].Clear();
        }
        else
        {
            a[0] = 0;
            b[0] = 1;
            b[1..].Clear();
        }
    }

    /// <summary>Marks positions as not reached yet (for arrays that grow while streaming).</summary>
    public readonly void Clear(Span<double> a, Span<double> b)
    {
        if (Linear) a.Clear();
        else b.Clear();
    }

    /// <summary>log Z of the chunk's prefix ending at <paramref name="end"/> (its final position), after all starts before it.</summary>
    public readonly double LogZ(Span<double> a, Span<double> b, int end, long absoluteLength)
        => Linear
            ? Math.Log(a[end]) - _scaleExponent * Math.Log(2) + _alpha * _weights.PerByte * absoluteLength
            : a[end] + Math.Log(b[end]);

    /// <summary>Processes starts [<paramref name="from"/>, <paramref name="to"/>) over the bytes available in <paramref name="chunk"/>.</summary>
    public void ProcessStarts<TChoice>(ReadOnlySpan<byte> chunk, Span<double> a, Span<double> b, Span<int> back, int from, int to, ref TChoice choice)
        where TChoice : IReservoirChoice
    {
        if (Linear) ProcessLinear(chunk, a, back, from, to, ref choice);
        else ProcessLogDomain(chunk, a, b, back, from, to, ref choice);
    }

    private void ProcessLinear<TChoice>(ReadOnlySpan<byte> chunk, Span<double> sum, Span<int> back, int from, int to, ref TChoice choice)
        where TChoice : IReservoirChoice
    {
        int n = chunk.Length;
        TrieNode[] nodes = _model.Trie.Nodes;
        double[] cellWeight = _weights.Cell!;
        int window = _model.MaxPieceLength;
        for (int i = from; i < to; i++)
        {
            double si = sum[i]; // final: every candidate for i has arrived
            int exponent = Math.ILogB(si);
            if (exponent > 300 || exponent < -300)
            {
                int stop = Math.Min(n, i + window); // nothing beyond can hold mass yet
                for (int k = i; k <= stop; k++) sum[k] = Math.ScaleB(sum[k], -exponent);
                _scaleExponent -= exponent;
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
    }

    /// <summary>
    /// Z[e] accumulated relative to a reference: Z[e] = ref[e] + ln(sum[e]), with ref[e] the first
    /// candidate's log weight (moved up if a later one is far larger); the log is taken once per position.
    /// </summary>
    private readonly void ProcessLogDomain<TChoice>(ReadOnlySpan<byte> chunk, Span<double> reference, Span<double> sum, Span<int> back, int from, int to, ref TChoice choice)
        where TChoice : IReservoirChoice
    {
        int n = chunk.Length;
        TrieNode[] nodes = _model.Trie.Nodes;
        double[] scores = _model.Trie.Scores;
        for (int i = from; i < to; i++)
        {
            double zi = reference[i] + Math.Log(sum[i]); // final: every candidate for i has arrived
            reference[i] = zi;
            sum[i] = 1;
            int node = PieceTrie.Root;
            for (int j = i; j < n; j++)
            {
                int t = nodes[node].Base + chunk[j];
                if (nodes[t].Check != node) break;
                node = t;
                double score = scores[t];
                if (double.IsNegativeInfinity(score)) continue; // a prefix, not a piece
                double w = zi + _alpha * score;
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
    }
}
