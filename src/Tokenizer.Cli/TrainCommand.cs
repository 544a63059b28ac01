using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using BytePiece.Training;
using Spectre.Console;

namespace BytePiece.Cli;

/// <summary><c>bytepiece train</c>: learn BytePiece vocabularies from files, directories or stdin.</summary>
internal static class TrainCommand
{
    public static Command Create(CliIO io)
    {
        var inputs = new Option<string[]>("--input", "-i")
        {
            Description = "Training text: files (plain UTF-8, .gz or .xz), directories (every file below), or - for stdin. Repeatable.",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var sizes = new Option<int[]>("--vocab-size", "-v")
        {
            Description = "Target vocabulary size, specials included (the result can be a little smaller). Several sizes train several models in one run.",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var output = new Option<string>("--output", "-o")
        {
            Description = "Model file: .bpm is native, anything else BytePiece JSON. With several sizes, the size goes before the extension (model.32000.bpm).",
            Required = true,
        };
        var defaults = new TrainerOptions();
        var order = new Option<int>("--order") { Description = "N-gram order, 2..7.", DefaultValueFactory = _ => defaults.Order };
        var maxPieceLength = new Option<int>("--max-piece-length") { Description = "Longest piece in bytes.", DefaultValueFactory = _ => defaults.MaxPieceLength };
        var minCount = new Option<long>("--min-count") { Description = "Smallest count kept for n-grams and pieces.", DefaultValueFactory = _ => defaults.MinCount };
        var noEnsureUnicode = new Option<bool>("--no-ensure-unicode") { Description = "Let pieces start inside a UTF-8 character (upstream before 0.6)." };
        var isolateDigits = new Option<bool>("--isolate-digits") { Description = "Every digit its own chunk: no multi-byte piece contains a digit." };
        var threads = CommonOptions.Threads();
        var maxMemory = new Option<string?>("--max-memory") { Description = "Memory for n-gram counts, e.g. 4G or 512M (default: a quarter of RAM, at most 2G); past it counts spill to disk. Never changes the result." };
        var tempDir = new Option<string?>("--temp-dir") { Description = "Folder for spill files and a copy of stdin (default: the system's)." };
        var holdout = new Option<int>("--holdout-every") { Description = "Leave every k-th chunk out of training and report bytes/token on it (0: none).", DefaultValueFactory = _ => 100 };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress and no summary on stderr." };
        var command = new Command("train", "Train BytePiece models (n-gram counting, Viterbi pre-segmentation, piece pruning).")
        {
            inputs, sizes, output, order, maxPieceLength, minCount, noEnsureUnicode, isolateDigits, threads, maxMemory, tempDir, holdout, quiet,
        };
        command.SetAction(parse =>
        {
            var options = new TrainerOptions
            {
                VocabSizes = parse.GetValue(sizes)!,
                Order = parse.GetValue(order),
                MaxPieceLength = parse.GetValue(maxPieceLength),
                MinCount = parse.GetValue(minCount),
                EnsureUnicode = !parse.GetValue(noEnsureUnicode),
                IsolateDigits = parse.GetValue(isolateDigits),
                Threads = parse.GetValue(threads),
                MaxMemory = parse.GetValue(maxMemory) is { } memory ? CommonOptions.ParseSize(memory, "--max-memory") : defaults.MaxMemory,
                TempDirectory = parse.GetValue(tempDir),
                HoldoutEvery = parse.GetValue(holdout),
            };
            try { options.Validate(); }
            catch (ArgumentException e) { throw new CliException(ExitCodes.Usage, e.Message.Split(" (Parameter")[0]); }
            string path = parse.GetValue(output)!;
            bool quietRun = parse.GetValue(quiet);
            string? spooled = null;
            try
            {
                string[] paths = parse.GetValue(inputs)!;
                if (paths.Contains("-")) paths = paths.Select(p => p == "-" ? spooled ??= Spool(io, options.TempDirectory) : p).ToArray();
                TrainingCorpus corpus;
                try { corpus = TrainingCorpus.FromFiles(paths); }
                catch (FileNotFoundException e) { throw new CliException(ExitCodes.IoError, e.Message); }

                var clock = Stopwatch.StartNew();
                TrainingResult result = RunWithProgress(io, quietRun, progress => BytePieceTrainer.Train(corpus, options, progress, io.Cancellation));
                int[] targets = [.. options.VocabSizes.Distinct().OrderDescending()]; // the order of result.Models
                var written = new List<string>();
                for (int m = 0; m < result.Models.Count; m++)
                {
                    string file = targets.Length == 1 ? path : SizedPath(path, targets[m]);
                    ModelFile.Save(result.Models[m], file, ModelFile.FormatFromExtension(file));
                    written.Add(file);
                }
                if (!quietRun) Summarize(io, result, written, clock.Elapsed, options.Threads);
            }
            finally
            {
                if (spooled is not null) File.Delete(spooled);
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static string SizedPath(string path, int size)
    {
        string extension = Path.GetExtension(path);
        return extension.Length == 0 ? $"{path}.{size}" : $"{path[..^extension.Length]}.{size}{extension}";
    }

    /// <summary>Standard input is read twice by training, so it is copied to a temporary file first.</summary>
    private static string Spool(CliIO io, string? tempDirectory)
    {
        string file = Path.Combine(tempDirectory ?? Path.GetTempPath(), $"bytepiece-stdin-{Guid.NewGuid():N}.txt");
        using (var copy = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            io.Stdin.CopyToAsync(copy, io.Cancellation).GetAwaiter().GetResult();
        return file;
    }

    private static TrainingResult RunWithProgress(CliIO io, bool quiet, Func<IProgress<TrainingProgress>?, TrainingResult> train)
    {
        if (quiet) return train(null);
        if (!io.Interactive)
        {
            // A log, not a bar: one line when a stage starts.
            string? stage = null;
            return train(new SyncProgress(p =>
            {
                string name = StageName(p.Stage);
                if (name == stage) return;
                stage = name;
                io.Stderr.WriteLine($"bytepiece: {name}...");
            }));
        }
        TrainingResult? result = null;
        IAnsiConsole console = Console(io);
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                ProgressTask? current = null;
                result = train(new SyncProgress(p =>
                {
                    string name = StageName(p.Stage);
                    if (!tasks.TryGetValue(name, out ProgressTask? task))
                    {
                        if (current is not null) current.Value = current.MaxValue;
                        current?.StopTask();
                        task = tasks[name] = context.AddTask(name, maxValue: p.Total ?? 1);
                        current = task;
                    }
                    task.Description = p.Stage;
                    task.IsIndeterminate = p.Total is null;
                    if (p.Total is long total) { task.MaxValue = Math.Max(total, 1); task.Value = Math.Min(p.Done, total); }
                }));
                if (current is not null) { current.Value = current.MaxValue; current.StopTask(); }
            });
        return result!;
    }

    private static string StageName(string stage) => stage.Split(" (")[0];

    /// <summary>
    /// Widest line a table may take when stderr is not a terminal: a log or a file has no width, and a model path
    /// broken across lines can be neither read nor copied. (Spectre sees a TextWriter, not the console, so it would
    /// assume 80 columns.) A table is only as wide as its cells, so this is a cap that is never reached in practice.
    /// </summary>
    internal const int UnboundedWidth = 1 << 14;

    /// <summary>
    /// The console the progress and the summary are drawn on: the terminal's width when stderr is one; no
    /// escape codes and no wrapping when it is a file or a pipe.
    /// </summary>
    private static IAnsiConsole Console(CliIO io)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(io.Stderr),
            Ansi = io.Interactive ? AnsiSupport.Detect : AnsiSupport.No,
            Interactive = io.Interactive ? InteractionSupport.Detect : InteractionSupport.No,
        });
        console.Profile.Width = io.Interactive ? TerminalWidth() : UnboundedWidth;
        return console;
    }

    /// <summary>The terminal's columns (stderr is one), or 80 when the system will not say.</summary>
    private static int TerminalWidth()
    {
        try
        {
            return System.Console.WindowWidth is > 0 and var width ? width : 80;
        }
        catch (Exception e) when (e is IOException or PlatformNotSupportedException)
        {
            return 80;
        }
    }

    private static void Summarize(CliIO io, TrainingResult result, List<string> written, TimeSpan elapsed, int threads)
    {
        IAnsiConsole console = Console(io);
        var stats = result.Statistics;
        var models = new Table().AddColumns("model file", "pieces", "vocab size", "held-out bytes/token");
        for (int m = 0; m < result.Models.Count; m++)
        {
            UnigramModel model = result.Models[m];
            string ratio = "-";
            if (!result.HeldOut.IsEmpty)
            {
                int tokens = new BytePieceTokenizer(model).CountTokens(result.HeldOut.Span);
                ratio = ((double)result.HeldOut.Length / tokens).ToString("F3", CultureInfo.InvariantCulture);
            }
            models.AddRow(Markup.Escape(written[m]), model.PieceCount.ToString("N0", CultureInfo.InvariantCulture), model.VocabSize.ToString("N0", CultureInfo.InvariantCulture), ratio);
        }
        console.Write(models);
        var table = new Table().AddColumns("stage", "time");
        foreach (var (stage, time) in stats.StageTimes) table.AddRow(stage, Report.Seconds(time));
        table.AddRow("total", $"{Report.Seconds(elapsed)} ({Report.Count(threads, "thread")})");
        console.Write(table);
        string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
        io.Stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"corpus {Report.Count(stats.CorpusBytes, "byte")} in {Report.Count(stats.Chunks, "chunk")} ({Number(stats.HeldOutChunks)} held out, {Report.Count(stats.HeldOutBytes, "byte")} measured); "
            + $"n-grams {Number(stats.DistinctNGrams)} distinct, {Number(stats.KeptNGrams)} kept, {Report.Count(stats.SpilledRuns, "run")} spilled; "
            + $"pieces {Number(stats.CandidatePieces)} candidates, {Number(stats.FilteredPieces)} filtered, {Number(stats.StablePieces)} stable; "
            + $"{Report.Count(stats.BackedOffBytes, "back-off")}; {Report.Count(stats.InvalidSequences, "invalid UTF-8 sequence")}; "
            + $"peak memory {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} MiB"));
    }

    /// <summary>Calls back on the reporting thread (System.Progress would post to the thread pool, out of order).</summary>
    private sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
