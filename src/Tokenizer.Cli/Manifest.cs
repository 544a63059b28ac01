using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace BytePiece.Cli;

/// <summary>The model a shard was encoded with: the SHA-256 of its file (for the default, of the embedded model's bytes), its format and vocabulary size.</summary>
internal sealed record ModelIdentity(string Sha256, string Format, int VocabSize)
{
    /// <summary>The identity of the --model file, or of the embedded default model without one.</summary>
    public static ModelIdentity Of(string? path, UnigramTokenizer tokenizer)
    {
        byte[] content = path is null ? DefaultModel.GetFileBytes() : File.ReadAllBytes(path);
        string format = ModelFile.Detect(content) switch
        {
            ModelFileFormat.Native => "bytepiece-native",
            ModelFileFormat.BytePieceJson => "bytepiece-json",
            ModelFileFormat.SentencePiece => "sentencepiece",
            _ => "tokenizer.json",
        };
        return new(Convert.ToHexStringLower(SHA256.HashData(content)), format, tokenizer.VocabSize);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"model sha256 {Sha256} ({Format}, {VocabSize:N0} ids)");
}

/// <summary>The encode options that change a shard's bytes (--threads, --quiet and the limits never do); the seed only when sampling.</summary>
internal sealed record ShardOptions(string Format, bool Bos, bool Eos, bool Raw, double? Alpha, ulong? Seed)
{
    public static ShardOptions Of(string format, bool bos, bool eos, bool raw, SamplingOptions sampling)
        => new(format, bos, eos, raw, sampling.IsViterbi ? null : sampling.Alpha, sampling.IsViterbi ? null : sampling.Seed);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"--format {Format}{(Bos ? " --bos" : "")}{(Eos ? " --eos" : "")}{(Raw ? " --raw" : "")}{(Alpha is { } a ? $" --alpha {a:R} --seed {Seed}" : "")}");
}

/// <summary>What must be the same for every shard of one manifest: the model, the options that change the output, and the tool's version.</summary>
internal sealed record ShardSettings(ModelIdentity Model, ShardOptions Options, string Tool)
{
    /// <summary>"bytepiece VERSION" of this build (the informational version: the release and its commit).</summary>
    public static string ThisTool { get; } = "bytepiece " + (typeof(ShardSettings).Assembly
        .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
        .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "unknown");

    /// <summary>The first setting that differs ("different options", and each side's value), or null when none does.</summary>
    public (string What, string Mine, string Theirs)? Difference(ShardSettings other)
        => Model != other.Model ? ("a different model", Model.ToString(), other.Model.ToString())
            : Options != other.Options ? ("different options", Options.ToString(), other.Options.ToString())
            : Tool != other.Tool ? ("a different tool version", Tool, other.Tool)
            : null;
}

/// <summary>A file as the manifest records it: its path (relative to the manifest's folder, with '/'), size and SHA-256.</summary>
internal sealed record ShardFile(string Path, long Bytes, string Sha256);

/// <summary>
/// One encoded shard, one line of a manifest: the input (path, size, SHA-256 and modification time), the
/// files written, the counts, the settings, and how long it took (the only field that changes between runs).
/// </summary>
internal sealed record ManifestEntry(ShardFile Input, DateTime InputModified, IReadOnlyList<ShardFile> Outputs, long Chunks, long Tokens, ShardSettings Settings, double Seconds);

/// <summary>A manifest read from its file (<paramref name="Path"/> in full, <paramref name="Shown"/> as the user named it): its entries, and whether it ends in a line cut short (a run killed while appending).</summary>
internal sealed record ManifestContent(string Path, string Shown, IReadOnlyList<ManifestEntry> Entries, bool Torn)
{
    /// <summary>The folder the entries' paths are relative to.</summary>
    public string Folder => Manifest.FolderOf(Path);
}

/// <summary>
/// The shard manifest, <c>manifest.jsonl</c>: one JSON object per line and per shard, each line complete in itself
/// (settings included), so that a run appends a line when a shard is done and a kill loses at most the line
/// being written. Paths are relative to the manifest's folder, so a folder of shards moves as a whole.
/// </summary>
internal static class Manifest
{
    public const string FileName = "manifest.jsonl";

    private static readonly JsonWriterOptions s_writerOptions = new()
    {
        // File names as they are (a Chinese name stays readable); the lines are data, never embedded in HTML.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The manifest a path names: <see cref="FileName"/> in a folder (one that exists, or a path ending with '/'), else the file itself.</summary>
    public static string PathOf(string fileOrFolder)
        => Path.GetFullPath(Directory.Exists(fileOrFolder) || Path.EndsInDirectorySeparator(fileOrFolder) ? Path.Combine(fileOrFolder, FileName) : fileOrFolder);

    /// <summary>The manifest a path names, for messages: as the user wrote it, with <see cref="FileName"/> added for a folder.</summary>
    public static string Shown(string fileOrFolder)
        => Directory.Exists(fileOrFolder) || Path.EndsInDirectorySeparator(fileOrFolder) ? Path.Join(fileOrFolder, FileName) : fileOrFolder;

    public static string FolderOf(string manifestPath) => Path.GetDirectoryName(Path.GetFullPath(manifestPath))!;

    /// <summary>A path as a manifest records it: relative to <paramref name="folder"/>, with '/' between names on every system.</summary>
    public static string Relative(string folder, string fullPath) => Path.GetRelativePath(folder, fullPath).Replace('\\', '/');

    /// <summary>The full path of a path a manifest in <paramref name="folder"/> records.</summary>
    public static string Resolve(string folder, string recorded) => Path.GetFullPath(recorded.Replace('/', Path.DirectorySeparatorChar), folder);

    /// <summary>The same entry with its paths made relative to another folder (a manifest merged elsewhere).</summary>
    public static ManifestEntry Rebase(ManifestEntry entry, string from, string to) => entry with
    {
        Input = entry.Input with { Path = Relative(to, Resolve(from, entry.Input.Path)) },
        Outputs = [.. entry.Outputs.Select(o => o with { Path = Relative(to, Resolve(from, o.Path)) })],
    };

    /// <summary>The SHA-256 of a file, in lowercase hex.</summary>
    public static string Sha256(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Reads a manifest; a malformed line (other than a last line cut short) is an error naming it (exit 3).</summary>
    public static ManifestContent Read(string path, string shown)
    {
        byte[] content = File.ReadAllBytes(path);
        var entries = new List<ManifestEntry>();
        int start = 0, number = 0;
        while (start < content.Length)
        {
            int end = Array.IndexOf(content, (byte)'\n', start);
            number++;
            if (end < 0)
            {
                // Appends write whole lines: a last line without its newline is the one a kill interrupted.
                return new(path, shown, entries, Torn: true);
            }
            if (end > start) entries.Add(Parse(content.AsSpan(start, end - start), shown, number));
            start = end + 1;
        }
        return new(path, shown, entries, Torn: false);
    }

    /// <summary>One entry as its line, newline included.</summary>
    public static byte[] Line(ManifestEntry entry)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer, s_writerOptions))
        {
            json.WriteStartObject();
            json.WriteStartObject("input");
            WriteFile(json, entry.Input);
            json.WriteString("mtime", entry.InputModified.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
            json.WriteEndObject();
            json.WriteStartArray("outputs");
            foreach (ShardFile output in entry.Outputs)
            {
                json.WriteStartObject();
                WriteFile(json, output);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteNumber("chunks", entry.Chunks);
            json.WriteNumber("tokens", entry.Tokens);
            ModelIdentity model = entry.Settings.Model;
            json.WriteStartObject("model");
            json.WriteString("sha256", model.Sha256);
            json.WriteString("format", model.Format);
            json.WriteNumber("vocab_size", model.VocabSize);
            json.WriteEndObject();
            ShardOptions options = entry.Settings.Options;
            json.WriteStartObject("options");
            json.WriteString("format", options.Format);
            json.WriteBoolean("bos", options.Bos);
            json.WriteBoolean("eos", options.Eos);
            json.WriteBoolean("raw", options.Raw);
            if (options.Alpha is { } alpha) json.WriteNumber("alpha", alpha);
            else json.WriteNull("alpha");
            if (options.Seed is { } seed) json.WriteNumber("seed", seed);
            else json.WriteNull("seed");
            json.WriteEndObject();
            json.WriteString("tool", entry.Settings.Tool);
            json.WriteNumber("seconds", Math.Round(entry.Seconds, 3));
            json.WriteEndObject();
        }
        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes a whole manifest under a temporary name and renames it (a reader never sees half of it).</summary>
    public static void Write(string path, IEnumerable<ManifestEntry> entries)
        => AtomicFile.Write(path, stream =>
        {
            var buffered = new BufferedStream(stream, 1 << 16);
            foreach (ManifestEntry entry in entries) buffered.Write(Line(entry));
            buffered.Flush();
        });

    private static void WriteFile(Utf8JsonWriter json, ShardFile file)
    {
        json.WriteString("path", file.Path);
        json.WriteNumber("bytes", file.Bytes);
        json.WriteString("sha256", file.Sha256);
    }

    private static ManifestEntry Parse(ReadOnlySpan<byte> line, string path, int number)
    {
        try
        {
            using var document = JsonDocument.Parse(line.ToArray());
            JsonElement root = document.RootElement;
            JsonElement input = Member(root, "input", JsonValueKind.Object);
            JsonElement model = Member(root, "model", JsonValueKind.Object);
            JsonElement options = Member(root, "options", JsonValueKind.Object);
            JsonElement alpha = Member(options, "alpha", null), seed = Member(options, "seed", null);
            var settings = new ShardSettings(
                new ModelIdentity(Text(model, "sha256"), Text(model, "format"), Member(model, "vocab_size", JsonValueKind.Number).GetInt32()),
                new ShardOptions(Text(options, "format"), Member(options, "bos", null).GetBoolean(), Member(options, "eos", null).GetBoolean(),
                    Member(options, "raw", null).GetBoolean(),
                    alpha.ValueKind == JsonValueKind.Null ? null : alpha.GetDouble(), seed.ValueKind == JsonValueKind.Null ? null : seed.GetUInt64()),
                Text(root, "tool"));
            JsonElement outputs = Member(root, "outputs", JsonValueKind.Array);
            if (outputs.GetArrayLength() == 0) throw new FormatException("\"outputs\" is empty");
            return new ManifestEntry(
                FileOf(input),
                DateTime.Parse(Text(input, "mtime"), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
                [.. outputs.EnumerateArray().Select(FileOf)],
                Member(root, "chunks", JsonValueKind.Number).GetInt64(),
                Member(root, "tokens", JsonValueKind.Number).GetInt64(),
                settings,
                Member(root, "seconds", JsonValueKind.Number).GetDouble());
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new CliException(ExitCodes.BadInput, $"{path} line {number} is not a manifest entry: {e.Message.TrimEnd('.')}");
        }
    }

    private static ShardFile FileOf(JsonElement file)
    {
        string sha = Text(file, "sha256");
        if (sha.Length != 64 || !sha.All(char.IsAsciiHexDigitLower)) throw new FormatException($"\"sha256\" is not a SHA-256 in lowercase hex: {sha}");
        long bytes = Member(file, "bytes", JsonValueKind.Number).GetInt64();
        if (bytes < 0) throw new FormatException($"\"bytes\" is negative: {bytes}");
        return new ShardFile(Text(file, "path"), bytes, sha);
    }

    private static string Text(JsonElement owner, string name) => Member(owner, name, JsonValueKind.String).GetString()!;

    /// <summary>A member that must be present (of <paramref name="kind"/> when given; a boolean or null otherwise checked by its getter).</summary>
    private static JsonElement Member(JsonElement owner, string name, JsonValueKind? kind)
    {
        if (!owner.TryGetProperty(name, out JsonElement value)) throw new FormatException($"no \"{name}\"");
        if (kind is { } k && value.ValueKind != k) throw new FormatException($"\"{name}\" is {value.ValueKind}, not {k}");
        return value;
    }
}
