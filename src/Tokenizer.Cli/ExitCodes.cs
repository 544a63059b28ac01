namespace BytePiece.Cli;

/// <summary>Exit codes of the <c>bytepiece</c> command (documented in docs/failure-modes.md and docs/command-line.md).</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Usage = 1;
    public const int BadModel = 2;
    public const int BadInput = 3;
    public const int IoError = 4;
    public const int LimitExceeded = 5;

    /// <summary>A check found a difference: <c>manifest verify</c>, a file not as its manifest records it.</summary>
    public const int CheckFailed = 6;
    public const int Interrupted = 130;

    /// <summary>stdout was a pipe its reader closed (<c>| head</c>): the run stops at once, silently, with the shell's code for SIGPIPE (128 + 13).</summary>
    public const int BrokenPipe = 141;
}

/// <summary>An error the user can fix, reported as one line on stderr with its exit code.</summary>
internal sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
