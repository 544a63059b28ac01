using System.Diagnostics;
using System.Runtime.InteropServices;
using Xunit;

namespace BytePiece.Tests;

/// <summary>
/// Complexity tests without absolute timings: how much longer a run takes at four times the size. Linear work
/// gives about 4, quadratic work about 16. The clock is the process's CPU time (on Linux; elsewhere the wall
/// clock), so other processes on a loaded machine do not count (the timing tests run alone in theirs); each size is timed in batches of at least
/// <see cref="MinimumBatch"/> and the best batch kept, so a short run is not lost in the clock's and the
/// scheduler's noise; a ratio that looks too high is measured again (up to four times, the lowest kept):
/// noise does not repeat, quadratic work does.
/// </summary>
internal static class GrowthRatio
{
    /// <summary>The collection of timing tests: they run alone, not beside the other test classes.</summary>
    public const string Collection = "Timing";

    /// <summary>The shortest timed batch: a few scheduler slices, far above the clock's resolution.</summary>
    private static readonly TimeSpan MinimumBatch = TimeSpan.FromMilliseconds(20);

    /// <summary>The ratio of the best time of <paramref name="run"/>(4n) to the best time of <paramref name="run"/>(n).</summary>
    public static double OfFourTimes(int n, Action<int> run, int repeats = 3)
    {
        run(n); // warm-up: the JIT and the first-use allocations are not part of the growth
        run(4 * n);
        int smallRuns = RunsFilling(() => run(n)), largeRuns = Math.Max(1, smallRuns / 4);
        double lowest = double.MaxValue;
        for (int attempt = 0; attempt < 4 && lowest > 6; attempt++)
        {
            double small = Best(() => run(n), smallRuns, repeats), large = Best(() => run(4 * n), largeRuns, repeats);
            lowest = Math.Min(lowest, large / Math.Max(small, 1e-7));
        }
        return lowest;
    }

    /// <summary>How many runs of <paramref name="run"/> take at least <see cref="MinimumBatch"/>.</summary>
    private static int RunsFilling(Action run)
    {
        for (int runs = 1; ; runs *= 2)
        {
            double start = Now();
            for (int r = 0; r < runs; r++) run();
            if (Now() - start >= MinimumBatch.TotalSeconds || runs >= 1 << 16) return runs;
        }
    }

    /// <summary>Seconds per run: the best of <paramref name="repeats"/> batches of <paramref name="runs"/> runs.</summary>
    private static double Best(Action run, int runs, int repeats)
    {
        double best = double.MaxValue;
        for (int batch = 0; batch < repeats; batch++)
        {
            GC.Collect(); // each batch starts from the same heap: a collection the last one left due is not charged to it,
            GC.WaitForPendingFinalizers();
            run(); // and the memory its runs take back from the system is mapped again before the clock starts
            double start = Now();
            for (int r = 0; r < runs; r++) run();
            best = Math.Min(best, (Now() - start) / runs);
        }
        return best;
    }

    private const int ProcessCpuClock = 2; // CLOCK_PROCESS_CPUTIME_ID: every thread's work (a stream may hop threads)

    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>The process's CPU seconds on Linux, else the wall clock's (from an arbitrary origin).</summary>
    private static double Now()
    {
        if (OperatingSystem.IsLinux() && ClockGetTime(ProcessCpuClock, out TimeSpec t) == 0) return t.Seconds + t.Nanoseconds * 1e-9;
        return Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
    }
}

/// <summary>Timing tests run after the parallel ones, one at a time.</summary>
[CollectionDefinition(GrowthRatio.Collection, DisableParallelization = true)]
public sealed class TimingCollection;
