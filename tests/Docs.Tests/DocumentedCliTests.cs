using System.Text;
using System.Text.RegularExpressions;
using BytePiece.Cli;
using Xunit;

namespace BytePiece.Docs.Tests;

/// <summary>
/// docs/command-line.md covers the command line as it is: a section for every command `bytepiece --help` lists,
/// naming every option that command's `--help` lists. A new command or option without documentation fails here.
/// </summary>
public sealed partial class DocumentedCliTests
{
    [Fact]
    public void EveryCommandAndEveryOptionOfItsHelpIsOnTheCommandLinePage()
    {
        string page = File.ReadAllText(Repository.File("docs/command-line.md"));
        var missing = new List<string>();
        string[] commands = [.. Section(Help([]), "Commands").Select(l => l.Trim().Split(' ')[0]).Where(c => c.Length > 0)];
        Assert.Contains("encode", commands);
        foreach (string command in commands)
        {
            string heading = $"## `bytepiece {command}`";
            int start = page.IndexOf(heading + "\n", StringComparison.Ordinal);
            if (start < 0)
            {
                missing.Add($"no section \"{heading}\"");
                continue;
            }
            int end = page.IndexOf("\n## ", start + heading.Length, StringComparison.Ordinal);
            string section = end < 0 ? page[start..] : page[start..end];
            foreach (string line in Section(Help([command, "--help"]), "Options"))
                foreach (Match option in LongOption().Matches(line.Trim().Split("  ", 2)[0]))
                    if (option.Value is not "--help" && !Regex.IsMatch(section, Regex.Escape(option.Value) + @"\b"))
                        missing.Add($"bytepiece {command} {option.Value}: not in its section of docs/command-line.md");
        }
        Assert.True(missing.Count == 0, string.Join('\n', missing));
    }

    private static string Help(string[] args)
    {
        using var stdout = new MemoryStream();
        int code = CliApp.Run(args.Length == 0 ? ["--help"] : args, new MemoryStream(), stdout, new StringWriter());
        Assert.Equal(0, code);
        return Encoding.UTF8.GetString(stdout.ToArray());
    }

    /// <summary>The indented lines under a help heading ("Options:", "Commands:").</summary>
    private static IEnumerable<string> Section(string help, string name)
        => help.Split('\n').SkipWhile(l => l.Trim() != name + ":").Skip(1).TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal));

    [GeneratedRegex(@"--[a-z][a-z0-9-]*")]
    private static partial Regex LongOption();
}
