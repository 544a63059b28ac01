using System.Diagnostics;
using System.Text;
using Xunit;

namespace BytePiece.Tests;

/// <summary>Runs the built <c>bytepiece</c> as a child process through bash, for what only a real process shows (closed descriptors, pipes, signals, resident memory).</summary>
internal static class CliProcess
{
    /// <summary>The command that starts the CLI, for a bash script.</summary>
    public static string Command => $"dotnet exec {Path.Combine(AppContext.BaseDirectory, "bytepiece.dll")}"; // expanded unquoted by bash: the path has no spaces

    /// <summary>Runs <paramref name="script"/> with bash; <c>$B</c> is the CLI. Returns bash's exit code, stdout and stderr.</summary>
    public static (int Code, byte[] Stdout, string Stderr) Bash(string script, byte[]? stdin = null)
    {
        var psi = new ProcessStartInfo("bash", ["-c", script])
        { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.Environment["B"] = Command;
        using var process = Process.Start(psi)!;
        var stdout = new MemoryStream();
        Task copy = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        try
        {
            if (stdin is not null) process.StandardInput.BaseStream.Write(stdin);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The script did not read all of its input.
        }
        Assert.True(process.WaitForExit(120_000), "the child process did not finish");
        copy.Wait();
        return (process.ExitCode, stdout.ToArray(), stderr.Result);
    }

    /// <summary>Peak resident memory (bytes) of <c>bytepiece ARGS</c>, output discarded, from /usr/bin/time; asserts exit 0.</summary>
    public static long PeakMemory(string args)
    {
        Assert.True(File.Exists("/usr/bin/time"), "this test needs GNU time (/usr/bin/time)");
        var (code, _, stderr) = Bash($"/usr/bin/time -f 'peak %M' $B {args} > /dev/null");
        Assert.True(code == 0, stderr);
        string last = stderr.TrimEnd('\n').Split('\n')[^1];
        Assert.StartsWith("peak ", last);
        return long.Parse(last[5..], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    public static (int Code, string Stdout, string Stderr) BashText(string script, string stdin = "")
    {
        var (code, stdout, stderr) = Bash(script, Encoding.UTF8.GetBytes(stdin));
        return (code, Encoding.UTF8.GetString(stdout), stderr);
    }
}
