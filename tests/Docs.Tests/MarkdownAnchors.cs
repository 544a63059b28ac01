using System.Text;
using System.Text.RegularExpressions;

namespace BytePiece.Docs.Tests;

/// <summary>
/// The links of a markdown page and the anchors of its headings, as GitHub renders them: a heading's anchor is
/// its text in lower case, with everything but letters, digits, spaces, '-' and '_' dropped and spaces made '-'
/// (a repeated anchor gets "-1", "-2", ...). Fenced code is neither a heading nor a link.
/// </summary>
internal static partial class MarkdownAnchors
{
    /// <summary>The page's lines outside fenced code blocks.</summary>
    public static IEnumerable<(int Line, string Text)> Prose(string[] lines)
    {
        string? fence = null;
        for (int i = 0; i < lines.Length; i++)
        {
            string trimmed = lines[i].Trim();
            if (fence is null && (trimmed.StartsWith("```", StringComparison.Ordinal) || trimmed.StartsWith("~~~", StringComparison.Ordinal)))
            {
                fence = trimmed[..3];
                continue;
            }
            if (fence is not null)
            {
                if (trimmed.StartsWith(fence, StringComparison.Ordinal) && trimmed.All(c => c == fence[0])) fence = null;
                continue;
            }
            yield return (i + 1, lines[i]);
        }
    }

    /// <summary>The anchors of a page's headings.</summary>
    public static HashSet<string> Of(string path)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (_, line) in Prose(File.ReadAllLines(path)))
        {
            Match heading = Heading().Match(line);
            if (!heading.Success) continue;
            string slug = Slug(heading.Groups["text"].Value);
            int count = seen.GetValueOrDefault(slug);
            seen[slug] = count + 1;
            anchors.Add(count == 0 ? slug : $"{slug}-{count}");
        }
        return anchors;
    }

    /// <summary>The relative links of a page's prose: (line, target), targets that are neither URLs nor mail addresses.</summary>
    public static IEnumerable<(int Line, string Target)> RelativeLinks(string path)
    {
        foreach (var (number, line) in Prose(File.ReadAllLines(path)))
            foreach (Match link in Link().Matches(line))
            {
                string target = link.Groups["target"].Value;
                if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal)) continue;
                yield return (number, target);
            }
    }

    private static string Slug(string heading)
    {
        var slug = new StringBuilder();
        foreach (char c in heading.Trim().ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c) || c is '-' or '_') slug.Append(c);
            else if (c == ' ') slug.Append('-');
        }
        return slug.ToString();
    }

    [GeneratedRegex(@"^#{1,6}\s+(?<text>.*?)\s*#*\s*$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"\[[^\]]*\]\((?<target>[^)\s]+)\)")]
    private static partial Regex Link();
}
