using System.CommandLine;
using System.CommandLine.Parsing;

namespace BytePiece.Cli;

/// <summary>The <c>bytepiece</c> command line: commands, options, and error handling. Streams are parameters so tests can run it in-process.</summary>
public static class CliApp
{
    /// <summary>Runs the command line and returns the exit code.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="stdin">Standard input.</param>
    /// <param name="stdout">Standard output.</param>
    /// <param name="stderr">Standard error.</param>
    /// <param name="cancellationToken">Cancels the work (Ctrl-C, SIGTERM): exit code 130, no output file left.</param>
    /// <param name="interactive">Standard error is a terminal: progress bars may be drawn there.</param>
    public static int Run(string[] args, Stream stdin, Stream stdout, TextWriter stderr, CancellationToken cancellationToken = default, bool interactive = false)
    {
        stderr = new QuietErrorWriter(stderr);
        var io = new CliIO(stdin, stdout, stderr, cancellationToken, interactive);
        var root = new RootCommand("bytepiece: a Unigram tokenizer for BytePiece models (JSON or .bpm), SentencePiece .model files and HuggingFace tokenizer.json (Unigram).")
        {
            EncodeCommand.Create(io),
            DecodeCommand.Create(io),
            ConvertCommand.Create(io),
            InfoCommand.Create(io),
            NBestCommand.Create(io),
            EntropyCommand.Create(io),
            SampleCommand.Create(io),
            StatsCommand.Create(io),
            TrainCommand.Create(io),
            MergeDatasetsCommand.Create(io),
            ManifestCommand.Create(io),
        };
        // No response files: a TEXT argument such as "@user hi" is text, not a file to read arguments from.
        ParseResult parsed;
        try
        {
            parsed = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        }
        catch (InvalidOperationException e)
        {
            stderr.WriteLine($"bytepiece: {e.Message}");
            return ExitCodes.Usage;
        }
        if (UsageError(parsed) is { } usage)
        {
            stderr.WriteLine($"bytepiece: {usage} (see {CommandPath(parsed)} --help)");
            return ExitCodes.Usage;
        }
        var config = new InvocationConfiguration { Output = new StreamWriter(stdout) { AutoFlush = true }, Error = stderr, EnableDefaultExceptionHandler = false };
        try
        {
            return parsed.Invoke(config);
        }
        catch (Exception e)
        {
            (int code, string? message) = Describe(e);
            if (message is not null) stderr.WriteLine($"bytepiece: {message}");
            return code;
        }
    }

    /// <summary>
    /// The first thing wrong with the command line, or null. A word that starts with '-' but is no option
    /// of the command is an unknown option, not text: a misspelled --quiet must not become the input
    /// (text that starts with '-' goes after "--").
    /// </summary>
    private static string? UsageError(ParseResult parsed)
    {
        // --help and --version answer whatever else is on the line.
        if (parsed.Action is { ClearsParseErrors: true }) return null;
        int doubleDash = parsed.Tokens.Count;
        for (int i = 0; i < parsed.Tokens.Count; i++)
        {
            if (parsed.Tokens[i].Type == TokenType.DoubleDash)
            {
                doubleDash = i;
                break;
            }
        }
        static bool OptionLike(string word) => word.Length > 1 && word[0] == '-';
        foreach (string word in parsed.UnmatchedTokens)
            if (OptionLike(word) && IndexOf(parsed.Tokens, null, word) < doubleDash) return $"unknown option '{word}'";
        foreach (Token token in ArgumentTokens(parsed.CommandResult))
            if (OptionLike(token.Value) && IndexOf(parsed.Tokens, token, token.Value) < doubleDash) return $"unknown option '{token.Value}'";
        if (parsed.Errors.Count == 0) return null;
        // The parser's messages may span lines (a list of accepted values): one line on stderr.
        return string.Join(' ', parsed.Errors[0].Message.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).TrimEnd('.');
    }

    /// <summary>The tokens bound to the command's own arguments (TEXT, ids), not to its options.</summary>
    private static IEnumerable<Token> ArgumentTokens(CommandResult command)
        => command.Children.OfType<ArgumentResult>().SelectMany(a => a.Tokens);

    /// <summary>Where a word is on the command line: the token itself when given, else the first with its text; -1 if neither.</summary>
    private static int IndexOf(IReadOnlyList<Token> tokens, Token? token, string value)
    {
        for (int i = 0; i < tokens.Count; i++)
            if (ReferenceEquals(tokens[i], token)) return i;
        for (int i = 0; i < tokens.Count; i++)
            if (tokens[i].Value == value) return i;
        return -1;
    }

    /// <summary>"bytepiece encode" (or "bytepiece manifest verify") for the command the arguments named.</summary>
    private static string CommandPath(ParseResult parsed)
    {
        var names = new List<string> { "bytepiece" };
        for (SymbolResult? result = parsed.CommandResult; result is CommandResult { Command: not RootCommand } command; result = command.Parent)
            names.Insert(1, command.Command.Name);
        return string.Join(' ', names);
    }

    /// <summary>The exit code and the one line for an error; no line for a closed stdout pipe (the reader left on purpose).</summary>
    internal static (int Code, string? Message) Describe(Exception e) => e switch
    {
        CliException c => (c.ExitCode, c.Message),
        IOException pipe when IsBrokenPipe(pipe) => (ExitCodes.BrokenPipe, null),
        OperationCanceledException => (ExitCodes.Interrupted, "interrupted; no output file was written"),
        ModelFormatException m => (ExitCodes.BadModel, $"invalid model: {m.Message}"),
        ArgumentOutOfRangeException { ParamName: nameof(SamplingOptions.Alpha) } a => (ExitCodes.Usage, $"--alpha {a.ActualValue}: alpha must be finite and at most {SamplingOptions.MaxAlpha:G} (negative means Viterbi)"),
        InputLimitExceededException l => (ExitCodes.LimitExceeded, $"limit exceeded: {l.Message}; no output file was written"),
        OutOfMemoryException => (ExitCodes.LimitExceeded, "out of memory; no output file was written (--max-chunk and --max-memory stop earlier, with a clear message)"),
        InvalidUtf8Exception u => (ExitCodes.BadInput, $"input is not valid UTF-8 at byte {u.ByteOffset} (use --raw to encode bytes as they are)"),
        System.Text.DecoderFallbackException d => (ExitCodes.BadInput, $"input is not valid UTF-8 at byte {d.Index}"),
        FileNotFoundException f => (ExitCodes.IoError, $"file not found: {f.FileName ?? f.Message}"),
        DirectoryNotFoundException d => (ExitCodes.IoError, d.Message),
        UnauthorizedAccessException a => (ExitCodes.IoError, a.Message),
        IOException io => (ExitCodes.IoError, $"I/O error: {io.Message}"),
        _ => (ExitCodes.IoError, $"unexpected error: {e.GetType().Name}: {e.Message}"),
    };

    /// <summary>EPIPE (32 on Linux and macOS): the reader of stdout closed it, as <c>| head</c> does.</summary>
    private static bool IsBrokenPipe(IOException e) => e.HResult == 32 || (e.InnerException is IOException inner && IsBrokenPipe(inner));
}

/// <summary>The standard streams a command works with.</summary>
internal sealed record CliIO(Stream Stdin, Stream Stdout, TextWriter Stderr, CancellationToken Cancellation = default, bool Interactive = false)
{
    /// <summary>Opens the input: a file, or stdin for "-" or none.</summary>
    public Stream OpenInput(string? path)
    {
        if (path is null or "-") return Stdin;
        if (Directory.Exists(path)) throw new CliException(ExitCodes.IoError, $"input is a directory, not a file: {path}");
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
    }

    /// <summary>
    /// Runs <paramref name="write"/> against the output: stdout for "-" or none, else a file written under a
    /// temporary name and renamed when complete (a failed run leaves any existing file untouched).
    /// </summary>
    /// <param name="path">The output path, or "-"/null for stdout.</param>
    /// <param name="write">Writes the output.</param>
    /// <param name="inputPath">The input path, if any: the same file as the output is refused (exit 1) before anything is read.</param>
    public void WriteOutput(string? path, Action<Stream> write, string? inputPath = null)
    {
        if (path is not (null or "-") && inputPath is not (null or "-") && File.Exists(inputPath) && AtomicFile.IsSameFile(inputPath, path))
            throw new CliException(ExitCodes.Usage, $"--output {path} is the input file: it would be replaced by its own encoding; write to another file");
        // The buffer is flushed, never disposed: disposing it would close the stream underneath.
        if (path is null or "-")
        {
            var buffered = new BufferedStream(Stdout, 1 << 16);
            write(buffered);
            buffered.Flush();
            return;
        }
        AtomicFile.Write(path, stream =>
        {
            var buffered = new BufferedStream(stream, 1 << 16);
            write(buffered);
            buffered.Flush();
        });
    }
}

/// <summary>Options several commands share.</summary>
internal static class CommonOptions
{
    public static Argument<string?> Text(string description) => new("text") { Arity = ArgumentArity.ZeroOrOne, Description = description };

    /// <summary>More threads than this is a mistake (each may hold a block of input), refused before any work.</summary>
    public const int MaxThreads = 1024;

    public static Option<int> Threads()
    {
        var option = new Option<int>("--threads", "-t") { Description = $"Threads, 1 to {MaxThreads} (default: all cores). The output never depends on it.", DefaultValueFactory = _ => Environment.ProcessorCount };
        option.Validators.Add(result =>
        {
            // Only a value that parses is checked here (GetValueOrDefault would throw on "2e9"); the parser reports the rest.
            if (result.Tokens is [{ } token] && int.TryParse(token.Value, System.Globalization.CultureInfo.InvariantCulture, out int n) && n is < 1 or > MaxThreads)
                result.AddError($"--threads must be between 1 and {MaxThreads}");
        });
        return option;
    }

    /// <summary>The bytes to encode, counted as they are read: the TEXT argument's UTF-8, or the input.</summary>
    public static CountingStream OpenSource(CliIO io, string? literal, string? inputPath)
    {
        if (literal is not null && inputPath is not null) throw new CliException(ExitCodes.Usage, "give either TEXT or --input, not both");
        return new CountingStream(literal is not null ? new MemoryStream(System.Text.Encoding.UTF8.GetBytes(literal)) : io.OpenInput(inputPath));
    }

    /// <summary>What "Default: ..." says of the embedded model in every --model description.</summary>
    private const string DefaultModelText = "Default: the embedded BytePiece model (Chinese, English, code; 65,497 ids).";

    /// <summary>--model of the commands that take every family: encode, decode, nbest, entropy, sample, info.</summary>
    public static Option<string?> Model() => new("--model", "-m")
    {
        Description = "Model file: BytePiece JSON or native (.bpm); SentencePiece .model; or HuggingFace tokenizer.json (Unigram). "
            + "With a .model or tokenizer.json, each input line is one sentence (as spm_encode). " + DefaultModelText,
    };

    /// <summary>--model of a command that reads BytePiece models only (stats).</summary>
    public static Option<string?> BytePieceModel() => new("--model", "-m")
    {
        Description = "Model file: BytePiece JSON or native (.bpm) only (for a SentencePiece .model or a tokenizer.json, use encode, nbest, entropy or sample). " + DefaultModelText,
    };

    public static Option<string?> Input() => new("--input", "-i") { Description = "Input file, or - for stdin (the default)." };

    public static Option<string?> Output() => new("--output", "-o") { Description = "Output file, or - for stdout (the default). Written to a temporary file and renamed when complete." };

    public static Option<double> Alpha()
    {
        var option = new Option<double>("--alpha", "-a")
        {
            Description = "Sampling: < 0 Viterbi (the default); 0 uniform over all segmentations; > 0 draws w with probability P(w)^alpha / Z.",
            DefaultValueFactory = _ => -1,
        };
        // NaN compares false with everything: unchecked, it would silently mean Viterbi.
        option.Validators.Add(result =>
        {
            if (result.Tokens is [{ } token] && double.TryParse(token.Value, System.Globalization.CultureInfo.InvariantCulture, out double a) && !double.IsFinite(a))
                result.AddError("--alpha must be a finite number");
        });
        return option;
    }

    public static Option<ulong> Seed() => new("--seed") { Description = "Seed of the sampling draws (same seed, same input: same ids).", DefaultValueFactory = _ => 0 };

    /// <summary>The text to analyse: the TEXT argument, or the whole input as UTF-8.</summary>
    public static string ReadText(CliIO io, string? literal, string? inputPath)
    {
        if (literal is not null) return literal;
        using var stream = io.OpenInput(inputPath);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Offset of the first byte of <paramref name="text"/> that starts no valid UTF-8 character (its length if all are valid).</summary>
    public static long FirstInvalidUtf8(ReadOnlySpan<byte> text)
    {
        int at = 0;
        while (at < text.Length && System.Buffers.OperationStatus.Done == System.Text.Rune.DecodeFromUtf8(text[at..], out _, out int consumed)) at += consumed;
        return at;
    }

    /// <summary>A size such as 4G, 512M, 64K or 1000000 (bytes).</summary>
    public static long ParseSize(string text, string option)
    {
        string number = text.Trim();
        long unit = 1;
        char last = number.Length > 0 ? char.ToUpperInvariant(number[^1]) : ' ';
        if (last is 'K' or 'M' or 'G' or 'T')
        {
            unit = last switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, _ => 1L << 40 };
            number = number[..^1];
        }
        // NaN and infinities parse as doubles; "not >= 1" refuses NaN too.
        if (!double.TryParse(number, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double value) || !(value * unit >= 1) || value * unit >= long.MaxValue)
            throw new CliException(ExitCodes.Usage, $"{option}: '{text}' is not a size (examples: 4G, 512M, 1000000)");
        return (long)(value * unit);
    }

    /// <summary>The model file at <paramref name="path"/>, or the embedded default model when none is given.</summary>
    /// <param name="path">The --model value.</param>
    /// <param name="refusal">
    /// For a command that takes BytePiece models only: what the error says after "bytepiece CMD reads BytePiece models
    /// (JSON or .bpm), not a SentencePiece .model" when given another family (the library's own message names
    /// library calls, not commands).
    /// </param>
    /// <summary>The tokenizer of --model (the embedded default without one); <see cref="TokenizerFile"/> picks the family from the file.</summary>
    public static UnigramTokenizer LoadTokenizer(string? path)
    {
        if (path is null) return BytePieceTokenizer.Default;
        if (Directory.Exists(path)) throw new CliException(ExitCodes.BadModel, $"the model path is a directory, not a file: {path}");
        if (!File.Exists(path)) throw new CliException(ExitCodes.BadModel, $"model file not found: {path}");
        return TokenizerFile.Load(path);
    }

    /// <summary>The BytePiece model of --model, for the commands that read BytePiece models only; <paramref name="refusal"/> says what to use instead.</summary>
    public static UnigramModel LoadModel(string? path, string refusal) => LoadTokenizer(path) switch
    {
        BytePieceTokenizer bytePiece => bytePiece.Model,
        SentencePieceTokenizer => throw new CliException(ExitCodes.BadModel, $"{path} is a SentencePiece .model; {refusal}"),
        _ => throw new CliException(ExitCodes.BadModel, $"{path} is a HuggingFace tokenizer.json; {refusal}"),
    };
}
