using Xunit;

namespace BytePiece.Docs.Tests;

/// <summary>
/// The documentation's relative links lead somewhere: to a file or folder of the repository and, when they name
/// one, to a heading of that page. Pages and headings move (the README's detail moved to docs/); a link left
/// behind fails here.
/// </summary>
public sealed class DocumentedLinksTests
{
    /// <summary>The pages checked: the documentation, and the other markdown files of the repository that readers open from it.</summary>
    private static IEnumerable<string> Pages() => MarkdownPage.DocumentedPages()
        .Concat(["tests/data/README.md", "src/Tokenizer/PACKAGE.md", "src/LmTools/PACKAGE.md", "src/Tokenizer.Cli/PACKAGE.md"]);

    [Fact]
    public void EveryRelativeLinkLeadsToAFileAndToAHeadingOfItWhenItNamesOne()
    {
        var broken = new List<string>();
        foreach (string page in Pages())
        {
            string file = Repository.File(page);
            foreach (var (line, target) in MarkdownAnchors.RelativeLinks(file))
            {
                string[] parts = target.Split('#', 2);
                string resolved = parts[0].Length == 0 ? file : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, parts[0]));
                if (!resolved.StartsWith(Repository.Root, StringComparison.Ordinal))
                    broken.Add($"{page}:{line}: {target} leads out of the repository");
                else if (!File.Exists(resolved) && !Directory.Exists(resolved))
                    broken.Add($"{page}:{line}: {target}: no such file or folder");
                else if (parts.Length == 2 && !(resolved.EndsWith(".md", StringComparison.Ordinal) && MarkdownAnchors.Of(resolved).Contains(parts[1])))
                    broken.Add($"{page}:{line}: {target}: no heading #{parts[1]} there");
            }
        }
        Assert.True(broken.Count == 0, string.Join('\n', broken));
    }
}
