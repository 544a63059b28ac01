using System.Diagnostics;
using BytePiece.Packaging.Tests;

namespace BytePiece.Docs.Tests;

/// <summary>
/// Runs a documented command or program in a given folder: the packaging tests' process runner (same host, same
/// captured UTF-8 streams, empty input), plus a working folder and a deadline that reports instead of throwing,
/// so that one slow block fails its page with what it printed.
/// </summary>
internal static class BlockProcess
{
    public static ProcessRunner.Result Run(string fileName, IEnumerable<string> arguments, string workingDirectory, IDictionary<string, string> environment, TimeSpan timeout)
    {
        ProcessStartInfo psi = ProcessRunner.StartInfo(fileName, arguments, environment);
        psi.WorkingDirectory = workingDirectory;
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + fileName);
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return new ProcessRunner.Result(-1, stdout.Result, stderr.Result + $"\n(stopped: still running after {timeout.TotalSeconds:F0} s)");
        }
        return new ProcessRunner.Result(process.ExitCode, stdout.Result, stderr.Result);
    }
}
