using System.Text.RegularExpressions;

namespace BytePiece.Docs.Tests;

/// <summary>
/// Output as the documentation shows it, compared line by line with what a command printed (stdout and stderr
/// together, as a terminal shows them). Runs of spaces and tabs count as one space and ends of lines are
/// trimmed, so a column of a table may be aligned either way. What varies from run to run (times, rates, the
/// number of cores) is written <c>...</c>: inside a line it stands for any text, and a line of its own for any
/// number of lines, none included.
/// </summary>
internal static partial class ExpectedOutput
{
    /// <summary>Null when <paramref name="actual"/> matches <paramref name="expected"/>; else both, for the failure message.</summary>
    public static string? Mismatch(string expected, string actual)
    {
        string[] want = Lines(expected);
        string[] got = Lines(actual);
        return Matches(want, 0, got, 0) ? null : $"expected:\n{string.Join('\n', want)}\nactual:\n{string.Join('\n', got)}";
    }

    private static string[] Lines(string text)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n').Select(l => Spaces().Replace(l, " ").Trim()).ToList();
        while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        return [.. lines];
    }

    private static bool Matches(string[] want, int w, string[] got, int g)
    {
        if (w == want.Length) return g == got.Length;
        if (want[w] == "...")
        {
            for (int skip = g; skip <= got.Length; skip++)
                if (Matches(want, w + 1, got, skip)) return true;
            return false;
        }
        return g < got.Length && LineMatches(want[w], got[g]) && Matches(want, w + 1, got, g + 1);
    }

    private static bool LineMatches(string want, string got)
    {
        if (!want.Contains("...", StringComparison.Ordinal)) return want == got;
        string pattern = "^" + string.Join(".*", want.Split("...").Select(Regex.Escape)) + "$";
        return Regex.IsMatch(got, pattern);
    }

    [GeneratedRegex(@"[ \t]+")]
    private static partial Regex Spaces();
}
