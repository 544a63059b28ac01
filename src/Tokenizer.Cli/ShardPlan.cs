namespace BytePiece.Cli;

/// <summary>One input of a shard run and where it goes: its stem (the output folder and the input's name without its extension) and the files its format writes there.</summary>
/// <param name="Input">The input file's full path.</param>
/// <param name="Given">The input's path as it was given, for messages.</param>
/// <param name="Stem">The output folder joined with the input's name without its last extension.</param>
/// <param name="Outputs">The stem with each of the format's extensions (<see cref="ShardFormats"/>).</param>
internal sealed record Shard(string Input, string Given, string Stem, IReadOnlyList<string> Outputs);

/// <summary>The files each <c>--format</c> writes for a shard: extensions added to the shard's stem (a format of two files names both).</summary>
internal static class ShardFormats
{
    public static IReadOnlyList<string> Extensions(string format) => format switch
    {
        "ids" => [".ids"],
        "pieces" => [".pieces"],
        "bin16" => [".bin16"],
        "bin32" => [".bin32"],
        "npy" => [".npy"],
        "jsonl" => [".jsonl"],
        "megatron" => [".bin", ".idx"],
        _ => throw new CliException(ExitCodes.Usage, $"--format {format} has no shard files"),
    };
}

/// <summary>
/// The shards of one run (<c>encode --output-dir</c>), in the order given: every input a readable file, no two
/// with the same stem (their outputs would be one file), none written over itself or over the manifest.
/// </summary>
/// <param name="Shards">The shards, in the order given.</param>
/// <param name="OutputFolder">The output folder's full path.</param>
/// <param name="ManifestPath">The manifest's full path.</param>
/// <param name="ManifestShown">The manifest's path for messages, as the user gave it.</param>
internal sealed record ShardPlan(IReadOnlyList<Shard> Shards, string OutputFolder, string ManifestPath, string ManifestShown)
{
    /// <summary>How paths compare: as AtomicFile.IsSameFile compares them (ignoring case where file systems usually do).</summary>
    public static StringComparer PathComparer => OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    /// <summary>
    /// The plan when the options ask for a shard run (<c>--output-dir</c>, <c>--input-list</c>, or <c>--input</c> more
    /// than once), else null. Anything that cannot be done is refused here, before the model is read or a file written.
    /// </summary>
    public static ShardPlan? From(CliIO io, IReadOnlyList<string> inputs, string? inputList, string? outputDir, string? manifest, string? output, string? text, string format)
    {
        if (outputDir is null && inputList is null && inputs.Count <= 1)
        {
            if (manifest is not null) throw Usage("--manifest goes with --output-dir (a shard run)");
            return null;
        }
        if (outputDir is null)
            throw Usage(inputList is not null ? "--input-list needs --output-dir DIR (an output per input)" : "several --input need --output-dir DIR (an output per input)");
        if (output is not null) throw Usage("give either --output (one output) or --output-dir (an output per input), not both");
        if (text is not null) throw Usage("TEXT is not a shard: give files with --input or --input-list and --output-dir");
        var paths = new List<string>(inputs);
        if (inputList is not null) paths.AddRange(ReadList(io, inputList));
        IReadOnlyList<string> extensions = ShardFormats.Extensions(format);
        string folder = Path.GetFullPath(outputDir);
        if (File.Exists(folder)) throw Usage($"--output-dir {outputDir} is a file, not a folder");
        string manifestPath = Path.GetFullPath(manifest ?? Path.Combine(folder, Manifest.FileName));
        var shards = new List<Shard>(paths.Count);
        var byInput = new Dictionary<string, string>(PathComparer);
        var byStem = new Dictionary<string, string>(PathComparer);
        foreach (string path in paths)
        {
            if (path == "-") throw Usage("a shard is a file: stdin ('-') cannot be one (each shard is hashed, and skipped when already done)");
            string input = Path.GetFullPath(path);
            if (Directory.Exists(input)) throw new CliException(ExitCodes.IoError, $"input is a directory, not a file: {path}");
            if (!File.Exists(input)) throw new CliException(ExitCodes.IoError, $"file not found: {path}");
            if (!byInput.TryAdd(input, path)) throw Usage($"input {path} is given twice");
            string stem = Path.Combine(folder, Path.GetFileNameWithoutExtension(input));
            if (!byStem.TryAdd(stem, path))
                throw Usage($"inputs {byStem[stem]} and {path} would both be written to {stem}{extensions[0]} (outputs are named after the input without its extension): rename one, or encode them into different --output-dir folders");
            string[] outputs = [.. extensions.Select(e => stem + e)];
            foreach (string file in outputs)
            {
                if (AtomicFile.IsSameFile(input, file)) throw Usage($"the output of {path} is the input itself ({file}): choose another --output-dir");
                if (PathComparer.Equals(file, manifestPath)) throw Usage($"the output of {path} would be the manifest {file}: choose another --output-dir or --manifest");
            }
            shards.Add(new Shard(input, path, stem, outputs));
        }
        return new ShardPlan(shards, folder, manifestPath, manifest ?? Path.Join(outputDir, Manifest.FileName));
    }

    /// <summary>--input-list: one path per line (relative to the current folder), empty lines skipped; "-" reads the list from stdin.</summary>
    private static IEnumerable<string> ReadList(CliIO io, string list)
    {
        if (list != "-" && Directory.Exists(list)) throw new CliException(ExitCodes.IoError, $"--input-list {list} is a directory, not a file");
        if (list != "-" && !File.Exists(list)) throw new CliException(ExitCodes.IoError, $"file not found: {list}");
        Stream stream = list == "-" ? io.Stdin : File.OpenRead(list);
        using var reader = new StreamReader(stream, new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: false, leaveOpen: list == "-");
        var paths = new List<string>();
        while (reader.ReadLine() is { } line)
            if (line.Length > 0) paths.Add(line);
        return paths;
    }

    private static CliException Usage(string message) => new(ExitCodes.Usage, message);
}
