using System.Text.RegularExpressions;
using BytePiece.Packaging.Tests;

namespace BytePiece.Docs.Tests;

/// <summary>
/// Runs one page's blocks in order, in one working folder (a block may use the files an earlier one made):
/// <c>bash</c>/<c>sh</c> blocks as bash scripts that must succeed (<c>-e -o pipefail</c>); <c>console</c> blocks
/// command by command, each of which must succeed and print what the block shows; C# blocks compiled and run as
/// programs. An <c>output</c> block right after a shell or C# block is what that block must print. Directives
/// (see <see cref="BlockDirective"/>) skip a block or move it to the repository's root.
/// </summary>
internal sealed partial class PageRun(MarkdownPage page, DocsWorkspace workspace)
{
    private static readonly TimeSpan BlockTimeout = TimeSpan.FromMinutes(3);

    /// <summary>What went wrong, one entry per failing block (empty when the page is as it says).</summary>
    public List<string> Failures { get; } = [];

    /// <summary>Each block run, with its time and what it printed: the test's log (shown with a detailed console logger).</summary>
    public List<string> Log { get; } = [];

    public void Run()
    {
        var blocks = page.Blocks;
        for (int i = 0; i < blocks.Count; i++)
        {
            FencedBlock block = blocks[i];
            if (!(block.IsShell || block.IsConsole || block.IsCSharp)) continue;
            FencedBlock? output = i + 1 < blocks.Count && blocks[i + 1].Language == "output" ? blocks[i + 1] : null;
            if (block.Directive.Kind == DirectiveKind.Skip)
            {
                Log.Add($"{block}: skipped ({block.Directive.Reason})");
                continue;
            }
            string folder = block.Directive.Kind == DirectiveKind.InRepository ? Repository.Root : workspace.Work;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            string printed = block.IsShell ? RunScript(block, output, folder)
                : block.IsConsole ? RunTranscript(block, folder)
                : RunProgram(block, output, folder);
            Log.Add($"{block}: {block.Language}, {clock.Elapsed.TotalSeconds:F1} s\n{printed}");
        }
    }

    private string RunScript(FencedBlock block, FencedBlock? output, string folder)
    {
        string script = "exec 2>&1\n" + block.Text;
        var result = Bash(script, folder, "-e", "-o", "pipefail");
        if (result.ExitCode != 0)
            Failures.Add($"{block}: the commands failed (exit {result.ExitCode}):\n{block.Text}output:\n{result.Stdout}{result.Stderr}");
        else
            Check(block, output, result.Stdout);
        return result.Stdout + result.Stderr;
    }

    private string RunTranscript(FencedBlock block, string folder)
    {
        ConsoleTranscript transcript;
        try { transcript = ConsoleTranscript.Parse(block.Text); }
        catch (FormatException e)
        {
            Failures.Add($"{block}: {e.Message}");
            return "";
        }
        // One shell for the whole block (a `cd` carries over); after each command a marker line with its exit code.
        var script = new System.Text.StringBuilder("exec 2>&1\n");
        foreach (var (command, _) in transcript.Steps) script.Append(command).Append("\nprintf '\\n@@docs-test:%d@@\\n' \"$?\"\n");
        var result = Bash(script.ToString(), folder);
        var outputs = Marker().Split(result.Stdout);
        // Split keeps the captured exit codes: text, code, text, code, ..., the rest.
        for (int s = 0; s < transcript.Steps.Count; s++)
        {
            var (command, expected) = transcript.Steps[s];
            if (2 * s + 1 >= outputs.Length)
            {
                Failures.Add($"{block}: `{command}` did not finish (the block stopped early; exit {result.ExitCode}):\n{result.Stdout}{result.Stderr}");
                break;
            }
            string printed = outputs[2 * s];
            int code = int.Parse(outputs[2 * s + 1], System.Globalization.CultureInfo.InvariantCulture);
            if (code != 0) Failures.Add($"{block}: `{command}` exited {code} (a transcript that shows a failure ends its command with `; echo \"exit $?\"`):\n{printed}");
            else if (ExpectedOutput.Mismatch(expected, printed) is { } mismatch) Failures.Add($"{block}: `{command}` printed something else than the page shows:\n{mismatch}");
        }
        return Marker().Replace(result.Stdout, "\n") + result.Stderr;
    }

    private string RunProgram(FencedBlock block, FencedBlock? output, string folder)
    {
        var (program, errors) = ProgramCompiler.Compile(block, workspace.Programs);
        if (program is null)
        {
            Failures.Add($"{block}: the C# does not compile:\n{errors}");
            return "";
        }
        if (block.Directive.Kind == DirectiveKind.CompileOnly) return "(compiled, not run)";
        var result = BlockProcess.Run(ProcessRunner.Dotnet, ["exec", program], folder, workspace.Environment, BlockTimeout);
        if (result.ExitCode != 0)
            Failures.Add($"{block}: the program failed (exit {result.ExitCode}):\n{result.Stdout}{result.Stderr}");
        else
            Check(block, output, result.Stdout + result.Stderr);
        return result.Stdout + result.Stderr;
    }

    private void Check(FencedBlock block, FencedBlock? output, string printed)
    {
        if (output is not null && ExpectedOutput.Mismatch(output.Text, printed) is { } mismatch)
            Failures.Add($"{block}: printed something else than the output block at line {output.Line} shows:\n{mismatch}");
    }

    private ProcessRunner.Result Bash(string script, string folder, params string[] options)
    {
        string file = Path.Combine(workspace.Programs, $"block-{Guid.NewGuid():N}.sh");
        File.WriteAllText(file, script);
        return BlockProcess.Run("bash", ["--noprofile", "--norc", .. options, file], folder, workspace.Environment, BlockTimeout);
    }

    [GeneratedRegex(@"\n@@docs-test:(-?\d+)@@\n")]
    private static partial Regex Marker();
}
