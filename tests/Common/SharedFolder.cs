using System.Diagnostics;

namespace BytePiece.Testing;

/// <summary>
/// Where the tests and benchmarks find real data (the product itself never needs it). The small data
/// (the 40k BytePiece models, SentencePiece's test models and novels, the upstream goldens) is in the
/// repository under <c>tests/data</c>; the big data (the 160k model, the corpora) is outside, in the folder
/// named by <c>BYTEPIECE_TEST_DATA</c> or else <c>../shared</c> beside the repository, with the same layout.
/// Compiled into the test projects and the benchmarks.
/// </summary>
internal static class SharedFolder
{
    /// <summary>The environment variable naming the folder of the big data (default: <c>../shared</c>).</summary>
    public const string DataVariable = "BYTEPIECE_TEST_DATA";

    private static readonly Lazy<string> s_repository = new(FindRepository);
    private static readonly Lazy<string?> s_outside = new(FindOutside);

    /// <summary>The repository's root folder (where Tokenizer.sln is).</summary>
    public static string RepositoryRoot => s_repository.Value;

    /// <summary>The small real data kept in the repository: <c>tests/data</c>.</summary>
    public static string InRepository => Path.Combine(RepositoryRoot, "tests", "data");

    /// <summary>The folder of the big data, or null when there is none.</summary>
    public static string? Outside => s_outside.Value;

    /// <summary>The folder of the big data; throws, naming where it was looked for, when there is none.</summary>
    public static string Root => Outside ?? throw new DirectoryNotFoundException(
        $"the big test data (corpora, 160k model) is missing: set {DataVariable} or put it at {Path.Combine(Path.GetDirectoryName(RepositoryRoot)!, "shared")}");

    /// <summary>A data file by its path relative to a data folder: the repository's copy if it has one, else the one outside.</summary>
    public static string DataFile(string relativePath)
    {
        string inRepository = Path.Combine(InRepository, relativePath);
        return File.Exists(inRepository) ? inRepository : Path.Combine(Root, relativePath);
    }

    /// <summary>Whether a data file exists, in the repository or outside.</summary>
    public static bool HasDataFile(string relativePath)
        => File.Exists(Path.Combine(InRepository, relativePath)) || (Outside is { } outside && File.Exists(Path.Combine(outside, relativePath)));

    public static string BytePieceModelPath(string name) => DataFile(Path.Combine("models", "bytepiece", name));

    public static string SentencePieceFilePath(string name) => DataFile(Path.Combine("models", "sentencepiece", name));

    /// <summary>
    /// The xz-compressed corpus file (zh, en, code): in the big data folder, else where <c>corpora/build.sh</c>
    /// writes it (<c>corpora/data</c>, not committed).
    /// </summary>
    public static string CorpusPath(string name)
    {
        string built = Path.Combine(RepositoryRoot, "corpora", "data", name + ".txt.xz");
        return Outside is { } outside && File.Exists(Path.Combine(outside, "corpora", name + ".txt.xz")) || !File.Exists(built)
            ? Path.Combine(Root, "corpora", name + ".txt.xz")
            : built;
    }

    /// <summary>Whether all three corpora are there (in the big data folder or built by <c>corpora/build.sh</c>).</summary>
    public static bool HasCorpora()
        => new[] { "zh", "en", "code" }.All(name => Outside is { } outside && File.Exists(Path.Combine(outside, "corpora", name + ".txt.xz"))
            || File.Exists(Path.Combine(RepositoryRoot, "corpora", "data", name + ".txt.xz")));

    /// <summary>The first <paramref name="maxBytes"/> bytes of a corpus (zh, en, code; xz-compressed), cut at a line end.</summary>
    public static byte[] Corpus(string name, int maxBytes)
    {
        string path = CorpusPath(name);
        var psi = new ProcessStartInfo("xz", ["-dc", path]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start xz");
        var buffer = new byte[maxBytes];
        int total = 0;
        Stream stdout = process.StandardOutput.BaseStream;
        while (total < maxBytes)
        {
            int read = stdout.Read(buffer, total, maxBytes - total);
            if (read == 0) break;
            total += read;
        }
        try { process.Kill(); } catch (InvalidOperationException) { }
        process.WaitForExit();
        int end = buffer.AsSpan(0, total).LastIndexOf((byte)'\n');
        return buffer.AsSpan(0, end < 0 ? total : end + 1).ToArray();
    }

    private static string FindRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Tokenizer.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("cannot find the repository root (Tokenizer.sln) above " + AppContext.BaseDirectory);
    }

    private static string? FindOutside()
    {
        string? named = Environment.GetEnvironmentVariable(DataVariable);
        if (!string.IsNullOrEmpty(named))
            return Directory.Exists(named) ? Path.GetFullPath(named) : throw new DirectoryNotFoundException($"{DataVariable}={named}: no such folder");
        string beside = Path.Combine(Path.GetDirectoryName(RepositoryRoot)!, "shared");
        return Directory.Exists(beside) ? beside : null;
    }
}
