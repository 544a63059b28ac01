using System.Diagnostics;

namespace BytePiece.Bench;

/// <summary>
/// Times several sides on the same input in one process, alternated round by round (which side goes first
/// alternates too), because this machine's speed moves between minutes: only side-by-side figures compare.
/// </summary>
internal static class Alternated
{
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
                var sw = Stopwatch.StartNew();
                for (int r = 0; r < repeats; r++) sides[side].Pass();
                seconds[side].Add(sw.Elapsed.TotalSeconds);
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
