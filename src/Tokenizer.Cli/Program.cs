using System.Runtime.InteropServices;

namespace BytePiece.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        // Ctrl-C and SIGTERM cancel the work; the command then removes its temporary output and exits 130.
        using var cancel = new CancellationTokenSource();
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            cancel.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        // --max-memory's last resort, when cancelling does not stop the work in time: the line, then exit 5
        // (the output's temporary file is removed as the process exits, or by the next run).
        MemoryGuard.HardStop = message =>
        {
            new QuietErrorWriter(StandardStreams.Error()).WriteLine($"bytepiece: {message}");
            Environment.Exit(ExitCodes.LimitExceeded);
        };
        return CliApp.Run(args, StandardStreams.Input(), StandardStreams.Output(), StandardStreams.Error(), cancel.Token, interactive: !Console.IsErrorRedirected);
    }
}
