using BytePiece.LmTools.Rope;
using Xunit;

namespace BytePiece.LmTools.Tests;

/// <summary>ReRoPE / Leaky ReRoPE attention: prefill equals decoding row by row, and a window past every distance is plain RoPE.</summary>
public class ReRopeTests
{
    private const int D = 16, N = 40;

    private static (double[] Q, double[] K, long[] Positions) Inputs()
    {
        var random = new Random(7);
        double[] q = Enumerable.Range(0, N * D).Select(_ => random.NextDouble() * 2 - 1).ToArray();
        double[] k = Enumerable.Range(0, N * D).Select(_ => random.NextDouble() * 2 - 1).ToArray();
        return (q, k, Enumerable.Range(0, N).Select(i => (long)i).ToArray());
    }

    [SkippableTheory]
    [InlineData(8, 4.0)]
    [InlineData(8, 16.0)]
    [InlineData(8, double.PositiveInfinity)]
    [InlineData(1, double.PositiveInfinity)]
    public void Prefill_EqualsDecoding_RowByRow(double window, double leak)
    {
        var rope = new RotaryEmbedding(RopeFrequencies.Default(1e4, D), 1, RopeLayout.HalfSplit);
        var (q, k, pos) = Inputs();
        var prefill = new double[N * N];
        ReRopeAttention.PrefillScores(rope, q, pos, k, pos, window, leak, prefill);
        var row = new double[N];
        for (int i = 0; i < N; i++)
        {
            ReRopeAttention.DecodeScores(rope, q.AsSpan(i * D, D), i, k.AsSpan(0, (i + 1) * D), pos[..(i + 1)], window, leak, row.AsSpan(0, i + 1));
            for (int j = 0; j <= i; j++) Assert.Equal(prefill[i * N + j], row[j], 9);
        }
    }

    [SkippableFact]
    public void WindowBeyondEveryDistance_IsPlainRope()
    {
        var rope = new RotaryEmbedding(RopeFrequencies.Default(1e4, D), 1, RopeLayout.Interleaved);
        var (q, k, pos) = Inputs();
        var scores = new double[N * N];
        ReRopeAttention.PrefillScores(rope, q, pos, k, pos, window: N + 1, leak: 16, scores);
        for (int i = 0; i < N; i++)
            for (int j = 0; j <= i; j++)
            {
                double[] rq = q[(i * D)..((i + 1) * D)], rk = k[(j * D)..((j + 1) * D)];
                rope.Rotate<double>(rq, i);
                rope.Rotate<double>(rk, j);
                Assert.Equal(rq.Zip(rk, (a, b) => a * b).Sum(), scores[i * N + j], 9);
            }
    }

    [SkippableFact]
    public void ReRope_UsesDistanceW_BeyondTheWindow()
    {
        var rope = new RotaryEmbedding(RopeFrequencies.Default(1e4, D), 1, RopeLayout.HalfSplit);
        var (q, k, pos) = Inputs();
        var scores = new double[N * N];
        ReRopeAttention.PrefillScores(rope, q, pos, k, pos, window: 5, leak: double.PositiveInfinity, scores);
        // Beyond the window every key is seen at distance 5: q · R_{-5} k.
        double[] rk = k[(2 * D)..(3 * D)];
        rope.Rotate<double>(rk, -5);
        Assert.Equal(q[(30 * D)..(31 * D)].Zip(rk, (a, b) => a * b).Sum(), scores[30 * N + 2], 9);
    }
}
