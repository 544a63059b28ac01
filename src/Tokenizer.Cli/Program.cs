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
        return CliApp.Run(args, StandardStreams.Input(), StandardStreams.Output(), StandardStreams.Error(), cancel.Token, interactive: !Console.IsErrorRedirected);
    }
}
