using Xunit;
using Xunit.Abstractions;

namespace BytePiece.Docs.Tests;

/// <summary>
/// README.md and docs/*.md say only what runs: every shell command, console transcript and C# block on them runs
/// in the tests (see <see cref="PageRun"/>), and the ones that cannot (they take minutes, install globally, or need
/// the big data) are marked on the page with the reason.
/// </summary>
public sealed class DocumentedCommandsTests(ITestOutputHelper output)
{
    public static TheoryData<string> Pages => [.. MarkdownPage.DocumentedPages()];

    [Theory]
    [MemberData(nameof(Pages))]
    public void EveryCommandAndProgramOnThePageRunsAndPrintsWhatThePageShows(string page)
    {
        using var workspace = new DocsWorkspace();
        var run = new PageRun(MarkdownPage.Read(page), workspace);
        run.Run();
        foreach (string line in run.Log) output.WriteLine(line);
        Assert.True(run.Failures.Count == 0, string.Join("\n\n", run.Failures));
    }

    [Fact]
    public void EveryBlockTheTestsDoNotRunIsMarkedWithAReason()
    {
        var problems = new List<string>();
        foreach (string path in MarkdownPage.DocumentedPages())
        {
            var page = MarkdownPage.Read(path);
            problems.AddRange(page.StrayDirectives.Select(d => $"{d}: a directive with no block right after it"));
            FencedBlock? previous = null;
            foreach (FencedBlock block in page.Blocks)
            {
                if (block.Language.Length == 0) problems.Add($"{block}: a block without a language (bash, console, csharp, text, ...)");
                BlockDirective d = block.Directive;
                if (d.Kind == DirectiveKind.Unknown) problems.Add($"{block}: unknown directive \"{d.Text}\"");
                if (d.NeedsReason && d.Reason.Length == 0) problems.Add($"{block}: \"{d.Text}\" gives no reason");
                if (d.Kind == DirectiveKind.CompileOnly && !block.IsCSharp) problems.Add($"{block}: compile only is for C# blocks");
                if (d.Kind != DirectiveKind.None && !(block.IsShell || block.IsConsole || block.IsCSharp))
                    problems.Add($"{block}: a directive on a {block.Language} block, which the tests never run");
                if (block.Language == "output" && (previous is null || !(previous.IsShell || previous.IsCSharp)))
                    problems.Add($"{block}: an output block must follow the shell or C# block that prints it");
                if (block.Language == "output" && previous?.Directive.Kind is DirectiveKind.Skip or DirectiveKind.CompileOnly)
                    problems.Add($"{block}: the output of a block that does not run cannot be checked");
                if (d.Kind is DirectiveKind.Skip or DirectiveKind.CompileOnly)
                    output.WriteLine($"{block} ({block.Language}): {d.Kind}: {d.Reason}");
                previous = block;
            }
        }
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    /// <summary>
    /// The README's test command is not run by the docs test (it would run this test again); CI runs it, so it must
    /// be, character for character, the command .ci/run runs.
    /// </summary>
    [Fact]
    public void TheReadmeTestCommandIsExactlyTheOneCiRuns()
    {
        const string command = "dotnet test Tokenizer.sln -c Release";
        var readme = MarkdownPage.Read("README.md");
        var testBlocks = readme.Blocks.Where(b => b.IsShell && b.Text.Contains("dotnet test", StringComparison.Ordinal)).ToList();
        FencedBlock block = Assert.Single(testBlocks);
        Assert.Equal(command, Assert.Single(block.Text.Split('\n'), l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#')).Trim());
        Assert.Equal(DirectiveKind.Skip, block.Directive.Kind);

        string[] ci = File.ReadAllLines(Repository.File(".ci/run"));
        string run = Assert.Single(ci, l => l.TrimStart().StartsWith("dotnet test", StringComparison.Ordinal));
        Assert.StartsWith(command + " ", run.Trim() + " ");
        // Only redirections may follow it: the command itself is the README's.
        string rest = run.Trim()[command.Length..].Trim();
        Assert.True(rest.Length == 0 || rest.StartsWith('<') || rest.StartsWith('2') || rest.StartsWith('|'), $".ci/run adds arguments: {rest}");
    }

    [Fact]
    public void TheReadmeIsAFrontPageOfUnder200Lines()
    {
        int lines = File.ReadAllLines(Repository.File("README.md")).Length;
        Assert.True(lines < 200, $"README.md has {lines} lines; move detail to docs/");
    }
}
