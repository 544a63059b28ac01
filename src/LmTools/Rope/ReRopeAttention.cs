namespace BytePiece.LmTools.Rope;

/// <summary>
/// Attention logits under ReRoPE / Leaky ReRoPE (Su, kexue 9708): the relative distance r = i − j is
/// used as is inside the window w and mapped beyond it (ReRoPE: w; Leaky: w + (r − w)/k). Prefill
/// computes two score matrices and picks per entry; decoding keeps keys unrotated and rotates each
/// cached key by the mapped distance. Both give the same scores (tested). Rows are [count × dim].
/// </summary>
public static class ReRopeAttention
{
    /// <summary>
    /// Prefill scores [queries × keys]: a¹ = (R_i q)·(R_j k) where i − j &lt; w, else a² =
    /// (R_{(i−w)/k + w} q)·(R_{j/k} k) (Leaky), or (R_w q)·k when <paramref name="leak"/> is infinite (ReRoPE).
    /// </summary>
    public static void PrefillScores(RotaryEmbedding rope, ReadOnlySpan<double> queries, ReadOnlySpan<long> queryPositions,
        ReadOnlySpan<double> keys, ReadOnlySpan<long> keyPositions, double window, double leak, Span<double> scores)
    {
        int d = rope.RotaryDim;
        Check(queries, queryPositions, keys, keyPositions, d, scores);
        bool rerope = double.IsPositiveInfinity(leak);
        var q1 = new double[d];
        var q2 = new double[d];
        var k1 = new double[d];
        var k2 = new double[d];
        for (int a = 0; a < queryPositions.Length; a++)
        {
            long i = queryPositions[a];
            queries.Slice(a * d, d).CopyTo(q1);
            rope.Rotate<double>(q1, i);
            queries.Slice(a * d, d).CopyTo(q2);
            rope.Rotate<double>(q2, rerope ? window : (i - window) / leak + window);
            for (int b = 0; b < keyPositions.Length; b++)
            {
                long j = keyPositions[b];
                bool inside = i - j < window;
                keys.Slice(b * d, d).CopyTo(inside ? k1 : k2);
                if (inside) rope.Rotate<double>(k1, j);
                else if (!rerope) rope.Rotate<double>(k2, j / leak);
                scores[a * keyPositions.Length + b] = Dot(inside ? q1 : q2, inside ? k1 : k2);
            }
        }
    }

    /// <summary>
    /// Decoding scores for one unrotated query at <paramref name="queryPosition"/> against unrotated cached
    /// keys: a_j = q · R_{−r'} k_j with r' the mapped distance (see <see cref="PositionScaling"/>).
    /// </summary>
    public static void DecodeScores(RotaryEmbedding rope, ReadOnlySpan<double> query, long queryPosition,
        ReadOnlySpan<double> keys, ReadOnlySpan<long> keyPositions, double window, double leak, Span<double> scores)
    {
        int d = rope.RotaryDim;
        Check(query, [queryPosition], keys, keyPositions, d, scores);
        var k = new double[d];
        for (int b = 0; b < keyPositions.Length; b++)
        {
            double r = queryPosition - keyPositions[b];
            double mapped = r < window ? r : double.IsPositiveInfinity(leak) ? PositionScaling.ReRope(r, window) : PositionScaling.LeakyReRope(r, window, leak);
            keys.Slice(b * d, d).CopyTo(k);
            rope.Rotate<double>(k, -mapped);
            scores[b] = Dot(query, k);
        }
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    private static void Check(ReadOnlySpan<double> queries, ReadOnlySpan<long> queryPositions, ReadOnlySpan<double> keys, ReadOnlySpan<long> keyPositions, int d, Span<double> scores)
    {
        if (queries.Length != queryPositions.Length * d || keys.Length != keyPositions.Length * d)
            throw new ArgumentException($"queries and keys must be [count x {d}] (the rotary dimension)");
        if (scores.Length != queryPositions.Length * keyPositions.Length)
            throw new ArgumentException($"scores must be [{queryPositions.Length} x {keyPositions.Length}]", nameof(scores));
    }
}
