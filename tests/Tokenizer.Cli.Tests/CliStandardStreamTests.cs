using System.Diagnostics;
using System.Text;
using BytePiece.Cli;
using Xunit;

namespace BytePiece.Tests;

/// <summary>Closed, full and broken standard streams: a clear exit code, never a crash, and no wasted work.</summary>
public class CliStandardStreamTests
{
    private static string Model40k => SharedData.BytePieceModelPath("bytepiece.eu.plus.40k.model");

    private sealed class FailingWriter : StringWriter
    {
        public override void Write(char value) => throw new IOException("No space left on device");
        public override void Write(string? value) => throw new IOException("No space left on device");
        public override void WriteLine(string? value) => throw new IOException("No space left on device");
    }

    [SkippableFact]
    public void AFailingStderr_NeitherCrashesNorChangesTheExitCode()
    {
        using var stdout = new MemoryStream();
        Assert.Equal(0, CliApp.Run(["encode", "hello", "--model", Model40k], new MemoryStream(), stdout, new FailingWriter()));
        Assert.NotEmpty(stdout.ToArray());
        Assert.Equal(1, CliApp.Run(["encode", "--qiet"], new MemoryStream(), new MemoryStream(), new FailingWriter()));
        Assert.Equal(3, CliApp.Run(["encode", "--model", Model40k], new MemoryStream([0xFF]), new MemoryStream(), new FailingWriter()));
    }

    [SkippableTheory]
    [InlineData("2>&-")]
    [InlineData("2>/dev/full")]
    public void AClosedOrFullStderr_InARealProcess_KeepsTheOutputAndTheExitCode(string redirect)
    {
        var (code, stdout, _) = CliProcess.BashText($"echo 'hello world' | $B encode --model '{Model40k}' {redirect}; echo \"rc=$?\"; $B encode --qiet {redirect}; echo \"rc=$?\"");
        string expected = string.Join(' ', SharedData.Tokenizer("bytepiece.eu.plus.40k.model").EncodeToIds("hello world\n"));
        Assert.Equal($"{expected}\nrc=0\nrc=1\n", stdout);
        Assert.Equal(0, code);
    }

    [SkippableFact]
    public void AClosedStdinOrStdout_IsNamed_Exit4()
    {
        var (_, stdout, stderr) = CliProcess.BashText("$B encode --quiet <&-; echo \"rc=$?\"; $B encode hello --quiet >&- || echo \"rc=$?\" >&2");
        Assert.Equal("rc=4\n", stdout);
        Assert.Contains("bytepiece: I/O error: standard input is closed", stderr);
        Assert.Contains("bytepiece: I/O error: standard output is closed", stderr);
        Assert.Contains("rc=4", stderr);
    }

    /// <summary>
    /// The test is the producer of the input: how much of it the CLI took before stopping is what it read
    /// (plus a pipe buffer). A run that kept encoding after <c>head</c> left would take all 256 MB.
    /// </summary>
    [SkippableTheory]
    [InlineData("encode --quiet", false)]
    [InlineData("encode --format pieces --quiet", false)]
    [InlineData("decode", true)]
    public async Task ABrokenStdoutPipe_StopsTheRunPromptly_Exit141_NoMessage(string command, bool ids)
    {
        const long total = 256L << 20;
        byte[] block = ids
            ? Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("4000 17 123 99\n", 1 << 14)))
            : SharedData.Corpus("en", 256 << 10);
        var psi = new ProcessStartInfo("bash", ["-c", $"$B {command} --model '{Model40k}' | head -c 100 >/dev/null; echo \"${{PIPESTATUS[0]}}\""])
        { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.Environment["B"] = CliProcess.Command;
        using var process = Process.Start(psi)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        long written = 0;
        try
        {
            while (written < total)
            {
                process.StandardInput.BaseStream.Write(block);
                written += block.Length;
            }
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The CLI exited: the rest of the input was never needed.
        }
        string status = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(60_000));
        Assert.Equal("141\n", status);
        Assert.Equal("", await stderr);
        Assert.True(written < total / 8, $"the CLI took {written:N0} of {total:N0} bytes after its reader had gone");
    }
}
