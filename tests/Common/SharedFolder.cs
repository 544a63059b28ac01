using System.Diagnostics;

namespace BytePiece.Testing;

/// <summary>
/// The read-only <c>../shared</c> folder beside the repository (models, golden data, corpora), used by
/// the tests and the benchmarks; the product itself never needs it. Compiled into both projects.
/// </summary>
internal static class SharedFolder
{
    private static readonly Lazy<string> s_root = new(FindRoot);

    public static string Root => s_root.Value;

    public static string BytePieceModelPath(string name) => Path.Combine(Root, "models", "bytepiece", name);

    /// <summary>The first <paramref name="maxBytes"/> bytes of a corpus (zh, en, code; xz-compressed), cut at a line end.</summary>
    public static byte[] Corpus(string name, int maxBytes)
    {
        string path = Path.Combine(Root, "corpora", name + ".txt.xz");
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

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "Tokenizer.sln"))) continue;
            string shared = Path.Combine(dir.Parent!.FullName, "shared");
            return Directory.Exists(shared)
                ? shared
                : throw new DirectoryNotFoundException($"the shared data folder is missing: expected {shared} beside the repository");
        }
        throw new DirectoryNotFoundException("cannot find the repository root (Tokenizer.sln) above " + AppContext.BaseDirectory);
    }
}
