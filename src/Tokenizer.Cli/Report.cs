using System.Globalization;

namespace BytePiece.Cli;

/// <summary>Numbers in the summaries on stderr: counts with their noun in the right number, rates only when measurable.</summary>
internal static class Report
{
    /// <summary>
    /// Below this many bytes a rate is not reported: the time of a small input is start-up (JIT, thread pool,
    /// first reads), not throughput, and "0.0 MB/s" or "71 B/s" would mislead.
    /// </summary>
    public const long MinBytesForRate = 1 << 20;

    /// <summary>Below this a time is not measured well enough for a rate (the stopwatch is fine; the work is not steady).</summary>
    public const double MinSecondsForRate = 0.01;

    /// <summary>"1 chunk", "2 chunks", "1,000 chunks" (grouped digits, invariant culture).</summary>
    /// <param name="count">The number.</param>
    /// <param name="singular">The noun for one.</param>
    /// <param name="plural">The noun for any other number (default: the singular with "s").</param>
    public static string Count(long count, string singular, string? plural = null)
        => string.Create(CultureInfo.InvariantCulture, $"{count:N0} {(count == 1 ? singular : plural ?? singular + "s")}");

    /// <summary>A duration for a person: "0.84 s", "12.3 s", "7 ms" (never "0.0 s" for work that took time).</summary>
    public static string Seconds(TimeSpan time)
    {
        double s = time.TotalSeconds;
        return s < 0.1 ? string.Create(CultureInfo.InvariantCulture, $"{time.TotalMilliseconds:F0} ms")
            : s < 10 ? string.Create(CultureInfo.InvariantCulture, $"{s:F2} s")
            : string.Create(CultureInfo.InvariantCulture, $"{s:F1} s");
    }

    /// <summary>True when <paramref name="bytes"/> in <paramref name="seconds"/> make a rate worth printing (see <see cref="MinBytesForRate"/>).</summary>
    public static bool RateMeasurable(long bytes, double seconds) => bytes >= MinBytesForRate && seconds >= MinSecondsForRate;
}
