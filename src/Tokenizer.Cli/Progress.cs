using Spectre.Console;

namespace BytePiece.Cli;

/// <summary>A progress bar on stderr (bytes done, MB/s, ETA, tokens) when it is a terminal and not --quiet; otherwise nothing.</summary>
internal static class Progress
{
    /// <summary>Runs <paramref name="work"/>, which reports (bytes done, tokens) through the callback it is given.</summary>
    public static void Run(CliIO io, bool quiet, long? total, Action<Action<long, long>> work)
    {
        if (quiet || !io.Interactive)
        {
            work((_, _) => { });
            return;
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(io.Stderr) });
        console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(),
                new TransferSpeedColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                ProgressTask task = context.AddTask("encoding", maxValue: total ?? 1);
                task.IsIndeterminate = total is null;
                var clock = System.Diagnostics.Stopwatch.StartNew();
                long lastTick = 0;
                work((bytes, tokens) =>
                {
                    if (clock.ElapsedMilliseconds - lastTick < 100) return;
                    lastTick = clock.ElapsedMilliseconds;
                    task.Value = total is null ? 0 : bytes;
                    task.Description = $"{tokens:N0} tokens ({tokens / Math.Max(clock.Elapsed.TotalSeconds, 1e-9) / 1e6:F1} M/s)";
                });
                task.Value = task.MaxValue;
            });
    }
}
