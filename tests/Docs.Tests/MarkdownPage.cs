using System.Text.RegularExpressions;

namespace BytePiece.Docs.Tests;

/// <summary>
/// A markdown page of the documentation, cut into its fenced code blocks. A block may be preceded (blank lines
/// allowed between) by one directive comment, <c>&lt;!-- docs-test: ... --&gt;</c>, saying how the tests treat it
/// (see <see cref="BlockDirective"/>).
/// </summary>
internal sealed partial class MarkdownPage
{
    private MarkdownPage(string path, IReadOnlyList<FencedBlock> blocks, IReadOnlyList<string> strayDirectives)
    {
        Path = path;
        Blocks = blocks;
        StrayDirectives = strayDirectives;
    }

    /// <summary>The page's path relative to the repository, with '/'.</summary>
    public string Path { get; }

    public IReadOnlyList<FencedBlock> Blocks { get; }

    /// <summary>Directive comments that no block follows ("page:line: text"): each is a mistake.</summary>
    public IReadOnlyList<string> StrayDirectives { get; }

    /// <summary>The pages whose commands and code the tests run: README.md and every docs/*.md.</summary>
    public static IReadOnlyList<string> DocumentedPages()
    {
        var pages = new List<string> { "README.md" };
        pages.AddRange(Directory.GetFiles(Repository.File("docs"), "*.md")
            .Select(f => "docs/" + System.IO.Path.GetFileName(f))
            .Order(StringComparer.Ordinal));
        return pages;
    }

    public static MarkdownPage Read(string relativePath)
    {
        string[] lines = File.ReadAllLines(Repository.File(relativePath));
        var blocks = new List<FencedBlock>();
        var stray = new List<string>();
        (int Line, string Text)? pending = null; // a directive not yet attached to a block
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (Directive().Match(line.Trim()) is { Success: true } d)
            {
                if (pending is { } previous) stray.Add($"{relativePath}:{previous.Line}: {previous.Text}");
                pending = (i + 1, d.Groups["body"].Value);
                continue;
            }
            Match open = Fence().Match(line);
            if (!open.Success)
            {
                if (line.Trim().Length > 0 && pending is { } orphan)
                {
                    stray.Add($"{relativePath}:{orphan.Line}: {orphan.Text}");
                    pending = null;
                }
                continue;
            }
            int indent = open.Groups["indent"].Length;
            string fence = open.Groups["fence"].Value;
            string language = open.Groups["info"].Value.Trim().Split(' ', 2)[0].ToLowerInvariant();
            var content = new List<string>();
            int j = i + 1;
            for (; j < lines.Length; j++)
            {
                string trimmed = lines[j].Trim();
                if (trimmed.Length >= fence.Length && trimmed.All(c => c == fence[0])) break;
                content.Add(lines[j].Length >= indent && lines[j][..indent].Trim().Length == 0 ? lines[j][indent..] : lines[j].TrimStart());
            }
            blocks.Add(new FencedBlock(relativePath, i + 1, language, string.Join('\n', content) + "\n",
                pending is { } attached ? BlockDirective.Parse(attached.Text) : BlockDirective.None));
            pending = null;
            i = j;
        }
        if (pending is { } last) stray.Add($"{relativePath}:{last.Line}: {last.Text}");
        return new MarkdownPage(relativePath, blocks, stray);
    }

    [GeneratedRegex(@"^<!--\s*docs-test:\s*(?<body>.*?)\s*-->$")]
    private static partial Regex Directive();

    [GeneratedRegex(@"^(?<indent>\s*)(?<fence>`{3,}|~{3,})(?<info>[^`]*)$")]
    private static partial Regex Fence();
}

/// <summary>A fenced code block: where it starts (the fence's line), its language, its text and its directive.</summary>
internal sealed record FencedBlock(string Page, int Line, string Language, string Text, BlockDirective Directive)
{
    public bool IsShell => Language is "bash" or "sh" or "shell";

    public bool IsConsole => Language == "console";

    public bool IsCSharp => Language is "csharp" or "cs" or "c#";

    public override string ToString() => $"{Page}:{Line}";
}
