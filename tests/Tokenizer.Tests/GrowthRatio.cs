using System.Diagnostics;

namespace BytePiece.Tests;

/// <summary>
/// Complexity tests without absolute timings: how much longer a run takes at four times the size. Each
/// size is timed a few times and the best run kept, which beats the noise of a shared machine; linear
/// work gives about 4, quadratic work about 16.
/// </summary>
internal static class GrowthRatio
{
    /// <summary>The ratio of the best time of <paramref name="run"/>(4n) to the best time of <paramref name="run"/>(n).</summary>
    public static double OfFourTimes(int n, Action<int> run, int repeats = 3)
    {
        run(n); // warm-up: the JIT and the first-use allocations are not part of the growth
        double small = Best(() => run(n), repeats), large = Best(() => run(4 * n), repeats);
        return large / Math.Max(small, 1e-4);
    }

    private static double Best(Action run, int repeats)
    {
        double best = double.MaxValue;
        for (int r = 0; r < repeats; r++)
        {
            long start = Stopwatch.GetTimestamp();
            run();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        return best;
    }
}
