using System.Collections.Concurrent;
using System.Diagnostics;

namespace BytePiece.Tests;

/// <summary>Locates <c>../shared</c> (beside the repository) and caches the models tests load from it.</summary>
internal static class SharedData
{
    private static readonly Lazy<string> s_root = new(FindRoot);
    private static readonly ConcurrentDictionary<string, Lazy<UnigramModel>> s_models = new();

    public static string Root => s_root.Value;

    public static string BytePieceModelPath(string name) => Path.Combine(Root, "models", "bytepiece", name);

    public static UnigramModel BytePieceModel(string name)
        => s_models.GetOrAdd(name, n => new Lazy<UnigramModel>(() => ModelFile.Load(BytePieceModelPath(n)))).Value;

    public static BytePieceTokenizer Tokenizer(string name) => new(BytePieceModel(name));

    /// <summary>Decompresses one of the shared corpora (xz) and returns its first <paramref name="maxBytes"/> bytes, cut at a line end.</summary>
    public static byte[] Corpus(string name, int maxBytes)
    {
        string path = Path.Combine(Root, "corpora", name + ".txt.xz");
        var psi = new ProcessStartInfo("xz", ["-dc", path]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = Process.Start(psi)!;
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

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tokenizer.sln")))
            {
                string shared = Path.Combine(dir.Parent!.FullName, "shared");
                if (Directory.Exists(shared)) return shared;
                throw new DirectoryNotFoundException($"the shared data folder is missing: expected {shared} beside the repository");
            }
        }
        throw new DirectoryNotFoundException("cannot find the repository root (Tokenizer.sln) above " + AppContext.BaseDirectory);
    }
}
