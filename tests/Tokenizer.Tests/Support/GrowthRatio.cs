using System.Diagnostics;
using Xunit;

namespace BytePiece.Tests;

/// <summary>
/// Complexity tests without absolute timings: how much longer a run takes at four times the size. Each
/// size is timed a few times and the best run kept, which beats the noise of a shared machine; linear
/// work gives about 4, quadratic work about 16. A ratio that looks too high is measured again (up to
/// three times, the lowest kept): noise does not repeat, quadratic work does.
/// </summary>
internal static class GrowthRatio
{
    /// <summary>The collection of timing tests: they run alone, not beside the other test classes.</summary>
    public const string Collection = "Timing";

    /// <summary>The ratio of the best time of <paramref name="run"/>(4n) to the best time of <paramref name="run"/>(n).</summary>
    public static double OfFourTimes(int n, Action<int> run, int repeats = 3)
    {
        run(n); // warm-up: the JIT and the first-use allocations are not part of the growth
        double lowest = double.MaxValue;
        for (int attempt = 0; attempt < 3 && lowest > 6; attempt++)
        {
            double small = Best(() => run(n), repeats), large = Best(() => run(4 * n), repeats);
            lowest = Math.Min(lowest, large / Math.Max(small, 1e-4));
        }
        return lowest;
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

/// <summary>Timing tests run after the parallel ones, one at a time.</summary>
[CollectionDefinition(GrowthRatio.Collection, DisableParallelization = true)]
public sealed class TimingCollection;
