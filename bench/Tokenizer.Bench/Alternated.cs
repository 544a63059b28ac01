using System.Diagnostics;
using System.Runtime.InteropServices;

namespace BytePiece.Bench;

/// <summary>
/// Times several sides on the same input in one process, alternated round by round (which side goes first
/// alternates too), because this machine's speed moves between minutes: only side-by-side figures compare.
/// With <c>BENCH_CLOCK=cpu</c> (Linux) a side's time is the CPU time of this thread, not the wall time: on a
/// machine shared with other jobs the wall time also counts the slices the others ran in.
/// </summary>
internal static class Alternated
{
    /// <summary>Which clock times the sides: "wall" or "cpu" (this thread's CPU time).</summary>
    public static readonly string Clock = Environment.GetEnvironmentVariable("BENCH_CLOCK") is "cpu" && OperatingSystem.IsLinux() ? "cpu" : "wall";

    private const int ThreadCpuClock = 3; // CLOCK_THREAD_CPUTIME_ID

    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>Seconds on <see cref="Clock"/> (from an arbitrary origin).</summary>
    public static double Now() => Clock == "wall" ? Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency : ThreadCpuSeconds();

    /// <summary>This thread's CPU seconds (Linux).</summary>
    public static double ThreadCpuSeconds()
    {
        if (ClockGetTime(ThreadCpuClock, out TimeSpec t) != 0) throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
        return t.Seconds + t.Nanoseconds * 1e-9;
    }

    /// <summary>
    /// A warm-up pass per side (JIT tiers, caches), then <paramref name="rounds"/> rounds of <paramref name="repeats"/>
    /// passes per side. Returns each side's token count (from the warm-up) and seconds per round.
    /// </summary>
    public static (long[] Tokens, List<double>[] Seconds) Time((string Name, Func<long> Pass)[] sides, int rounds, int repeats)
    {
        var seconds = sides.Select(_ => new List<double>()).ToArray();
        long[] tokens = [.. sides.Select(s => s.Pass())];
        for (int round = 0; round < rounds; round++)
        {
            for (int k = 0; k < sides.Length; k++)
            {
                int side = round % 2 == 0 ? k : sides.Length - 1 - k;
                double start = Now();
                for (int r = 0; r < repeats; r++) sides[side].Pass();
                seconds[side].Add(Now() - start);
            }
        }
        return (tokens, seconds);
    }

    /// <summary>How many passes make about 4 MB of input, so that a pass over a small text lasts long enough to time.</summary>
    public static int Repeats(long bytes) => Math.Max(1, (int)Math.Ceiling(4e6 / bytes));

    /// <summary>Side <paramref name="a"/>'s speed over side <paramref name="b"/>'s: best over best, and the median of the rounds' ratios.</summary>
    public static (double Best, double Median) Ratio(List<double>[] seconds, int a, int b)
        => (seconds[b].Min() / seconds[a].Min(), Median([.. Enumerable.Range(0, seconds[a].Count).Select(r => seconds[b][r] / seconds[a][r])]));

    public static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
